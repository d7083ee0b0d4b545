"""The booking service's database schema: run its Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from shared.migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""The booking service's Alembic script directory (version table ``alembic_version_booking``)."""


def migrate(url: str) -> None:
    """Upgrade the booking database at ``url`` to the newest schema (idempotent)."""
    upgrade(MIGRATIONS, url)
