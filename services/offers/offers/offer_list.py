"""The offer list staff get from the API (GET /api/v1/offers, V-1 and V-2), read and written fast,
and kept (``PreparedOfferLists``) until an offer, its advisors or a job centre changes.

The list is what ``OfferList`` would make of ``queries.list_offers``, but read as plain rows
in one statement (on PostgreSQL the advisors come aggregated in their order; elsewhere, the
demo's SQLite, in a second) and written to JSON without building an ORM object or a schema
per offer: each field is converted as its ``OfferOut`` field would convert it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any

from marshmallow import fields
from sqlalchemy import Connection, Select, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg
from sqlalchemy.orm import Session

from services.offers.admin.conversation_types import type_names
from services.offers.models import Offer, OfferAdvisor, OfferListVersion
from services.offers.offers.queries import offers_query
from services.offers.offers.schemas import OfferOut
from shared.db import Database, dialect_name
from shared.shared_reads import SharedReads

CAPACITY = 256
"""Offer lists one process keeps (scopes times filters), the least recently served dropped first."""

COMPUTED = ("conversation_type_name", "advisor_ids")
"""``OfferOut`` fields that are no column of the offer."""


def _converter(field: fields.Field) -> Callable[[Any], Any]:
    if isinstance(field, fields.UUID):
        return _text
    if isinstance(field, fields.DateTime):
        return _iso
    if isinstance(field, fields.Date):
        return _iso
    return _same


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _same(value: Any) -> Any:
    return value


_FIELDS = OfferOut().fields
COLUMNS = [name for name in _FIELDS if name not in COMPUTED]
_CONVERT = [(name, _converter(_FIELDS[name])) for name in COLUMNS]


def offer_list_json(session: Session, *, centres: frozenset[str] | None, **filters: Any) -> bytes:
    """The JSON of ``OfferList`` for ``queries.list_offers`` with these arguments, encoded."""
    query: Select[Any] = offers_query(centres=centres, **filters)
    columns = [getattr(Offer, name) for name in COLUMNS]
    postgresql = dialect_name(session) == "postgresql"
    if postgresql:
        advisors = (
            select(array_agg(aggregate_order_by(OfferAdvisor.advisor_id, OfferAdvisor.position)))
            .where(OfferAdvisor.offer_id == Offer.id)
            .scalar_subquery()
        )
        rows = session.execute(query.with_only_columns(*columns, advisors)).all()
    else:
        rows = session.execute(query.with_only_columns(*columns)).all()
    links = {} if postgresql else _advisors(session, [row[COLUMNS.index("id")] for row in rows])
    types = type_names(session)
    items = []
    for row in rows:
        item = {name: convert(value) for (name, convert), value in zip(_CONVERT, row, strict=False)}
        item["conversation_type_name"] = types.get(item["conversation_type"])
        found = (row[-1] or []) if postgresql else links.get(item["id"], [])
        item["advisor_ids"] = [str(advisor) for advisor in found]
        items.append(item)
    return (json.dumps({"items": items}, separators=(",", ":"), sort_keys=True) + "\n").encode()


def _advisors(session: Session, offer_ids: list[uuid.UUID]) -> dict[str, list[uuid.UUID]]:
    """Each offer's advisors in staff's order (the second statement, off PostgreSQL)."""
    links: dict[str, list[uuid.UUID]] = {}
    query = select(OfferAdvisor.offer_id, OfferAdvisor.advisor_id).where(OfferAdvisor.offer_id.in_(offer_ids))
    for offer_id, advisor_id in session.execute(query.order_by(OfferAdvisor.offer_id, OfferAdvisor.position)):
        links.setdefault(str(offer_id), []).append(advisor_id)
    return links


_VERSION = select(OfferListVersion.version).where(OfferListVersion.id == 1)


def list_version(executor: Session | Connection) -> int:
    """The offer list's version: raised by the database's triggers at every committed change
    to an offer, its advisors or a job centre (``models.OfferListVersion``)."""
    return int(executor.execute(_VERSION).scalar_one())


class PreparedOfferLists:
    """The encoded offer lists one process served, per scope and filters, each kept with the
    version it was read under. A list is served again while the version read after the
    request began is still its own; the threads asking at once share that read
    (``SharedReads``). Any change committed anywhere before the request began is in the
    answer: the version is read before the list it guards, in the list's transaction."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.builds = 0
        self._kept: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._version_reads = SharedReads[int]()

    def body(self, db: Database, centres: frozenset[str] | None, filters: dict[str, Any]) -> bytes:
        """``offer_list_json`` for ``centres`` (None: every one) and ``filters``, kept or read anew."""
        key = (centres, tuple(sorted(filters.items())))
        kept = self._kept.get(key)
        if kept is not None and kept[0] == self._version_reads.get("version", lambda: self._read_version(db)):
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
            return kept[1]
        with db.transaction() as session:
            version = list_version(session)
            body = offer_list_json(session, centres=centres, **filters)
        with self._lock:
            self._kept[key] = (version, body)
            self._kept.move_to_end(key)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
            self.builds += 1
        return body

    @staticmethod
    def _read_version(db: Database) -> int:
        with db.single_read() as connection:
            return list_version(connection)
