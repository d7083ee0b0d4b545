"""The writes of offers (O-1 to O-10, V-5, V-6), each in the caller's transaction (a
Session), the same for the JSON API and the staff pages.

Each operation checks its input, raises ``shared.errors`` with Danish messages (field
problems as one ``ValidationFailed`` listing every field), changes the rows and records
the events that announce the change in the same transaction (``shared.outbox``).

The operations take the caller's ``Scope`` (``services.offers.access``): an offer's team,
room and advisors of centres the caller cannot see are answered as absent, and the write is
refused (403) at a centre they may only read. The offer in the path is checked by the route.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, object_session

from services.offers.access import Scope
from services.offers.events import announce_offer
from services.offers.lookup import get_or_404
from services.offers.models import Advisor, JobCentre, Offer, OfferAdvisor, Room, Team
from services.offers.offers.fields import default_phone, default_place, offer_fields, offer_state
from services.offers.offers.revisions import Editor, offer_values, record_changes, record_creation
from services.offers.offers.targets import refresh_targets
from services.offers.rules.reference import lock_reference_lists
from shared import events as ev
from shared.timeutil import utcnow


def _set_advisors(offer: Offer, advisor_ids: list[uuid.UUID]) -> None:
    """Keep existing links (a delete and re-insert of one pair in a flush would collide)."""
    existing = {link.advisor_id: link for link in offer.advisor_links}
    links = []
    for position, ident in enumerate(advisor_ids):
        link = existing.get(ident) or OfferAdvisor(advisor_id=ident)
        link.position = position
        links.append(link)
    offer.advisor_links = links


def _named_centre(session: Session, data: Mapping[str, Any], scope: Scope) -> JobCentre | None:
    """The job centre an offer body names (``job_centre_id``, else the team's), if visible."""
    for model, field in ((JobCentre, "job_centre_id"), (Team, "team_id")):
        try:
            row = session.get(model, uuid.UUID(str(data[field])))
        except (KeyError, ValueError):
            continue
        if row is None:
            return None
        centre = row if isinstance(row, JobCentre) else session.get(JobCentre, row.job_centre_id)
        return centre if centre is not None and scope.sees(centre.code) else None
    return None


def create_offer(
    session: Session, data: Mapping[str, Any], *, scope: Scope, editor: Editor | None = None, today: date | None = None
) -> Offer:
    """Create an individual offer (O-1, O-3, O-6 to O-10) and emit ``offer.published``.

    ``job_centre_id`` may be left out (it is the team's); ``opens_on`` defaults to today in
    the centre's time zone; ``place`` to the room's address; a phone offer's ``phone`` to
    the first advisor's phone, else the team's. ``rules`` (participant rules, R-1 to R-4) are
    required and ``marker_routes`` (R-5) optional; both are checked against the reference
    lists the centre may use, holding them steady meanwhile. ``editor`` is who made it (the
    first line of the revision log).

    The caller needs ``scope``'s action at the offer's job centre (403 where they may only
    read); a team, room, advisor or centre of a centre they cannot see is reported as absent.
    """
    named = _named_centre(session, data, scope)
    if named is not None:
        scope.check(named.code)
    lock_reference_lists(session, exclusive=False)
    fields, centre, advisor_ids = offer_fields(session, data, today=today, sees=scope.sees_row(session))
    scope.check(centre.code)  # again, on the centre the checks settled on
    now, editor = utcnow(), editor or Editor()
    offer = Offer(job_centre=centre, created_at=now, updated_at=now, updated_by=editor.actor, **fields)
    _set_advisors(offer, advisor_ids)
    refresh_targets(offer)
    session.add(offer)
    session.flush()
    record_creation(session, offer, editor, now)
    announce_offer(session, offer, ev.OFFER_PUBLISHED)
    return _shown(offer)


def update_offer(
    session: Session,
    offer_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    scope: Scope,
    editor: Editor | None = None,
) -> Offer:
    """Change the given fields of an offer (PATCH; activating and deactivating, V-5, is a
    change of ``active``) and emit ``offer.changed`` when anything changed.

    The whole offer is checked again after the change, so no edit can leave it invalid
    (its rules too, against today's reference lists; rules cannot be removed, but an offer
    from before rules existed may be edited without adding them). A place or phone that was
    the default (room's address; advisor's or team's phone) follows a changed room, advisor
    or team. A room, team or advisor of a centre the caller cannot see (``scope``) is
    reported as absent; the route has checked the caller's right to change this offer.
    Each changed field is a line of the revision log, by ``editor``.
    """
    lock_reference_lists(session, exclusive=False)
    offer = get_or_404(session, Offer, offer_id, "Tilbuddet findes ikke.", lock=True)
    before, values = offer_state(offer), offer_values(offer)
    fields, _, advisor_ids = offer_fields(session, changes, previous=offer, sees=scope.sees_row(session))
    for key, value in fields.items():
        setattr(offer, key, value)
    _set_advisors(offer, advisor_ids)
    if offer_state(offer) == before:
        return _shown(offer)
    editor = editor or Editor()
    offer.updated_at, offer.updated_by = utcnow(), editor.actor
    refresh_targets(offer)
    session.flush()
    record_changes(session, offer, values, editor, offer.updated_at)
    announce_offer(session, offer, ev.OFFER_CHANGED)
    return _shown(offer)


def _shown(offer: Offer) -> Offer:
    """The offer with its type's name read again from the database (a written offer's answer
    shows it after the session closed)."""
    session = object_session(offer)
    if session is not None:
        session.flush()
        session.refresh(offer, ["conversation_type_name"])
    return offer


Defaults = tuple[str | None, str | None]
"""An offer's default place and phone (``defaults_of``)."""


def defaults_of(session: Session, offer: Offer) -> Defaults:
    """The place and phone ``offer`` has by default: its room's address (in person), its
    first advisor's phone or else its team's (phone, O-4)."""
    room = session.get(Room, offer.room_id) if offer.room_id else None
    first = [a for a in (session.get(Advisor, i) for i in offer.advisor_ids[:1]) if a is not None]
    return default_place(offer.channel, room), default_phone(offer.channel, first, session.get(Team, offer.team_id))


def follow_defaults(
    session: Session, offers: Sequence[Offer], before: Mapping[uuid.UUID, Defaults], *, editor: Editor | None = None
) -> list[Offer]:
    """After a room, team or advisor changed (its address or phone): each of ``offers``
    whose place or phone was the default before the change (``before``: ``defaults_of``
    each offer then) takes the new default, so citizens are sent to the new address or
    called from the new number. A place or phone staff wrote themselves stays. Each change
    is a line of the revision log, by ``editor``, and an ``offer.changed``; returns the
    offers changed."""
    changed: list[Offer] = []
    for offer in offers:
        session.refresh(offer, with_for_update=True)
        old_place, old_phone = before[offer.id]
        new_place, new_phone = defaults_of(session, offer)
        values = offer_values(offer)
        if old_place is not None and offer.place == old_place and new_place is not None:
            offer.place = new_place
        if old_phone is not None and offer.phone == old_phone and new_phone is not None:
            offer.phone = new_phone
        if offer_values(offer) == values:
            continue
        editor = editor or Editor()
        offer.updated_at, offer.updated_by = utcnow(), editor.actor
        session.flush()
        record_changes(session, offer, values, editor, offer.updated_at)
        announce_offer(session, offer, ev.OFFER_CHANGED)
        changed.append(offer)
    return changed
