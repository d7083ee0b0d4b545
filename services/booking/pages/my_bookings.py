"""Mine aftaler: the citizen's own bookings and what they may still do with each (view data,
in the page's ``locale``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.booking import queries, waiting_list
from services.booking.changes import NO_CANCELLATION, NO_REBOOKING, last_rebooking_day
from services.booking.models import Booking, GroupMeetingView, OfferView, WaitingListEntry
from services.booking.pages.views import channel_text, when_text
from shared import formatting as fmt
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.i18n import DANISH, N_, translate, translations
from shared.timeutil import zone

EARLIER_SHOWN = 20
"""How many past or cancelled meetings Mine aftaler lists."""
CLOSED = N_("Mødet kan ikke flyttes lige nu, fordi tilbuddet er lukket for booking. Kontakt dit jobcenter.")


def _move(booking: Booking, offer: OfferView | None, now: datetime, locale: str) -> tuple[bool, str | None, str | None]:
    """May the active, future ``booking`` be moved now; if not, why; if so, until when."""
    tr = translations(locale)
    deadline = last_rebooking_day(booking, offer)
    if deadline is None:
        return False, translate(NO_REBOOKING, locale), None
    last = {"date": fmt.long_date((deadline - timedelta(days=1)).date(), locale)}
    if now >= deadline:
        return (
            False,
            tr.gettext("Mødet kan ikke flyttes længere: fristen var %(date)s. Kontakt dit jobcenter.") % last,
            None,
        )
    if offer is None or not queries.is_bookable(offer, now, offer.meeting_form):
        return False, translate(CLOSED, locale), None
    return True, None, tr.gettext("Du kan flytte mødet til og med %(date)s.") % last


def booking_actions(booking: Booking, offer: OfferView | None, now: datetime, locale: str = DANISH) -> dict[str, Any]:
    """Whether the citizen may move and cancel ``booking`` now, and if not, why."""
    if booking.cancelled_at is not None or booking.start_at <= now:
        return {"can_move": False, "move_reason": None, "last_move": None, "can_cancel": False, "cancel_reason": None}
    can_move, move_reason, last_move = _move(booking, offer, now, locale)
    return {
        "can_move": can_move,
        "move_reason": move_reason,
        "last_move": last_move,
        "can_cancel": booking.accept_cancellation,
        "cancel_reason": None if booking.accept_cancellation else translate(NO_CANCELLATION, locale),
    }


def my_bookings(
    session: Session, settings: Settings, cpr: Cpr, now: datetime, locale: str = DANISH
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The citizen's upcoming meetings (soonest first) and the past or cancelled ones (latest
    first, at most ``EARLIER_SHOWN``). A moved booking is left out: the booking it became
    stands for it."""
    indexes = vault_for_settings(settings).indexes(cpr)
    rows = session.scalars(
        select(Booking)
        .where(
            Booking.citizen_cpr_index.in_(indexes),
            Booking.held_until.is_(None),
            Booking.rebooked_to_id.is_(None),
        )
        .order_by(Booking.start_at)
    ).all()
    ids = {r.offer_id for r in rows}
    offers = {o.id: o for o in session.scalars(select(OfferView).where(OfferView.id.in_(ids)))} if ids else {}
    tr = translations(locale)
    upcoming, earlier = [], []
    for booking in rows:
        offer = offers.get(booking.offer_id)
        tz = queries.offer_zone(offer) if offer else zone(settings.timezone)
        item = {
            "id": booking.id,
            "offer_id": booking.offer_id,
            "name": offer.name if offer else tr.gettext("Møde"),
            "channel": channel_text(offer, locale) if offer else None,
            "when": when_text(booking.start_at.astimezone(tz), booking.end_at.astimezone(tz), locale),
            "reference": booking.reference,
            "seat": booking.group_meeting_id is not None,
            "actions": booking_actions(booking, offer, now, locale),
            "status": tr.gettext("Aflyst") if booking.cancelled_at is not None else tr.gettext("Overstået"),
        }
        (upcoming if booking.cancelled_at is None and booking.start_at > now else earlier).append(item)
    return upcoming, earlier[::-1][:EARLIER_SHOWN]


def my_waiting_lists(session: Session, settings: Settings, cpr: Cpr, locale: str = DANISH) -> list[dict[str, Any]]:
    """The waiting lists the citizen is on (afventerliste): the meeting, and their place in
    line or until when the seat freed for them is held."""
    indexes = vault_for_settings(settings).indexes(cpr)
    query = (
        select(WaitingListEntry, OfferView, GroupMeetingView)
        .join(OfferView, OfferView.id == WaitingListEntry.offer_id)
        .join(GroupMeetingView, GroupMeetingView.id == WaitingListEntry.group_meeting_id)
        .where(WaitingListEntry.citizen_cpr_index.in_(indexes), WaitingListEntry.status.in_(waiting_list.ACTIVE))
    )
    found = []
    for entry, offer, meeting in session.execute(query.order_by(GroupMeetingView.start_at)).all():
        tz = queries.offer_zone(offer)
        until = entry.offer_expires_at.astimezone(tz) if entry.offer_expires_at else None
        found.append({
            "name": offer.name, "offer_id": offer.id,
            "when": when_text(meeting.start_at.astimezone(tz), meeting.end_at.astimezone(tz), locale),
            "position": waiting_list.position(session, entry),
            "until": fmt.moment(until, locale) if until else None,
        })  # fmt: skip
    return found
