"""The waiting list of a full group meeting (afventerliste, issue 14).

A citizen who may book the meeting but finds it full joins its list (one place per citizen
per offer, kept by a partial unique index; a citizen with a seat in the offer moves it
instead). When a seat is freed (a cancellation, a seat moved away, more seats from staff)
and someone waits, the seat is not given back to everyone: in the same transaction it is
held for the first on the list (``GroupMeetingView.held`` + 1, the entry ``offered`` until
``offer_expires_at``) and offered by e-mail with a link. The citizen takes it (the held seat
becomes theirs: ``seats.take_seat(from_hold=True)``, with every rule of a seat booking
checked again) or leaves the list; when the time runs out, ``pass_on_expired_offers`` (beat,
every minute) gives the seat to the next, or back to everyone when no one waits.

Holding happens under the meeting row's lock, which every seat booking's guarded update
takes too: a freed seat is never both held and taken. The hold lasts
``PLANNER_WAITING_LIST_HOLD_HOURS``, never past the last moment the meeting may be booked
(the notice), and an entry of a meeting that can no longer be booked is closed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking.mail.queue import queue_booking_mail, write_mail
from services.booking.mail.seat_offer import KIND, compose_seat_offer
from services.booking.models import OFFERED, WAITING, Booking, GroupMeetingView, OfferView, WaitingListEntry
from services.booking.operations import refuse_booked_citizen
from services.booking.pages.views import email_problem
from services.booking.queries import booking_window, offer_zone
from services.booking.seats import (
    EMAIL_INVALID,
    announce_seats,
    bookable_group_offer,
    check_seat_citizen,
    meeting_of,
    place_seat,
)
from shared.config import Settings, get_settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import N_
from shared.timeutil import local_midnight, utcnow

log = logging.getLogger(__name__)

ACTIVE = (WAITING, OFFERED)
NOT_ON_LIST = N_("Du står ikke på ventelisten.")
NO_LONGER_ON_LIST = N_("Du står ikke længere på ventelisten.")
SEATS_FREE = N_("Der er stadig ledige pladser ved mødet. Book en plads i stedet.")
ALREADY_WAITING = N_("Du står allerede på ventelisten til et møde i dette tilbud. Meld dig af den først.")
OFFER_GONE = N_("Pladsen er ikke længere holdt til dig: tiden til at tage den er udløbet.")
EMAIL_NEEDED = N_("Skriv din e-mailadresse. Bliver der en plads ledig, får du besked på e-mail.")


def _last_booking_moment(offer: OfferView, settings: Settings, meeting: GroupMeetingView) -> datetime:
    """The last instant a citizen may book ``meeting``: its start, or with the notice of N
    days the end of the local day N days before it."""
    notice = settings.booking_notice_days
    if notice <= 0:
        return meeting.start_at
    day = meeting.start_at.astimezone(offer_zone(offer)).date() - timedelta(days=notice - 1)
    return min(meeting.start_at, local_midnight(day, offer_zone(offer)))


def _still_bookable(offer: OfferView, settings: Settings, meeting: GroupMeetingView, now: datetime) -> bool:
    window = booking_window(offer, settings, now)
    return (
        offer.active and not meeting.cancelled and meeting.start_at > now
        and window is not None and window.contains_instant(meeting.start_at)
    )  # fmt: skip


def position(session: Session, entry: WaitingListEntry) -> int:
    """The entry's place in line (1: the next a freed seat goes to); 0 when it is not waiting."""
    if entry.status != WAITING:
        return 0
    ahead = select(func.count()).where(
        WaitingListEntry.group_meeting_id == entry.group_meeting_id,
        WaitingListEntry.status == WAITING,
        or_(
            WaitingListEntry.joined_at < entry.joined_at,
            (WaitingListEntry.joined_at == entry.joined_at) & (WaitingListEntry.id < entry.id),
        ),
    )
    return int(session.scalar(ahead) or 0) + 1


def entries_of(session: Session, meeting_id: uuid.UUID) -> Sequence[WaitingListEntry]:
    """The meeting's list as staff see it: the one offered a seat first, then in line."""
    query = select(WaitingListEntry).where(
        WaitingListEntry.group_meeting_id == meeting_id, WaitingListEntry.status.in_(ACTIVE)
    )
    entries = session.scalars(query.order_by(WaitingListEntry.joined_at, WaitingListEntry.id)).all()
    return sorted(entries, key=lambda e: e.status != OFFERED)


def active_entry(session: Session, settings: Settings, offer_id: uuid.UUID, cpr: Cpr) -> WaitingListEntry | None:
    """The citizen's place on a waiting list of the offer, if any."""
    query = select(WaitingListEntry).where(
        WaitingListEntry.offer_id == offer_id,
        WaitingListEntry.citizen_cpr_index.in_(vault_for_settings(settings).indexes(cpr)),
        WaitingListEntry.status.in_(ACTIVE),
    )
    return session.scalars(query).first()


def has_seat(session: Session, settings: Settings, offer_id: uuid.UUID, cpr: Cpr) -> bool:
    """Whether the citizen has an active booking in the offer (they move it instead of waiting)."""
    query = select(Booking.id).where(
        Booking.offer_id == offer_id,
        Booking.citizen_cpr_index.in_(vault_for_settings(settings).indexes(cpr)),
        Booking.cancelled_at.is_(None),
        Booking.held_until.is_(None),
    )
    return session.scalar(query.limit(1)) is not None


def join_waiting_list(
    session: Session,
    settings: Settings,
    offer_id: uuid.UUID,
    meeting_id: uuid.UUID,
    citizen: CitizenProfile,
    email: str,
    now: datetime | None = None,
) -> WaitingListEntry:
    """Put the citizen on the waiting list of the full meeting: the rules of a seat booking
    apply (the offer bookable, the meeting its own, eligibility, notice, period, deadline).
    ValidationFailed without a valid ``email``; Conflict ``seats_free`` when the citizen may
    book a seat now, ``already_booked`` when they have a seat in the offer, ``already_waiting``
    when they wait for a meeting of the offer already."""
    now = now or utcnow()
    email = (email or "").strip()
    if not email or email_problem(email):
        message = EMAIL_NEEDED if not email else EMAIL_INVALID
        raise ValidationFailed(message, extra={"errors": {"email": [message]}})
    offer = bookable_group_offer(session, offer_id, now)
    meeting = meeting_of(session, offer, meeting_id)
    cpr, indexes = check_seat_citizen(session, settings, offer, meeting, citizen, now)
    refuse_booked_citizen(session, offer, indexes)
    if meeting.free_seats > 0:
        raise Conflict(SEATS_FREE, code="seats_free")
    vault = vault_for_settings(settings)
    entry = WaitingListEntry(
        id=uuid.uuid4(), offer_id=offer.id, group_meeting_id=meeting.id, citizen_cpr_index=vault.index(cpr),
        citizen_cpr_sealed=vault.seal(cpr), email=email, joined_at=now, status=WAITING,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise Conflict(ALREADY_WAITING, code="already_waiting") from None
    log.info("waiting list: entry %s joined meeting %s", entry.id, meeting.id)
    return entry


def _own_entry(session: Session, settings: Settings, entry_id: uuid.UUID, cpr: Cpr) -> WaitingListEntry:
    entry = session.get(WaitingListEntry, entry_id, with_for_update=True)
    if entry is None or not vault_for_settings(settings).matches(entry.citizen_cpr_index, cpr):
        raise NotFound(NOT_ON_LIST, code="not_on_waiting_list")
    return entry


def offer_freed_seats(session: Session, settings: Settings | None, meeting_id: uuid.UUID, now: datetime) -> int:
    """Hold the meeting's free seats for the first citizens on its list and offer them each
    theirs by e-mail (see the module's docstring); the number of seats offered now."""
    settings = settings or get_settings()
    meeting = session.get(GroupMeetingView, meeting_id, with_for_update=True, populate_existing=True)
    if meeting is None:
        return 0
    offer = session.get(OfferView, meeting.offer_id)
    if offer is None or not _still_bookable(offer, settings, meeting, now):
        return 0
    offered = 0
    until = min(now + timedelta(hours=settings.waiting_list_hold_hours), _last_booking_moment(offer, settings, meeting))
    while meeting.free_seats > 0:
        first = session.scalars(
            select(WaitingListEntry)
            .where(WaitingListEntry.group_meeting_id == meeting.id, WaitingListEntry.status == WAITING)
            .order_by(WaitingListEntry.joined_at, WaitingListEntry.id)
            .limit(1)
            .with_for_update()
        ).first()
        if first is None:
            break
        meeting.held += 1
        first.status, first.offered_at, first.offer_expires_at = OFFERED, now, until
        session.flush()
        message = compose_seat_offer(offer, meeting, until, public_url=settings.booking_public_url)
        write_mail(session, settings, first.id, KIND, first.email, message, now)
        log.info("waiting list: seat of meeting %s held for entry %s until %s", meeting.id, first.id, until)
        offered += 1
    return offered


def _release_hold(session: Session, meeting_id: uuid.UUID) -> None:
    session.execute(
        update(GroupMeetingView)
        .where(GroupMeetingView.id == meeting_id, GroupMeetingView.held > 0)
        .values(held=GroupMeetingView.held - 1)
        .execution_options(synchronize_session=False)
    )


def take_offered_seat(
    session: Session, settings: Settings, entry_id: uuid.UUID, citizen: CitizenProfile, now: datetime | None = None
) -> Booking:
    """The citizen takes the seat held for them: every rule of a seat booking is checked
    again; NotFound when the entry is not theirs, Conflict ``seat_offer_expired`` when no seat
    is held for them (any more). The booking keeps the offer's terms of today and gets the
    confirmation at the list's e-mail address."""
    now = now or utcnow()
    if citizen.cpr is None:
        raise NotFound(NOT_ON_LIST, code="not_on_waiting_list")
    entry = _own_entry(session, settings, entry_id, citizen.cpr)
    if entry.status != OFFERED or entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise Conflict(OFFER_GONE, code="seat_offer_expired")
    offer = bookable_group_offer(session, entry.offer_id, now)
    booking, taken = place_seat(session, settings, offer, entry.group_meeting_id, citizen, now, from_hold=True)
    booking.email = entry.email
    entry.status, entry.ended_at, entry.booking_id = "booked", now, booking.id
    session.flush()
    announce_seats(session, offer.id, entry.group_meeting_id, taken, now)
    queue_booking_mail(session, settings, "confirmation", booking, offer, now=now)
    log.info("waiting list: entry %s took its seat as booking %s", entry.id, booking.reference)
    return booking


def leave_waiting_list(
    session: Session, settings: Settings, entry_id: uuid.UUID, cpr: Cpr, now: datetime | None = None
) -> WaitingListEntry:
    """The citizen leaves the list; a seat held for them goes to the next at once. NotFound
    when the entry is not theirs, Conflict ``not_waiting`` when it is no longer on the list."""
    now = now or utcnow()
    entry = _own_entry(session, settings, entry_id, cpr)
    if entry.status not in ACTIVE:
        raise Conflict(NO_LONGER_ON_LIST, code="not_waiting")
    was_offered = entry.status == OFFERED
    entry.status, entry.ended_at = "left", now
    session.flush()
    if was_offered:
        _release_hold(session, entry.group_meeting_id)
        offer_freed_seats(session, settings, entry.group_meeting_id, now)
    log.info("waiting list: entry %s left", entry.id)
    return entry


def close_waiting_list(session: Session, meeting: GroupMeetingView, now: datetime) -> int:
    """Close the meeting's list (it is cancelled, or can no longer be booked): no seat held."""
    closed = session.execute(
        update(WaitingListEntry)
        .where(WaitingListEntry.group_meeting_id == meeting.id, WaitingListEntry.status.in_(ACTIVE))
        .values(status="closed", ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    meeting.held = 0
    return int(closed or 0)


def pass_on_expired_offers(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Beat's round: every offer whose time ran out is expired and its seat offered to the next
    (or free for everyone), and the lists of meetings that can no longer be booked are closed;
    the number of offers expired."""
    now = now or utcnow()
    expired = session.scalars(
        select(WaitingListEntry)
        .where(WaitingListEntry.status == OFFERED, WaitingListEntry.offer_expires_at <= now)
        .order_by(WaitingListEntry.group_meeting_id, WaitingListEntry.offer_expires_at)
        .with_for_update(skip_locked=True)
    ).all()
    meetings = set()
    for entry in expired:
        entry.status, entry.ended_at = "expired", now
        _release_hold(session, entry.group_meeting_id)
        meetings.add(entry.group_meeting_id)
        log.info("waiting list: the seat offered to entry %s expired", entry.id)
    session.flush()
    waiting = select(WaitingListEntry.group_meeting_id).where(WaitingListEntry.status.in_(ACTIVE)).distinct()
    for meeting in session.scalars(select(GroupMeetingView).where(GroupMeetingView.id.in_(waiting))).all():
        offer = session.get(OfferView, meeting.offer_id)
        if offer is None or not _still_bookable(offer, settings, meeting, now):
            close_waiting_list(session, meeting, now)
            meetings.discard(meeting.id)
    for meeting_id in sorted(meetings, key=str):
        offer_freed_seats(session, settings, meeting_id, now)
    return len(expired)
