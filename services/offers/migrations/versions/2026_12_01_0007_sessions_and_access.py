"""Server-side browser sessions, pending logins and rate limits (shared by the replicas),
and the route of every CPR access (issue 9: identity and access).

Revision ID: offers_0007
Revises: offers_0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.auth.session_migration import downgrade_2026_12_01, upgrade_2026_12_01

revision: str = "offers_0007"
down_revision: str | None = "offers_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_2026_12_01()


def downgrade() -> None:
    downgrade_2026_12_01()
