"""Alembic environment of the booking service (its own history and version table)."""

from services.booking.models import Base
from shared.migrations import run_env

run_env(Base.metadata, "alembic_version_booking")
