"""CPR numbers out of plain text, as both web services' migrations run it (booking 0006,
offers 0008): the data conversion and the DDL of the tables both services keep
(``cpr_access_log``, ``web_session``). Frozen: a later change to these tables is a new
function used by a new revision, never an edit here.

The keys come from the settings (``PLANNER_CPR_KEYS`` through ``shared.config.get_settings``):
rows are indexed and sealed with the current key on the way up and unsealed (with any
key) on the way down. A database without rows to convert needs no key; one with rows and
no key is refused before anything changes (``CprMigrationRefused``), so it stays at the
revision before. Conversion runs in batches of ``BATCH`` rows, in the migration's
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.cpr_vault import CprKeysMissing, CprUnreadable, CprVault, vault_for_settings

BATCH = 1000
CITIZEN = "citizen"


class CprMigrationRefused(RuntimeError):
    """The migration cannot convert the stored CPR numbers; the message says why, in Danish."""


def migration_vault(rows: int, direction: str = "kryptere") -> CprVault | None:
    """The vault of the settings, or None when there are no ``rows`` to convert;
    ``CprMigrationRefused`` when there are rows and no (valid) key is configured."""
    if rows == 0:
        return None
    from shared.config import get_settings

    try:
        return vault_for_settings(get_settings())
    except CprKeysMissing as exc:
        raise CprMigrationRefused(
            f"Migreringen kan ikke {direction} de {rows} CPR-numre, databasen allerede har: {exc.detail} "
            "Sæt PLANNER_CPR_KEYS (samme værdi for alle tjenester), og kør `planner migrate` igen; "
            "databasen er ikke ændret."
        ) from None


def count_rows(table: str, where: str = "") -> int:
    """Rows of ``table`` (matching the SQL condition ``where``)."""
    sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
    return int(op.get_bind().execute(sa.text(sql)).scalar_one())


def _batches(table: sa.TableClause, key: str, *columns: str) -> Any:
    """Every row of ``table`` (``key`` and ``columns``), ``BATCH`` at a time in ``key`` order."""
    connection = op.get_bind()
    last: Any = None
    while True:
        query = sa.select(table.c[key], *(table.c[c] for c in columns)).order_by(table.c[key]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _refuse_unreadable(table: str) -> CprMigrationRefused:
    return CprMigrationRefused(
        f"Tabellen {table} har et CPR-nummer, der ikke er ti cifre eller ikke kan dekrypteres med "
        "nøglerne i PLANNER_CPR_KEYS; migreringen er afbrudt, og databasen er ikke ændret."
    )


def seal_column(
    table: str, key: tuple[str, sa.types.TypeEngine[Any]], plain: str, index: str, sealed: str, vault: CprVault
) -> None:
    """Fill ``index`` and ``sealed`` of every row of ``table`` from its plain ``plain`` column."""
    t = sa.table(table, sa.column(key[0], key[1]), sa.column(plain), sa.column(index), sa.column(sealed))
    update = (
        sa.update(t)
        .where(t.c[key[0]] == sa.bindparam("_key"))
        .values({index: sa.bindparam("_index"), sealed: sa.bindparam("_sealed")})
    )
    for rows in _batches(t, key[0], plain):
        try:
            values = [{"_key": k, "_index": vault.index(p), "_sealed": vault.seal(p)} for k, p in rows]
        except ValueError:
            raise _refuse_unreadable(table) from None
        op.get_bind().execute(update, values)


def unseal_column(
    table: str, key: tuple[str, sa.types.TypeEngine[Any]], sealed: str, plain: str, vault: CprVault
) -> None:
    """Fill the plain ``plain`` column of every row of ``table`` from ``sealed`` (the way down)."""
    t = sa.table(table, sa.column(key[0], key[1]), sa.column(sealed), sa.column(plain))
    update = sa.update(t).where(t.c[key[0]] == sa.bindparam("_key")).values({plain: sa.bindparam("_plain")})
    for rows in _batches(t, key[0], sealed):
        try:
            values = [{"_key": k, "_plain": vault.unseal(s).digits} for k, s in rows]
        except CprUnreadable:
            raise _refuse_unreadable(table) from None
        op.get_bind().execute(update, values)


def citizen_sessions() -> list[tuple[str, dict[str, Any]]]:
    """The browser sessions whose principal is a citizen (id hash, principal)."""
    t = sa.table("web_session", sa.column("id_hash", sa.String()), sa.column("principal", sa.JSON()))
    rows = op.get_bind().execute(sa.select(t.c.id_hash, t.c.principal).where(t.c.principal.is_not(None))).all()
    return [(h, p) for h, p in rows if isinstance(p, dict) and p.get("kind") == CITIZEN]


Change = Callable[[dict[str, Any]], dict[str, Any] | None]


def rewrite_sessions(sessions: list[tuple[str, dict[str, Any]]], change: Change) -> None:
    """Store ``change(principal)`` for each session; a session it gives None is deleted (that
    browser logs in again)."""
    t = sa.table("web_session", sa.column("id_hash", sa.String()), sa.column("principal", sa.JSON()))
    update = sa.update(t).where(t.c.id_hash == sa.bindparam("_key")).values(principal=sa.bindparam("_principal"))
    changed = [(h, change(p)) for h, p in sessions]
    kept = [{"_key": h, "_principal": p} for h, p in changed if p is not None]
    gone = [h for h, p in changed if p is None]
    for start in range(0, len(kept), BATCH):
        op.get_bind().execute(update, kept[start : start + BATCH])
    for start in range(0, len(gone), BATCH):
        op.get_bind().execute(sa.delete(t).where(t.c.id_hash.in_(gone[start : start + BATCH])))


def seal_session(vault: CprVault) -> Change:
    """A citizen's stored principal with the plain ``cpr`` replaced by ``cpr_sealed``."""

    def change(principal: dict[str, Any]) -> dict[str, Any] | None:
        if "cpr" not in principal:
            return principal
        rest = {k: v for k, v in principal.items() if k != "cpr"}
        try:
            return rest | {"cpr_sealed": vault.seal(str(principal["cpr"]))}
        except ValueError:
            return None

    return change


def unseal_session(vault: CprVault) -> Change:
    """A citizen's stored principal with ``cpr_sealed`` back in plain ``cpr`` (the way down)."""

    def change(principal: dict[str, Any]) -> dict[str, Any] | None:
        if "cpr_sealed" not in principal:
            return principal
        rest = {k: v for k, v in principal.items() if k != "cpr_sealed"}
        try:
            return rest | {"cpr": vault.unseal(str(principal["cpr_sealed"])).digits}
        except CprUnreadable:
            return None

    return change


ACCESS_LOG_ID = ("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"))


def access_log_and_session_rows() -> int:
    """The rows of ``cpr_access_log`` and the citizens' ``web_session`` rows (what needs a key)."""
    return count_rows("cpr_access_log") + len(citizen_sessions())


def upgrade_access_log_and_sessions(vault: CprVault | None) -> None:
    """``cpr_access_log.subject_cpr`` becomes ``subject_cpr_index`` (indexed) and
    ``subject_cpr_sealed``; citizens' sessions keep their number sealed. ``vault`` is None
    only when there is nothing to convert (``access_log_and_session_rows``)."""
    op.add_column("cpr_access_log", sa.Column("subject_cpr_index", sa.String(64), nullable=True))
    op.add_column("cpr_access_log", sa.Column("subject_cpr_sealed", sa.Text(), nullable=True))
    sessions = citizen_sessions()
    if vault is not None:
        seal_column("cpr_access_log", ACCESS_LOG_ID, "subject_cpr", "subject_cpr_index", "subject_cpr_sealed", vault)
        rewrite_sessions(sessions, seal_session(vault))
    op.drop_index("ix_cpr_access_log_subject_cpr", table_name="cpr_access_log")
    with op.batch_alter_table("cpr_access_log") as batch:
        batch.drop_column("subject_cpr")
        batch.alter_column("subject_cpr_index", existing_type=sa.String(64), nullable=False)
        batch.alter_column("subject_cpr_sealed", existing_type=sa.Text(), nullable=False)
    op.create_index("ix_cpr_access_log_subject_cpr_index", "cpr_access_log", ["subject_cpr_index"])


def downgrade_access_log_and_sessions(vault: CprVault | None) -> None:
    """The way back: the plain ``subject_cpr`` and plain numbers in the sessions."""
    op.add_column("cpr_access_log", sa.Column("subject_cpr", sa.String(10), nullable=True))
    sessions = citizen_sessions()
    if vault is not None:
        unseal_column("cpr_access_log", ACCESS_LOG_ID, "subject_cpr_sealed", "subject_cpr", vault)
        rewrite_sessions(sessions, unseal_session(vault))
    op.drop_index("ix_cpr_access_log_subject_cpr_index", table_name="cpr_access_log")
    with op.batch_alter_table("cpr_access_log") as batch:
        batch.drop_column("subject_cpr_sealed")
        batch.drop_column("subject_cpr_index")
        batch.alter_column("subject_cpr", existing_type=sa.String(10), nullable=False)
    op.create_index("ix_cpr_access_log_subject_cpr", "cpr_access_log", ["subject_cpr"])
