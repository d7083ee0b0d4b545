"""The revision log of offers (V-7; the "audit" row of DOMAIN.md): every change to an offer,
its rules, terms, seats or activation, as who, when, field, old value and new value.

The operations write it in the same transaction as the change (``record_creation``,
``record_changes``); nothing changes or deletes a row (the database refuses to). Values are
stored as JSON text, so the page can show them as staff wrote them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.models import Offer, OfferRevision
from services.offers.offers.fields import OFFER_COLUMNS

REVISED = (*OFFER_COLUMNS, "advisor_ids")
"""The fields of an offer the log follows: everything staff can change."""
CREATED = "created"
MEETING = "meeting"
"""The field of a log line about one group meeting (added, moved, seats changed, cancelled)."""


@dataclass(frozen=True)
class Editor:
    """Who made a change: ``actor`` is the stable id (``staff:<user id>``, ``machine:<client
    id>``; ``None``: the system itself), ``name`` what staff read in the log."""

    actor: str | None = None
    name: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def offer_values(offer: Offer) -> dict[str, Any]:
    """The offer's revised fields as JSON values (dates as ISO text, ids as text)."""
    return {field: _plain(getattr(offer, field)) for field in REVISED}


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def record_creation(session: Session, offer: Offer, editor: Editor, at: datetime) -> None:
    """The first line of an offer's log: created by ``editor`` at ``at`` (with every value)."""
    session.add(
        OfferRevision(
            offer_id=offer.id, changed_at=at, actor=editor.actor, actor_name=editor.name, field=CREATED,
            old_value=None, new_value=_text(offer_values(offer)),
        )
    )  # fmt: skip


def record_meeting_change(
    session: Session,
    offer: Offer,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    editor: Editor,
    at: datetime,
) -> None:
    """A line of the offer's log about one of its meetings: ``before`` None when it was added."""
    session.add(
        OfferRevision(
            offer_id=offer.id, changed_at=at, actor=editor.actor, actor_name=editor.name, field=MEETING,
            old_value=None if before is None else _text(before), new_value=_text(after),
        )
    )  # fmt: skip


def record_changes(session: Session, offer: Offer, before: dict[str, Any], editor: Editor, at: datetime) -> list[str]:
    """One line per field whose value differs from ``before`` (``offer_values`` before the
    change); the fields changed, in ``REVISED`` order."""
    after = offer_values(offer)
    changed = [field for field in REVISED if before[field] != after[field]]
    for field in changed:
        session.add(
            OfferRevision(
                offer_id=offer.id, changed_at=at, actor=editor.actor, actor_name=editor.name, field=field,
                old_value=_text(before[field]), new_value=_text(after[field]),
            )
        )  # fmt: skip
    return changed


def revisions_of(session: Session, offer_id: uuid.UUID) -> Sequence[OfferRevision]:
    """The offer's log, newest first."""
    query = select(OfferRevision).where(OfferRevision.offer_id == offer_id)
    return session.scalars(query.order_by(OfferRevision.changed_at.desc(), OfferRevision.id.desc())).all()


def value_of(text: str | None) -> Any:
    """A stored value back as JSON (``None`` for none)."""
    return None if text is None else json.loads(text)
