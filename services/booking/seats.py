"""Seats at group meetings (fællesmøder, O-12, O-13, B-6): the meetings a citizen may book,
booking a seat, and giving one back.

A seat is taken by one guarded statement, ``UPDATE group_meeting_view SET taken = taken + 1
WHERE .. AND taken < limit``: the database row lock puts concurrent requests for the last
seat one after another, and the second finds the limit reached. Nothing is checked first
and inserted after. A citizen booking for the first time may take the meeting's seats; one
who rebooks may also take its extra seats. The booking row is inserted in the same
transaction, under the table's one-booking-per-offer guard; any refusal rolls the seat back
with it. Each change announces the meeting's taken seats (``group_meeting.seats_changed``),
never who took them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.booking.eligibility import require_before_deadline, require_eligible
from services.booking.mail.queue import queue_booking_mail
from services.booking.models import Booking, GroupMeetingView, OfferView, OutboxMessage
from services.booking.operations import (
    check_period,
    checked_request,
    insert_booking,
    new_reference,
    refuse_booked_citizen,
)
from services.booking.pages.views import email_problem
from services.booking.queries import bookable_offer, booking_window, is_bookable, offer_zone
from shared import events as ev
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, NotFound, PlannerError, ValidationFailed
from shared.i18n import N_
from shared.outbox import record_event
from shared.timeutil import today_in, utcnow

log = logging.getLogger(__name__)

MEETING_NOT_FOUND = N_("Mødet findes ikke.")
MEETING_FULL = N_("Mødet er desværre fuldt. Vælg et andet møde.")
EMAIL_INVALID = N_("Skriv en gyldig e-mailadresse, f.eks. navn@eksempel.dk, eller lad feltet være tomt.")
FULL_FOR_STAFF = N_(
    "Mødet er fuldt. Skal borgeren have en plads ud over mødets pladser, så bekræft det (above_capacity)."
)
NOT_A_GROUP_OFFER = N_("Tilbuddet er en individuel samtale. Vælg en tid i stedet for et møde.")


def bookable_meetings(session: Session, settings: Settings, offer: OfferView, now: datetime) -> list[GroupMeetingView]:
    """The offer's meetings a citizen booking at ``now`` may choose: not cancelled, inside the
    offer's period with the notice, by start (full ones too: the page says they are full)."""
    window = booking_window(offer, settings, now)
    if window is None or offer.meeting_form != "group":
        return []
    query = select(GroupMeetingView).where(GroupMeetingView.offer_id == offer.id, GroupMeetingView.cancelled.is_(False))
    found = session.scalars(query.order_by(GroupMeetingView.start_at)).all()
    return [m for m in found if m.start_at > now and window.contains_instant(m.start_at)]


def bookable_group_offer(session: Session, offer_id: uuid.UUID, now: datetime) -> OfferView:
    """The group offer, or Conflict when it is a bookable individual offer, NotFound when it
    is unknown, inactive or not opened yet."""
    offer = session.get(OfferView, offer_id)
    if offer is not None and offer.meeting_form != "group" and is_bookable(offer, now):
        raise Conflict(NOT_A_GROUP_OFFER, code="not_a_group_offer")
    return bookable_offer(session, offer_id, now, "group")


def meeting_of(session: Session, offer: OfferView, meeting_id: uuid.UUID) -> GroupMeetingView:
    """The offer's meeting ``meeting_id``; NotFound when it is another's, unknown or cancelled."""
    meeting = session.get(GroupMeetingView, meeting_id)
    if meeting is None or meeting.offer_id != offer.id or meeting.cancelled:
        raise NotFound(MEETING_NOT_FOUND, code="meeting_unknown")
    return meeting


@dataclass(frozen=True)
class HandAdded:
    """Staff booking a seat for a citizen (V-7): who, why the offer's rules are set aside
    (``reason``; None: the rules apply), and whether above the seats (confirmed)."""

    actor: str
    reason: str | None = None
    above_capacity: bool = False

    @property
    def sets_aside(self) -> bool:
        """Whether a rule or the seats are set aside (what the booking records)."""
        return self.reason is not None or self.above_capacity


def take_seat(
    session: Session, meeting_id: uuid.UUID, *, extra: bool, above_capacity: bool = False, from_hold: bool = False
) -> int | None:
    """Take one seat of the meeting if one is left for this citizen (``extra``: a rebooking
    one, who may also take the extra seats; ``above_capacity``: staff confirmed a seat beyond
    them all; ``from_hold``: the seat held for the citizen from the waiting list); the seats
    now taken, or None when full. Seats held for the waiting list are no one else's."""
    limit = GroupMeetingView.seats + (GroupMeetingView.extra_seats if extra else 0)
    guard = [GroupMeetingView.id == meeting_id, GroupMeetingView.cancelled.is_(False)]
    values = {"taken": GroupMeetingView.taken + 1}
    if from_hold:
        guard.append(GroupMeetingView.held > 0)
        values["held"] = GroupMeetingView.held - 1
    elif not above_capacity:
        guard.append(GroupMeetingView.taken + GroupMeetingView.held < limit)
    statement = (
        update(GroupMeetingView)
        .where(*guard)
        .values(**values)
        .returning(GroupMeetingView.taken)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).scalar_one_or_none()


def give_back_seat(session: Session, meeting_id: uuid.UUID) -> int:
    """Free one seat of the meeting (a cancelled or moved seat booking); the seats now taken."""
    statement = (
        update(GroupMeetingView)
        .where(GroupMeetingView.id == meeting_id, GroupMeetingView.taken > 0)
        .values(taken=GroupMeetingView.taken - 1)
        .returning(GroupMeetingView.taken)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).scalar_one_or_none() or 0)


def announce_seats(session: Session, offer_id: uuid.UUID, meeting_id: uuid.UUID, taken: int, now: datetime) -> None:
    """Tell the offers service and the calendar worker how many seats the meeting has taken."""
    payload = ev.GroupSeatsPayload(offer_id=str(offer_id), meeting_id=str(meeting_id), taken=taken, changed_at=now)
    record_event(session, OutboxMessage, payload.envelope(ev.GROUP_SEATS_CHANGED))


def check_seat_citizen(
    session: Session,
    settings: Settings,
    offer: OfferView,
    meeting: GroupMeetingView,
    citizen: CitizenProfile,
    now: datetime,
    *,
    set_aside_rules: bool = False,
) -> tuple[Cpr, list[str]]:
    """Refuse the citizen a seat at ``meeting`` unless they are eligible on the day (not
    checked with ``set_aside_rules``), the meeting is inside the offer's period with the
    1-day notice and before the citizen's personal deadline; the CPR number and its indexes."""
    cpr = checked_request(citizen, meeting.start_at)
    if not set_aside_rules:
        require_eligible(offer, citizen, today_in(offer_zone(offer), now))
    check_period(offer, settings, meeting.start_at, now)
    require_before_deadline(offer, citizen, meeting.start_at)
    indexes = vault_for_settings(settings).indexes(cpr)
    if len(indexes) > 1:
        refuse_booked_citizen(session, offer, indexes)  # rows under an older key escape the index
    return cpr, indexes


def place_seat(
    session: Session,
    settings: Settings,
    offer: OfferView,
    meeting_id: uuid.UUID,
    citizen: CitizenProfile,
    now: datetime,
    *,
    rebooking: bool = False,
    terms: tuple[bool, int | None] | None = None,
    by_hand: HandAdded | None = None,
    from_hold: bool = False,
) -> tuple[Booking, int]:
    """Check the citizen and the meeting (``check_seat_citizen``), take a seat and insert the
    booking; no event. ``rebooking``: the citizen moves a seat booking of this offer (already
    marked moved by the caller) and may take an extra seat; ``terms`` are then the old
    booking's (V-6). ``by_hand``: staff add the citizen (the rules set aside with a reason;
    above the seats when confirmed). ``from_hold``: the seat held for the citizen from the
    waiting list. Returns the booking and the meeting's seats now taken."""
    meeting = meeting_of(session, offer, meeting_id)
    set_aside = by_hand is not None and by_hand.reason is not None
    cpr, indexes = check_seat_citizen(session, settings, offer, meeting, citizen, now, set_aside_rules=set_aside)
    vault = vault_for_settings(settings)
    above = by_hand is not None and by_hand.above_capacity
    taken = take_seat(session, meeting.id, extra=rebooking, above_capacity=above, from_hold=from_hold)
    if taken is None:
        refuse_booked_citizen(session, offer, indexes)  # say why, rather than "full"
        if by_hand is not None:
            raise Conflict(FULL_FOR_STAFF, code="meeting_full")
        raise Conflict(MEETING_FULL, code="meeting_full")
    accept, days = terms or (offer.accept_cancellation, offer.rebooking_days_before)
    index, sealed = vault.index(cpr), vault.seal(cpr)
    for _attempt in range(5):  # a clash of the random reference (32^8 codes) is retried
        values: dict[str, object] = {
            "id": uuid.uuid4(), "reference": new_reference(), "offer_id": offer.id, "advisor_id": None,
            "group_meeting_id": meeting.id, "citizen_cpr_index": index, "citizen_cpr_sealed": sealed,
            "start_at": meeting.start_at, "end_at": meeting.end_at, "occupied_until": meeting.end_at,
            "accept_cancellation": accept, "rebooking_days_before": days, "created_at": now, "cancelled_at": None,
            "rebooked_to_id": None, "held_until": None, "rebooking_of_id": None, "email": None,
            "added_by": by_hand.actor if by_hand and by_hand.sets_aside else None,
            "override_reason": by_hand.reason if by_hand else None,
        }  # fmt: skip
        booking = insert_booking(session, values)
        if booking is not None:
            return booking, taken
        refuse_booked_citizen(session, offer, indexes)  # refused by the one-booking index: say so
    raise PlannerError(N_("Bookingen kunne ikke gemmes. Prøv igen."))


def book_seat(
    session: Session,
    settings: Settings,
    offer_id: uuid.UUID,
    meeting_id: uuid.UUID,
    citizen: CitizenProfile,
    now: datetime | None = None,
    *,
    email: str | None = None,
    by_hand: HandAdded | None = None,
) -> Booking:
    """Book a seat at a group meeting for ``citizen`` (B-2, B-6, O-12): the offer must be
    active and opened and a group offer, the meeting one of its meetings not cancelled
    (NotFound); then every rule of ``place_seat``; Conflict ``meeting_full`` when no seat
    is left for a first-time booker, ``already_booked`` when the citizen has a booking in
    the offer. The booking keeps the offer's terms of today (V-6). With ``email`` (checked:
    ValidationFailed), the confirmation is written to ``citizen_mail`` in the transaction."""
    now = now or utcnow()
    if email and email_problem(email):
        raise ValidationFailed(
            EMAIL_INVALID, extra={"errors": {"email": ["Skriv en gyldig e-mailadresse, f.eks. navn@eksempel.dk."]}}
        )
    offer = bookable_group_offer(session, offer_id, now)
    booking, taken = place_seat(session, settings, offer, meeting_id, citizen, now, by_hand=by_hand)
    booking.email = email or None
    if by_hand is not None and by_hand.sets_aside:
        log.info("seat %s added by hand by %s (rules set aside: %s, above the seats: %s)", booking.reference,
                 by_hand.actor, by_hand.reason is not None, by_hand.above_capacity)  # fmt: skip
    announce_seats(session, offer.id, meeting_id, taken, now)
    queue_booking_mail(session, settings, "confirmation", booking, offer, now=now)
    log.info("seat %s booked (offer %s, meeting %s)", booking.reference, offer.id, meeting_id)
    return booking
