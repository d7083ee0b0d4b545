"""Schema migrations of the offers database (its own Alembic history)."""

from __future__ import annotations

from pathlib import Path

from shared.migrations import upgrade

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_offers"


def migrate(url: str) -> None:
    """Upgrade the offers database at ``url`` to the newest schema."""
    upgrade(MIGRATIONS, url)
