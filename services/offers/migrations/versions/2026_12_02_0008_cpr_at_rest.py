"""CPR numbers at rest (issue 10): ``cpr_access_log.subject_cpr`` becomes
``subject_cpr_index`` (HMAC under the current key of ``PLANNER_CPR_KEYS``, indexed: the
insight search finds rows by it) and ``subject_cpr_sealed`` (Fernet: an auditor can see
whose record was viewed); a citizen's session keeps the number sealed
(``shared.cpr_migration``). Existing rows are converted with the keys of the settings;
with rows and no key the upgrade is refused before anything changes. The downgrade
unseals them again (it needs a key too).

Revision ID: offers_0008
Revises: offers_0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.cpr_migration import (
    access_log_and_session_rows,
    downgrade_access_log_and_sessions,
    migration_vault,
    upgrade_access_log_and_sessions,
)

revision: str = "offers_0008"
down_revision: str | None = "offers_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_access_log_and_sessions(migration_vault(access_log_and_session_rows()))


def downgrade() -> None:
    downgrade_access_log_and_sessions(migration_vault(access_log_and_session_rows(), "dekryptere"))
