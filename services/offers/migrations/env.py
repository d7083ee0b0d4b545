"""Alembic environment of the offers service (see shared.migrations.run_env)."""

from services.offers.db import VERSION_TABLE
from services.offers.models import Base
from shared.migrations import run_env

run_env(Base.metadata, VERSION_TABLE)
