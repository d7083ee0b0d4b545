"""A citizen cancels (B-3) or moves (B-4) their own booking.

Both take a Session inside the caller's transaction, lock the booking row and raise
shared.errors with Danish messages. Only the booking's own citizen may change it, and
only while it is active and its meeting has not begun. The terms are the booking's own,
copied from the offer on the booking day (V-6): an offer that changed its cancellation
or rebooking settings later changes nothing here.

Rebooking deadline ("until N days before the meeting", O-10): the citizen may move the
booking while today's date in the offer's time zone is on or before the meeting's local
date minus N days. With N = 2 and a meeting on Thursday 10 December, the last day to
move it is Tuesday 8 December (all day); N = 0 allows it until the meeting begins.

A rebooking is one transaction: the old booking is marked cancelled and pointed at the
new one (``rebooked_to_id``), then the new one is placed under every rule of a new
booking (``operations.place_booking``: opened offer, eligibility on the day, notice,
period, personal deadline, free time, exclusion constraint). Any refusal rolls the whole
transaction back, so the old booking stays as it was. Because the old booking is marked
first, the citizen may move to a time that overlaps their own old meeting, and the
one-active-booking-per-offer guard does not count the booking being moved.

The new booking gets its own id and a new reference (the references stay unique and an
event in the advisor's calendar names exactly one booking); it keeps the old booking's
terms, not the offer's terms of today: moving a meeting does not make it a new
agreement (V-6).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.booking import free_time_versions
from services.booking.mail.queue import queue_booking_mail
from services.booking.models import Booking, OfferView, OutboxMessage
from services.booking.operations import booking_payload, checked_request, place_booking
from services.booking.queries import bookable_offer
from services.booking.seats import announce_seats, give_back_seat, place_seat
from services.booking.waiting_list import offer_freed_seats
from shared import events as ev
from shared.audit import current_cpr_vault
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import CprVault, vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, Forbidden, NotFound, UserError
from shared.i18n import N_, nN_
from shared.outbox import record_event
from shared.timeutil import local_midnight, utcnow, zone

log = logging.getLogger(__name__)

BOOKING_NOT_FOUND = N_("Bookingen findes ikke.")
NOT_YOUR_BOOKING = N_("Bookingen er ikke din. Du kan kun ændre dine egne bookinger.")
ALREADY_CANCELLED = N_("Bookingen er allerede aflyst.")
ALREADY_MOVED = N_("Bookingen er allerede flyttet til en anden tid. Ændr den nye booking i stedet.")
MEETING_BEGUN = N_("Mødet er allerede begyndt eller overstået, så bookingen kan ikke længere ændres.")
NO_CANCELLATION = N_(
    "Bookingen kan ikke aflyses her: tilbuddet tillod ikke aflysning, da du bookede. Kontakt dit jobcenter."
)
NO_REBOOKING = N_("Bookingen kan ikke flyttes: tilbuddet tillod ikke ombooking, da du bookede. Kontakt dit jobcenter.")
SAME_TIME = N_("Du har allerede denne tid. Vælg en anden tid at flytte mødet til.")
CHOOSE_A_MEETING = N_("Din booking er en plads ved et fællesmøde. Vælg et andet møde at flytte den til.")
CHOOSE_A_TIME = N_("Din booking er en individuel samtale. Vælg en anden tid at flytte den til.")
SAME_MEETING = N_("Du har allerede en plads ved dette møde. Vælg et andet møde at flytte til.")


def _own_active_booking(session: Session, booking_id: uuid.UUID, cpr: Cpr, now: datetime, vault: CprVault) -> Booking:
    """The booking, locked; refused unless it is the citizen's (its index is ``cpr``'s under
    one of ``vault``'s keys), active and not begun."""
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or booking.held_until is not None:  # a hold is not a booking
        raise NotFound(BOOKING_NOT_FOUND)
    if not vault.matches(booking.citizen_cpr_index, cpr):
        raise Forbidden(NOT_YOUR_BOOKING, code="not_your_booking")
    if booking.rebooked_to_id is not None:
        raise Conflict(ALREADY_MOVED, code="already_rebooked", extra={"rebooked_to": str(booking.rebooked_to_id)})
    if booking.cancelled_at is not None:
        raise Conflict(ALREADY_CANCELLED, code="already_cancelled")
    if booking.start_at <= now:
        raise Conflict(MEETING_BEGUN, code="meeting_begun")
    return booking


def cancel_booking(
    session: Session,
    booking_id: uuid.UUID,
    cpr: Cpr,
    now: datetime | None = None,
    *,
    vault: CprVault | None = None,
    settings: Settings | None = None,
) -> Booking:
    """Cancel the citizen's booking (B-3); its time is free again at once. ``vault`` tells
    whose booking it is (default: the running service's, ``current_cpr_vault``).

    NotFound for an unknown booking; Forbidden when it is another citizen's, or when the
    offer did not accept cancellation on the booking day; Conflict when it is cancelled or
    moved already (a repeated request) or its meeting has begun. ``booking.cancelled``
    goes to the outbox in the same transaction; it never holds the CPR. With ``settings``,
    a booking with an e-mail address gets the cancellation by e-mail (``mail.queue``). A
    freed seat at a group meeting goes first to its waiting list (``waiting_list``).
    """
    now = now or utcnow()
    booking = _own_active_booking(session, booking_id, cpr, now, vault or current_cpr_vault())
    if not booking.accept_cancellation:
        raise Forbidden(NO_CANCELLATION, code="cancellation_not_allowed")
    booking.cancelled_at = now
    session.flush()
    if booking.group_meeting_id is not None:  # a seat at a group meeting: the seat is free at once
        taken = give_back_seat(session, booking.group_meeting_id)
        offer_freed_seats(session, settings, booking.group_meeting_id, now)  # first to the waiting list
        announce_seats(session, booking.offer_id, booking.group_meeting_id, taken, now)
    else:
        free_time_versions.touch(session, booking.advisor_id)
        payload = ev.BookingCancelledPayload(
            booking_id=str(booking.id),
            offer_id=str(booking.offer_id),
            advisor_id=str(booking.advisor_id),
            cancelled_at=now,
        )
        record_event(session, OutboxMessage, payload.envelope(ev.BOOKING_CANCELLED))
    offer = session.get(OfferView, booking.offer_id)
    if settings is not None and offer is not None:
        queue_booking_mail(session, settings, "cancelled", booking, offer, now=now)
    log.info("booking %s cancelled (offer %s)", booking.reference, booking.offer_id)
    return booking


def last_rebooking_day(booking: Booking, offer: OfferView | None) -> datetime | None:
    """The end of the last day the booking may be moved (local midnight after it, in the
    offer's zone), or None when its terms allow no rebooking. See the module's docstring."""
    if booking.rebooking_days_before is None:
        return None
    tz = zone(offer.timezone if offer is not None else None)
    last_day = booking.start_at.astimezone(tz).date() - timedelta(days=booking.rebooking_days_before)
    return local_midnight(last_day + timedelta(days=1), tz)


def movable_booking(session: Session, booking_id: uuid.UUID, cpr: Cpr, now: datetime, vault: CprVault) -> Booking:
    """The citizen's booking, locked, if they may move it now: refused like ``cancel_booking``
    for another citizen's, an inactive or a begun booking; Forbidden when its terms allow no
    rebooking or today is past the last rebooking day (see the module's docstring)."""
    old = _own_active_booking(session, booking_id, cpr, now, vault)
    deadline = last_rebooking_day(old, session.get(OfferView, old.offer_id))
    if deadline is None:
        raise Forbidden(NO_REBOOKING, code="rebooking_not_allowed")
    if now >= deadline:
        last = (deadline - timedelta(days=1)).date()
        raise Forbidden(
            nN_(  # the Danish says "dage" even for 1, as it always has; the English has both forms
                "Fristen for at flytte mødet er overskredet. Mødet kunne flyttes til og med %(last)s "
                "(%(num)s dage før mødet). Kontakt dit jobcenter.",
                "Fristen for at flytte mødet er overskredet. Mødet kunne flyttes til og med %(last)s "
                "(%(num)s dage før mødet). Kontakt dit jobcenter.",
                old.rebooking_days_before,
                last=last,
            ),
            code="rebooking_too_late",
        )
    return old


def rebook_booking(
    session: Session,
    settings: Settings,
    booking_id: uuid.UUID,
    start: datetime,
    citizen: CitizenProfile,
    advisor_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move the citizen's booking to ``start`` in the same offer (B-4); returns the new booking.

    Refused like ``cancel_booking`` for another citizen's, an inactive or a begun booking;
    Forbidden when its terms allow no rebooking, or today is past the last rebooking day
    (see the module's docstring); UserError for the booking's own time; then every rule of
    a new booking applies (NotFound, Forbidden, UserError, Conflict from
    ``place_booking``). The old booking is kept unchanged whenever anything is refused.
    ``booking.rebooked`` (old id + the new booking) goes to the outbox; never the CPR.
    """
    cpr = checked_request(citizen, start)
    now = now or utcnow()
    old = movable_booking(session, booking_id, cpr, now, vault_for_settings(settings))
    if old.group_meeting_id is not None:
        raise Conflict(CHOOSE_A_MEETING, code="choose_a_meeting")
    if start == old.start_at and advisor_id in (None, old.advisor_id):
        raise UserError(SAME_TIME, code="same_time")
    offer = bookable_offer(session, old.offer_id, now)

    old.cancelled_at = now
    free_time_versions.touch(session, old.advisor_id)
    session.flush()  # the old booking's time and its one-per-offer place are free for the new one
    new = place_booking(
        session,
        settings,
        offer,
        start,
        citizen,
        advisor_id,
        now,
        terms=(old.accept_cancellation, old.rebooking_days_before),
    )
    new.email = old.email  # the citizen's address goes with the meeting
    old.rebooked_to_id = new.id
    session.flush()
    payload = ev.BookingRebookedPayload(
        old_booking_id=str(old.id), booking=booking_payload(new, offer), rebooked_at=now
    )
    record_event(session, OutboxMessage, payload.envelope(ev.BOOKING_REBOOKED))
    queue_booking_mail(session, settings, "rebooked", new, offer, old=old, now=now)
    log.info("booking %s moved to %s (offer %s, advisor %s)", old.reference, new.reference, offer.id, new.advisor_id)
    return new


def rebook_seat(
    session: Session,
    settings: Settings,
    booking_id: uuid.UUID,
    meeting_id: uuid.UUID,
    citizen: CitizenProfile,
    now: datetime | None = None,
) -> Booking:
    """Move the citizen's seat to another meeting of the same group offer (B-4, O-13); returns
    the new booking. Refused like ``rebook_booking`` (terms, deadline, another citizen's);
    then every rule of a seat booking applies, and the citizen may take an extra seat. The
    old seat is given back in the same transaction; any refusal keeps everything as it was.
    ``group_meeting.seats_changed`` goes out for both meetings; never the CPR."""
    if citizen.cpr is None:
        checked_request(citizen, utcnow())  # the missing number's problem
    assert citizen.cpr is not None
    now = now or utcnow()
    old = movable_booking(session, booking_id, citizen.cpr, now, vault_for_settings(settings))
    if old.group_meeting_id is None:
        raise Conflict(CHOOSE_A_TIME, code="choose_a_time")
    if old.group_meeting_id == meeting_id:
        raise UserError(SAME_MEETING, code="same_meeting")
    offer = bookable_offer(session, old.offer_id, now, "group")
    old.cancelled_at = now
    session.flush()  # the one-per-offer place is free for the new seat
    terms = (old.accept_cancellation, old.rebooking_days_before)
    # the two meetings' rows are locked in the order of their ids, so two citizens moving
    # the opposite ways wait for each other instead of deadlocking
    if str(old.group_meeting_id) < str(meeting_id):
        freed = give_back_seat(session, old.group_meeting_id)
        new, taken = place_seat(session, settings, offer, meeting_id, citizen, now, rebooking=True, terms=terms)
    else:
        new, taken = place_seat(session, settings, offer, meeting_id, citizen, now, rebooking=True, terms=terms)
        freed = give_back_seat(session, old.group_meeting_id)
    new.email = old.email
    old.rebooked_to_id = new.id
    session.flush()
    offer_freed_seats(session, settings, old.group_meeting_id, now)  # first to the waiting list
    announce_seats(session, offer.id, old.group_meeting_id, freed, now)
    announce_seats(session, offer.id, meeting_id, taken, now)
    queue_booking_mail(session, settings, "rebooked", new, offer, old=old, now=now)
    log.info("seat %s moved to %s (offer %s, meeting %s)", old.reference, new.reference, offer.id, meeting_id)
    return new
