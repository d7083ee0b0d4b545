"""Schema migrations of the calendar-sync database (its own Alembic history)."""

from __future__ import annotations

from pathlib import Path

from shared.migrations import upgrade

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_calendar_sync"


def migrate(url: str) -> None:
    """Upgrade the calendar-sync database at ``url`` to the newest schema."""
    upgrade(MIGRATIONS, url)
