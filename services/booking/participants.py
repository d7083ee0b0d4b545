"""Who booked an offer (V-3), for staff: the booked citizens with name, CPR number, contact
group, age, personal deadline and the meeting's time, found by name or CPR number; for a
group offer (V-7) also those of one of its meetings only.

Booking owns the bookings and the citizens' profiles; the offers service's pages ask for
this list through ``POST /api/v1/offers/{id}/participants`` (never by reading these tables).
A CPR number is compared by its keyed indexes (never decrypted to search) and unsealed only
for the participants whose number the caller asks to see; the route logs each of those.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from services.booking.models import Booking, CitizenProfileRow, OfferView
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.cpr_vault import CprVault

MAX_PARTICIPANTS = 5000
"""The most bookings one answer lists (an offer's active bookings are far fewer)."""


@dataclass(frozen=True)
class Participant:
    booking_id: uuid.UUID
    reference: str
    name: str | None
    cpr: Cpr
    contact_group: str | None
    booking_deadline: date | None
    start_at: datetime
    end_at: datetime
    advisor_id: uuid.UUID | None
    """The advisor; None for a seat at a group meeting."""
    group_meeting_id: uuid.UUID | None
    booked_at: datetime

    def age_on(self, day: date) -> int:
        return self.cpr.age_on(day)


def search_cpr(text: str | None) -> Cpr | None:
    """The CPR number a search text is (with or without the hyphen), or None for a name."""
    if not text:
        return None
    try:
        return parse_cpr(text)
    except InvalidCpr:
        return None


def participants_of(
    session: Session,
    offer: OfferView,
    vault: CprVault,
    *,
    search: str | None = None,
    meeting_id: uuid.UUID | None = None,
) -> Sequence[Participant]:
    """The offer's citizens with an active booking, by the meeting's start; ``search`` keeps
    those whose CPR number it is, or whose name contains it (any case); ``meeting_id`` those
    with a seat at that group meeting (none for an individual offer or another offer's meeting)."""
    query = (
        select(Booking, CitizenProfileRow.name, CitizenProfileRow.contact_group, CitizenProfileRow.booking_deadline)
        .outerjoin(CitizenProfileRow, CitizenProfileRow.cpr_index == Booking.citizen_cpr_index)
        .where(and_(Booking.offer_id == offer.id, Booking.cancelled_at.is_(None), Booking.held_until.is_(None)))
    )
    if meeting_id is not None:
        query = query.where(Booking.group_meeting_id == meeting_id)
    cpr = search_cpr(search)
    if cpr is not None:
        query = query.where(Booking.citizen_cpr_index.in_(vault.indexes(cpr)))
    elif search and search.strip():
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(CitizenProfileRow.name.ilike(f"%{escaped}%", escape="\\"))
    rows = session.execute(query.order_by(Booking.start_at, Booking.id).limit(MAX_PARTICIPANTS)).all()
    return [
        Participant(
            booking_id=booking.id, reference=booking.reference, name=name, cpr=vault.unseal(booking.citizen_cpr_sealed),
            contact_group=contact_group, booking_deadline=deadline, start_at=booking.start_at, end_at=booking.end_at,
            advisor_id=booking.advisor_id, group_meeting_id=booking.group_meeting_id, booked_at=booking.created_at,
        )
        for booking, name, contact_group, deadline in rows
    ]  # fmt: skip


def participant_json(participant: Participant, *, reveal: bool, today: date) -> dict[str, object]:
    """One participant as the API answers: the CPR number masked (``150289-XXXX``) unless
    ``reveal``; the age on ``today`` (the offer's local date)."""
    cpr = participant.cpr
    return {
        "booking_id": participant.booking_id,
        "reference": participant.reference,
        "name": participant.name,
        "cpr_masked": cpr.masked(),
        "cpr": f"{cpr.digits[:6]}-{cpr.digits[6:]}" if reveal else None,
        "contact_group": participant.contact_group,
        "age": participant.age_on(today),
        "booking_deadline": participant.booking_deadline,
        "start": participant.start_at,
        "end": participant.end_at,
        "advisor_id": participant.advisor_id,
        "group_meeting_id": participant.group_meeting_id,
        "booked_at": participant.booked_at,
    }


def revealed(participants: Sequence[Participant], ids: Collection[uuid.UUID], everyone: bool) -> list[Participant]:
    """The participants whose CPR number the caller asked to see."""
    return [p for p in participants if everyone or p.booking_id in ids]


@dataclass(frozen=True)
class BookedMeeting:
    """A booking with its citizen's name and contact, for staff handling a calendar conflict."""

    booking_id: uuid.UUID
    offer_id: uuid.UUID
    job_centre_code: str
    reference: str
    name: str | None
    email: str | None
    start_at: datetime
    end_at: datetime
    cancelled: bool


def meetings_by_id(session: Session, booking_ids: Collection[uuid.UUID]) -> Sequence[BookedMeeting]:
    """The bookings ``booking_ids`` (holds excluded) with their citizens' names and e-mail
    addresses (the one given when booking, else the profile's)."""
    if not booking_ids:
        return []
    query = (
        select(Booking, OfferView.job_centre_code, CitizenProfileRow.name, CitizenProfileRow.email)
        .join(OfferView, OfferView.id == Booking.offer_id)
        .outerjoin(CitizenProfileRow, CitizenProfileRow.cpr_index == Booking.citizen_cpr_index)
        .where(Booking.id.in_(sorted(booking_ids)), Booking.held_until.is_(None))
    )
    return [
        BookedMeeting(
            booking_id=booking.id, offer_id=booking.offer_id, job_centre_code=code, reference=booking.reference,
            name=name, email=booking.email or email, start_at=booking.start_at, end_at=booking.end_at,
            cancelled=booking.cancelled_at is not None,
        )
        for booking, code, name, email in session.execute(query.order_by(Booking.start_at, Booking.id)).all()
    ]  # fmt: skip
