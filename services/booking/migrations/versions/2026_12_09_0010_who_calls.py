"""Who calls at a phone meeting (O-4, issue 13): booking's copy of the offer keeps it, so the
citizen reads whether the advisor calls them or they call the number. Offers copied before
it was known stay NULL: the text then goes by the number, as before.

Revision ID: 2026_12_09_0010
Revises: 2026_12_05_0009
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_09_0010"
down_revision: str | None = "2026_12_05_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offer_view", sa.Column("caller", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE offer_view DROP COLUMN caller")
