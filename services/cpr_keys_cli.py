"""``planner rotate-cpr-keys``: every stored CPR number under the current key of ``PLANNER_CPR_KEYS``.

Rotating the CPR keys (``shared.cpr_vault``): put a new key first (``PLANNER_CPR_KEYS=NEW,OLD``)
on every offers and booking process and restart them; from then on new rows use NEW, and
look-ups find rows under either key. Then run this command: it re-seals every sealed CPR
number with NEW (``MultiFernet.rotate``) and recomputes every index under NEW, in the booking
database (bookings, citizen profiles, the CPR access log, citizens' browser sessions) and
the offers database (the CPR access log, browser sessions). It may run while the services
serve, and again: rows already under NEW are left alone. When it reports nothing left,
remove OLD (``PLANNER_CPR_KEYS=NEW``) and restart.

A row is changed only if it still holds what was read (a concurrent change wins, the next
run takes it). A sealed number that no key opens, or a booking or profile whose new index
is already taken (the same citizen twice, only possible while some process ran without
NEW), is counted and left as it is; the command then exits non-zero and OLD must stay.
Nothing is logged or printed about any citizen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import click
from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError

from shared.cpr_vault import CprKeysMissing, CprUnreadable, CprVault, vault_for_settings
from shared.db import Database

BATCH = 500
CITIZEN = "citizen"


@dataclass(frozen=True)
class SealedColumns:
    """Where one table keeps CPR numbers: its row key, the index column (None: no index)
    and the sealed column; ``unique``: a unique index covers the index column."""

    table: Table
    key: str
    index: str | None
    sealed: str
    unique: bool = False


@dataclass
class TableResult:
    """What a rotation did to one table (``label``: ``database.table``)."""

    label: str
    rotated: int = 0
    current: int = 0
    unreadable: int = 0
    conflicts: int = 0

    @property
    def left_behind(self) -> int:
        return self.unreadable + self.conflicts


def booking_columns() -> list[SealedColumns]:
    from services.booking.models import Booking, CitizenProfileRow, CprAccessLog

    return [
        SealedColumns(Booking.__table__, "id", "citizen_cpr_index", "citizen_cpr_sealed", unique=True),  # type: ignore[arg-type]
        SealedColumns(CitizenProfileRow.__table__, "cpr_index", "cpr_index", "cpr_sealed", unique=True),  # type: ignore[arg-type]
        SealedColumns(CprAccessLog.__table__, "id", "subject_cpr_index", "subject_cpr_sealed"),  # type: ignore[arg-type]
    ]


def offers_columns() -> list[SealedColumns]:
    from services.offers.models import CprAccessLog

    return [SealedColumns(CprAccessLog.__table__, "id", "subject_cpr_index", "subject_cpr_sealed")]  # type: ignore[arg-type]


def _key_batches(db: Database, spec: SealedColumns) -> Iterator[list[Any]]:
    """The row keys of ``spec.table``, ``BATCH`` at a time. A key that is itself the index
    changes under the rotation, so those keys are all read first; others are paged."""
    key = spec.table.c[spec.key]
    if spec.key == spec.index:
        with db.transaction() as session:
            keys = list(session.scalars(select(key).order_by(key)))
        for start in range(0, len(keys), BATCH):
            yield keys[start : start + BATCH]
        return
    last: Any = None
    while True:
        query = select(key).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        with db.transaction() as session:
            keys = list(session.scalars(query))
        if not keys:
            return
        yield keys
        last = keys[-1]


def rotate_table(db: Database, spec: SealedColumns, vault: CprVault, label: str) -> TableResult:
    """Re-seal and re-index every row of ``spec.table`` under ``vault``'s current key; one
    transaction per batch."""
    result = TableResult(label)
    table = spec.table
    key, sealed = table.c[spec.key], table.c[spec.sealed]
    index = table.c[spec.index] if spec.index else None
    for keys in _key_batches(db, spec):
        with db.transaction() as session:
            columns = [key, sealed] + ([index] if index is not None else [])
            for row in session.execute(select(*columns).where(key.in_(keys))).all():
                row_key, token = row[0], row[1]
                try:
                    cpr = vault.unseal(token)
                except CprUnreadable:
                    result.unreadable += 1
                    continue
                values: dict[str, str] = {}
                if index is not None and row[2] != vault.index(cpr):
                    values[index.name] = vault.index(cpr)
                if values or not vault.is_current(token):
                    values[sealed.name] = vault.rotate(token)
                if not values:
                    result.current += 1
                    continue
                statement = update(table).where(key == row_key, sealed == token).values(values)
                if spec.unique:
                    try:
                        with session.begin_nested():
                            session.execute(statement)
                    except IntegrityError:
                        result.conflicts += 1
                        continue
                else:
                    session.execute(statement)
                result.rotated += 1
    return result


def rotate_sessions(db: Database, model: Any, vault: CprVault, label: str) -> TableResult:
    """Re-seal the CPR number of every citizen's browser session under the current key."""
    result = TableResult(label)
    last: str | None = None
    while True:
        query = select(model.id_hash, model.principal).where(model.principal.is_not(None))
        query = query.order_by(model.id_hash).limit(BATCH)
        if last is not None:
            query = query.where(model.id_hash > last)
        with db.transaction() as session:
            rows = session.execute(query).all()
            for id_hash, principal in rows:
                if not (isinstance(principal, dict) and principal.get("kind") == CITIZEN and "cpr_sealed" in principal):
                    continue
                token = str(principal["cpr_sealed"])
                if vault.is_current(token):
                    result.current += 1
                    continue
                try:
                    rotated = vault.rotate(token)
                except CprUnreadable:
                    result.unreadable += 1  # such a session is anonymous already; it expires
                    continue
                changed = principal | {"cpr_sealed": rotated}
                session.execute(update(model).where(model.id_hash == id_hash).values(principal=changed))
                result.rotated += 1
        if not rows:
            return result
        last = rows[-1][0]


def rotate_database(
    url: str, name: str, columns: Sequence[SealedColumns], session_model: Any, vault: CprVault
) -> list[TableResult]:
    """Every table of one service's database (``name``) that keeps CPR numbers."""
    db = Database(url, hide_parameters=True)
    try:
        results = [rotate_table(db, spec, vault, f"{name}.{spec.table.name}") for spec in columns]
        results.append(rotate_sessions(db, session_model, vault, f"{name}.{session_model.__tablename__}"))
        return results
    finally:
        db.dispose()


def rotate_cpr_numbers(settings: Any, services: Sequence[str] = ("booking", "offers")) -> list[TableResult]:
    """Rotate the CPR numbers of ``services``' databases with ``settings``' ``cpr_keys``
    (``CprKeysMissing`` without them)."""
    vault = vault_for_settings(settings)
    results: list[TableResult] = []
    if "booking" in services:
        from services.booking.models import WebSession as BookingSession

        results += rotate_database(settings.booking_database_url, "booking", booking_columns(), BookingSession, vault)
    if "offers" in services:
        from services.offers.models import WebSession as OffersSession

        results += rotate_database(settings.offers_database_url, "offers", offers_columns(), OffersSession, vault)
    return results


@click.command(name="rotate-cpr-keys")
@click.option(
    "--service",
    type=click.Choice(["booking", "offers", "all"]),
    default="all",
    show_default=True,
    help="Whose database to rotate.",
)
def rotate_cpr_keys(service: str) -> None:
    """Re-seal and re-index every stored CPR number with the first key of PLANNER_CPR_KEYS;
    afterwards the older keys can be removed."""
    from shared.config import get_settings

    services = ("booking", "offers") if service == "all" else (service,)
    try:
        results = rotate_cpr_numbers(get_settings(), services)
    except CprKeysMissing as exc:
        raise click.ClickException(exc.detail) from None
    for result in results:
        click.echo(
            f"{result.label}: krypteret og indekseret igen med den første nøgle: {result.rotated}; "
            f"allerede med den første nøgle: {result.current}"
        )
    problems = [
        f"{result.label}: {result.unreadable} kan ikke dekrypteres med nogen af nøglerne, "
        f"{result.conflicts} findes allerede under den nye nøgle"
        for result in results
        if result.left_behind
    ]
    if problems:
        raise click.ClickException(
            "Nogle CPR-numre er ikke flyttet til den første nøgle, så de ældre nøgler skal blive i "
            "PLANNER_CPR_KEYS: " + "; ".join(problems) + "."
        )
