"""Alembic environment of the calendar-sync worker (see shared.migrations.run_env)."""

from services.calendar_sync.db import VERSION_TABLE
from services.calendar_sync.models import Base
from shared.migrations import run_env

run_env(Base.metadata, VERSION_TABLE)
