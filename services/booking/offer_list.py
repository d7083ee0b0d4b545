"""The public list of bookable offers (GET /api/v1/offers), kept ready to serve (issue 12).

The list changes only when an offer does, and every applied offer event bumps the catalogue
version (``consumer.bump_catalogue``), or when a new day opens an offer (``opens_on``). So
each API process keeps the list's JSON with the version it was read under and the next
midnight of the offers' zones; a request reads the version (one statement, outside any
transaction) and serves the kept JSON while both hold. Every replica sees a change at once.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from services.booking.eligibility import CATALOGUE
from services.booking.models import CatalogueVersion, OfferView
from services.booking.queries import active_offers, is_bookable, offer_zone
from services.booking.schemas import OfferListOut, OfferOut
from shared.db import Database
from shared.shared_reads import SharedReads
from shared.timeutil import local_midnight, today_in

OFFER_FIELDS = tuple(name for name in OfferOut().fields if name != "eligibility_required")
"""The offer's columns an ``OfferOut`` shows (read once: a schema per offer cost a list its time)."""

_VERSION = select(CatalogueVersion.version).where(CatalogueVersion.name == CATALOGUE)


def offer_out(offer: OfferView) -> dict[str, Any]:
    """What ``OfferOut`` shows of the offer."""
    return {name: getattr(offer, name) for name in OFFER_FIELDS} | {"eligibility_required": True}


def catalogue_version(connection: Session | Connection) -> int:
    return int(connection.execute(_VERSION).scalar() or 0)


@dataclass(frozen=True)
class _Kept:
    version: int
    built_at: datetime
    fresh_until: datetime
    body: bytes


class PreparedOfferList:
    """The JSON of the bookable offers as ``OfferListOut`` writes it, per process."""

    def __init__(self) -> None:
        self._kept: _Kept | None = None
        self._lock = threading.Lock()
        self._version_reads = SharedReads[int]()
        self.builds = 0

    def current(self, db: Database, now: datetime) -> bytes:
        """The list's JSON, current in ``db`` at ``now``: kept while the catalogue version read
        after the call began is still its own (the threads asking at once share that read,
        ``SharedReads``) and its day lasts."""
        kept = self._kept
        if kept is not None:
            version = self._version_reads.get("catalogue", lambda: self._read_version(db))
            if version == kept.version and kept.built_at <= now < kept.fresh_until:
                return kept.body
        with db.transaction() as session:
            version = catalogue_version(session)  # before the offers it guards
            active = active_offers(session)
        offers = [offer for offer in active if is_bookable(offer, now)]  # as ``queries.bookable_offers``
        zones = {offer_zone(offer) for offer in active}  # a new day may open any of them
        midnights = [local_midnight(today_in(tz, now) + timedelta(days=1), tz) for tz in zones]
        dumped = OfferListOut().dump({"offers": [offer_out(o) for o in offers]})
        body = (json.dumps(dumped, separators=(",", ":"), sort_keys=True) + "\n").encode()
        fresh_until = min(midnights, default=now + timedelta(days=1))
        with self._lock:
            self._kept = _Kept(version, now, fresh_until, body)
            self.builds += 1
        return body

    @staticmethod
    def _read_version(db: Database) -> int:
        with db.single_read() as connection:
            return catalogue_version(connection)
