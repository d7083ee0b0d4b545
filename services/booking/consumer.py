"""The events booking applies: offers (read model) and computed availability.

Each event is applied once (``apply_once`` records its id in the same transaction).
Events arrive in any order: an offer event older than the stored offer, or an
availability snapshot not newer than the stored one, changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.booking import free_time_versions
from services.booking.eligibility import CATALOGUE
from services.booking.mail.queue import queue_booking_mail
from services.booking.models import (
    AvailabilitySnapshot,
    BookableTime,
    Booking,
    CatalogueVersion,
    GroupMeetingView,
    OfferView,
    ProcessedEvent,
)
from services.booking.waiting_list import close_waiting_list, offer_freed_seats
from shared import events as ev
from shared.config import Settings
from shared.eligibility import parse_rules
from shared.events import Envelope
from shared.outbox import apply_known_event
from shared.service import ServiceContext

log = logging.getLogger(__name__)

SUPPORTED_VERSION = 1


def apply_offer(session: Session, envelope: Envelope, settings: Settings | None = None) -> None:
    """Insert or replace the offer, unless the stored one changed later.

    The participant rules are checked for their structure (the offers service checked the
    values against its reference lists); broken rules break the contract (ValueError).
    Every applied change bumps the catalogue version, so the API processes recompile. A
    group meeting cancelled by staff cancels its seat bookings; with ``settings`` their
    citizens are told by e-mail (``apply_meetings``).
    """
    payload = ev.OfferPayload.model_validate(envelope.payload)
    offer_id = uuid.UUID(payload.offer_id)
    rules = parse_rules(payload.rules, None).to_json() if payload.rules is not None else None
    routes = {code: [str(uuid.UUID(a)) for a in advisors] for code, advisors in payload.marker_routes.items()}
    offer = session.get(OfferView, offer_id, with_for_update=True)
    if offer is not None and offer.changed_at > payload.changed_at:
        log.info("ignoring %s %s: offer %s changed later", envelope.type, envelope.id, offer_id)
        return
    if offer is None:
        offer = OfferView(id=offer_id)
        session.add(offer)
    offer.job_centre_code = payload.job_centre_code
    offer.name = payload.name
    offer.description = payload.description
    offer.conversation_type = payload.conversation_type
    offer.variant = payload.variant
    offer.meeting_form = payload.meeting_form
    offer.channel = payload.channel
    offer.place = payload.place
    offer.phone = payload.phone
    offer.caller = payload.caller
    offer.duration_minutes = payload.duration_minutes
    offer.reporting_minutes = payload.reporting_minutes
    offer.start_minutes = list(payload.start_minutes)
    offer.first_meeting_date = payload.first_meeting_date
    offer.end_date = payload.end_date
    offer.rolling_weeks = payload.rolling_weeks
    offer.opens_on = payload.opens_on
    offer.timezone = payload.timezone
    offer.advisor_ids = [str(uuid.UUID(a)) for a in payload.advisor_ids]
    offer.citizen_may_choose_advisor = payload.citizen_may_choose_advisor
    offer.accept_cancellation = payload.accept_cancellation
    offer.rebooking_days_before = payload.rebooking_days_before
    offer.active = payload.active
    offer.changed_at = payload.changed_at
    offer.rules = rules
    offer.marker_routes = routes
    apply_meetings(session, offer, payload.meetings, payload.changed_at, settings)
    bump_catalogue(session)
    free_time_versions.touch(session, offer_id)


def apply_meetings(
    session: Session,
    offer: OfferView,
    meetings: list[ev.GroupMeetingPayload],
    changed_at: datetime,
    settings: Settings | None = None,
) -> None:
    """Insert or update the group offer's meetings; their taken seats are this service's own
    and stay. A meeting the offer no longer names stays too (the offers service keeps every
    meeting, cancelled ones as cancelled). A meeting that is cancelled now cancels its
    active seat bookings at ``changed_at``: its seats are released, and with ``settings``
    each citizen with an e-mail address gets the cancellation (``mail.queue``)."""
    offer_id = offer.id
    for meeting in meetings:
        meeting_id = uuid.UUID(meeting.meeting_id)
        row = session.get(GroupMeetingView, meeting_id, with_for_update=True)
        if row is None:
            row = GroupMeetingView(id=meeting_id, offer_id=offer_id, taken=0)
            session.add(row)
        elif row.offer_id != offer_id:
            raise ValueError(f"meeting {meeting_id} belongs to another offer")
        if (row.start_at, row.end_at) != (meeting.start, meeting.end) and row.taken:
            _move_seats(session, offer, row.id, meeting, settings)
        row.start_at, row.end_at = meeting.start, meeting.end
        newly_cancelled = meeting.cancelled and not row.cancelled
        more_seats = row.seats is not None and meeting.seats > row.seats
        row.seats, row.extra_seats, row.cancelled = meeting.seats, meeting.extra_seats, meeting.cancelled
        if newly_cancelled:
            _cancel_seats(session, offer, row, changed_at, settings)
            close_waiting_list(session, row, changed_at)
        elif more_seats:
            session.flush()
            offer_freed_seats(session, settings, row.id, changed_at)  # the new seats go first to the waiting list


def _move_seats(
    session: Session,
    offer: OfferView,
    meeting_id: uuid.UUID,
    meeting: ev.GroupMeetingPayload,
    settings: Settings | None,
) -> None:
    """Staff moved the meeting: its active seat bookings are at the new time, and with
    ``settings`` each citizen with an e-mail address is told (the new time, the old one, and
    the calendar file that moves it)."""
    active = select(Booking).where(Booking.group_meeting_id == meeting_id, Booking.cancelled_at.is_(None))
    for booking in session.scalars(active.with_for_update()):
        before = Booking(start_at=booking.start_at, end_at=booking.end_at)
        booking.start_at, booking.end_at, booking.occupied_until = meeting.start, meeting.end, meeting.end
        if settings is not None and booking.held_until is None:
            queue_booking_mail(session, settings, "moved", booking, offer, old=before, replace=True)


def _cancel_seats(
    session: Session, offer: OfferView, meeting: GroupMeetingView, at: datetime, settings: Settings | None
) -> None:
    """Cancel every active seat booking of the cancelled ``meeting`` and release its seats."""
    active = select(Booking).where(
        Booking.group_meeting_id == meeting.id, Booking.cancelled_at.is_(None), Booking.held_until.is_(None)
    )
    cancelled = list(session.scalars(active.with_for_update()))
    for booking in cancelled:
        booking.cancelled_at = at
        if settings is not None:
            queue_booking_mail(session, settings, "cancelled", booking, offer, now=at)
    meeting.taken = 0
    log.info("group meeting %s cancelled: %d seat bookings cancelled", meeting.id, len(cancelled))


def bump_catalogue(session: Session) -> None:
    """Tell every API process that the offers changed (``eligibility.EligibilityCache``)."""
    bumped = session.execute(
        update(CatalogueVersion).where(CatalogueVersion.name == CATALOGUE).values(version=CatalogueVersion.version + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        session.add(CatalogueVersion(name=CATALOGUE, version=1))


def apply_availability(session: Session, envelope: Envelope) -> None:
    """Replace the offer's bookable times when this snapshot is newer than the stored one.

    Each start keeps until when its advisor's calendar data is current
    (``calendar_valid_until``; none named: no bound), so ``queries`` stops offering it
    then, whether or not a newer snapshot ever comes."""
    payload = ev.AvailabilityPayload.model_validate(envelope.payload)
    offer_id = uuid.UUID(payload.offer_id)
    snapshot = session.get(AvailabilitySnapshot, offer_id, with_for_update=True)
    if snapshot is not None and snapshot.computed_at >= payload.computed_at:
        log.info("ignoring %s %s: offer %s has a newer snapshot", envelope.type, envelope.id, offer_id)
        return
    if snapshot is None:
        snapshot = AvailabilitySnapshot(offer_id=offer_id)
        session.add(snapshot)
    snapshot.computed_at = payload.computed_at
    snapshot.window_start = payload.window_start
    snapshot.window_end = payload.window_end
    session.execute(delete(BookableTime).where(BookableTime.offer_id == offer_id))
    free_time_versions.touch(session, offer_id)
    bound = {uuid.UUID(advisor): until for advisor, until in payload.calendar_valid_until.items()}
    rows = {(uuid.UUID(slot.advisor_id), slot.start) for slot in payload.slots}
    if rows:
        session.execute(
            insert(BookableTime),
            [
                {"offer_id": offer_id, "advisor_id": advisor, "start_at": start, "valid_until": bound.get(advisor)}
                for advisor, start in sorted(rows)
            ],
        )


APPLIERS: dict[str, Callable[[Session, Envelope], None]] = {
    ev.OFFER_PUBLISHED: apply_offer,
    ev.OFFER_CHANGED: apply_offer,
    ev.AVAILABILITY_COMPUTED: apply_availability,
}


def handle(context: ServiceContext, envelope: Envelope) -> bool:
    """Apply one incoming event; True when it was applied, False when skipped (see
    shared.outbox.apply_known_event). Offer events get the service's settings, for the
    e-mails of a cancelled group meeting."""
    with_mail = partial(apply_offer, settings=context.settings)
    appliers = {**APPLIERS, ev.OFFER_PUBLISHED: with_mail, ev.OFFER_CHANGED: with_mail}
    return apply_known_event(context.db, ProcessedEvent, appliers, envelope, SUPPORTED_VERSION)
