"""The events the offers service announces, built from its rows (contracts in shared.events)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session, object_session

from services.offers.models import Advisor, JobCentre, Offer, OutboxMessage, Room
from shared import events as ev
from shared.outbox import record_event
from shared.timeutil import today_in, zone
from shared.working_time import ClosingPolicy, closed_days

CLOSED_DAYS_AHEAD = timedelta(days=400)
"""How far ahead an advisor's closed days are sent: a year and more, so they cover the
longest availability horizon (Settings.availability_horizon_days <= 400)."""


def centre_closed_days(centre: JobCentre, today: date | None = None) -> list[date]:
    """Every day the job centre is closed from ``today`` on: Danish public holidays, those of
    Grundlovsdag, 24 and 31 December it chose to close, and its own closing days (A-3)."""
    first = today or today_in(zone(centre.timezone))
    policy = ClosingPolicy(
        closed_optional_days=frozenset(centre.closed_optional_days),
        local_closing_days=frozenset(d.day for d in centre.closing_days),
    )
    return list(closed_days(policy, first, first + CLOSED_DAYS_AHEAD))


def advisor_calendar_payload(advisor: Advisor, today: date | None = None) -> ev.AdvisorCalendarPayload:
    """What the calendar-sync worker needs about ``advisor``; the password stays encrypted."""
    return ev.AdvisorCalendarPayload(
        advisor_id=str(advisor.id),
        job_centre_code=advisor.job_centre.code,
        name=advisor.name,
        timezone=advisor.timezone,
        caldav_url=advisor.caldav_url,
        caldav_username=advisor.caldav_username,
        caldav_password_encrypted=advisor.caldav_password_encrypted,
        working_hours=advisor.working_hours,
        working_exceptions=advisor.working_exceptions or {},
        closed_days=centre_closed_days(advisor.job_centre, today),
    )


def offer_payload(offer: Offer) -> ev.OfferPayload:
    """The offer as the booking service and the worker see it."""
    return ev.OfferPayload(
        offer_id=str(offer.id),
        job_centre_code=offer.job_centre.code,
        name=offer.name,
        description=offer.description,
        conversation_type=offer.conversation_type,
        variant=offer.variant,
        meeting_form=offer.meeting_form,  # type: ignore[arg-type]
        channel=offer.channel,  # type: ignore[arg-type]
        place=offer.place,
        phone=offer.phone,
        caller=offer.caller,  # type: ignore[arg-type]
        duration_minutes=offer.duration_minutes,
        reporting_minutes=offer.reporting_minutes,
        start_minutes=list(offer.start_minutes),
        first_meeting_date=offer.first_meeting_date,
        end_date=offer.end_date,
        rolling_weeks=offer.rolling_weeks,
        opens_on=offer.opens_on,
        timezone=offer.job_centre.timezone,
        advisor_ids=[str(a) for a in offer.advisor_ids],
        citizen_may_choose_advisor=offer.citizen_may_choose_advisor,
        accept_cancellation=offer.accept_cancellation,
        rebooking_days_before=offer.rebooking_days_before,
        active=offer.active,
        changed_at=offer.updated_at,
        rules=offer.rules,
        marker_routes=dict(offer.marker_routes or {}),
        meetings=_meetings(offer),
    )


def _meetings(offer: Offer) -> list[ev.GroupMeetingPayload]:
    """A group offer's meetings with the seats each holds (its number, else the room's)."""
    if not offer.meetings:
        return []
    session = object_session(offer)
    room = session.get(Room, offer.room_id) if session is not None and offer.room_id else None
    length = timedelta(minutes=offer.duration_minutes)
    return [
        ev.GroupMeetingPayload(
            meeting_id=str(m.id), start=m.starts_at, end=m.starts_at + length,
            seats=m.seats if m.seats is not None else (room.capacity if room is not None else 0),
            extra_seats=m.extra_seats, cancelled=m.cancelled_at is not None,
        )
        for m in offer.meetings
    ]  # fmt: skip


def announce_advisor(session: Session, advisor: Advisor) -> None:
    record_event(session, OutboxMessage, advisor_calendar_payload(advisor).envelope(ev.ADVISOR_CHANGED))


def announce_sync_request(session: Session, advisor: Advisor) -> None:
    payload = ev.AdvisorSyncRequestedPayload(advisor_id=str(advisor.id))
    record_event(session, OutboxMessage, payload.envelope(ev.ADVISOR_SYNC_REQUESTED))


def announce_offer(session: Session, offer: Offer, event_type: str) -> None:
    record_event(session, OutboxMessage, offer_payload(offer).envelope(event_type))
