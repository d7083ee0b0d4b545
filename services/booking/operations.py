"""A citizen books a time (B-2, B-6); holding a time first lives in ``holds``, cancelling
and rebooking in ``changes``.

Each function takes a Session inside the caller's transaction and raises shared.errors.
The event ``booking.created`` is written to the outbox in the same transaction. A booking
stores its citizen's CPR number indexed and sealed with the keys of the settings
(``shared.cpr_vault``), never in plain text.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Delete, and_, bindparam, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from services.booking import free_time_versions
from services.booking.eligibility import allowed_advisor_ids, require_before_deadline, require_eligible
from services.booking.models import (
    Booking,
    OfferView,
    OutboxMessage,
)
from services.booking.queries import (
    bookable_offer,
    booking_window,
    free_advisors_at,
    last_bookable_day,
    occupation_overlaps,
    offer_zone,
)
from shared import events as ev
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.db import AwareDateTime, among_bound, dialect_name, table_of
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, Forbidden, NotFound, PlannerError, UserError, ValidationFailed
from shared.i18n import N_
from shared.outbox import record_event
from shared.timeutil import today_in, utcnow

log = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits a person cannot mistake for one another (no 0/O, 1/I)."""
REFERENCE_LENGTH = 8

TIME_JUST_TAKEN = N_("Tiden er desværre lige blevet booket. Vælg en anden tid.")
TIME_NOT_FREE = N_("Tiden er ikke længere ledig. Vælg en anden tid.")
ALREADY_BOOKED = N_("Du har allerede en booking i dette tilbud. Du kan kun have én aktiv booking pr. tilbud.")
HOLD_ELSEWHERE = N_("Du valgte en anden tid i dette tilbud i samme øjeblik, måske i et andet vindue. Vælg tiden igen.")


def new_reference() -> str:
    """A short booking code a citizen can read aloud, e.g. ``K7QM2XHP``."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _values(
    offer: OfferView,
    advisor: uuid.UUID,
    citizen: tuple[str, str],
    start: datetime,
    end: datetime,
    now: datetime,
    terms: tuple[bool, int | None],
    hold: tuple[datetime, uuid.UUID | None] | None,
) -> dict[str, object]:
    """Every column of a new booking row (of a hold with ``hold``: held until, the booking it
    would move); ``citizen`` is the CPR number's index under the current key and its sealed form."""
    return {
        "id": uuid.uuid4(),
        "reference": new_reference(),
        "offer_id": offer.id,
        "advisor_id": advisor,
        "group_meeting_id": None,
        "citizen_cpr_index": citizen[0],
        "citizen_cpr_sealed": citizen[1],
        "start_at": start,
        "end_at": end,
        "occupied_until": end + timedelta(minutes=offer.reporting_minutes),
        "accept_cancellation": terms[0],
        "rebooking_days_before": terms[1],
        "created_at": now,
        "cancelled_at": None,
        "rebooked_to_id": None,
        "held_until": hold[0] if hold else None,
        "rebooking_of_id": hold[1] if hold else None,
        "email": None,
        "added_by": None,
        "override_reason": None,
    }


_BOOKINGS = table_of(Booking)
_INSERT = {
    "postgresql": pg_insert(_BOOKINGS).on_conflict_do_nothing().returning(_BOOKINGS.c.id),
    "other": sqlite_insert(_BOOKINGS).on_conflict_do_nothing().returning(_BOOKINGS.c.id),
}
"""The booking insert of ``insert_booking`` per kind of database, built once (the values come as parameters)."""


def insert_booking(session: Session, values: dict[str, object]) -> Booking | None:
    """Insert the row unless one of the table's guards refuses it: the advisor's exclusion
    constraint, the one-booking and one-hold indexes of the citizen, the unique reference.
    None when refused.

    One statement, no savepoint: ``INSERT .. ON CONFLICT DO NOTHING`` lets PostgreSQL wait
    for a concurrent insert of a clashing row and then skip this one (its speculative
    insertion never deadlocks, as two plain inserts checking an exclusion constraint
    against each other can). No error is raised, so no CPR-bearing parameters reach one.
    The row is then given to the session as the persistent ``Booking`` it is, without a read.
    """
    statement = _INSERT["postgresql" if dialect_name(session) == "postgresql" else "other"]
    if session.execute(statement, values).first() is None:
        return None
    booking = Booking(**values)
    make_transient_to_detached(booking)
    session.add(booking)
    return booking


def _refusal(session: Session, values: dict[str, object], indexes: list[str], is_hold: bool) -> str:
    """Which guard refused ``values``: 'citizen' (their booking in the offer, or for a hold
    their other hold there), 'advisor' (an occupation of the advisor overlaps) or 'reference'."""
    citizen = exists().where(
        Booking.offer_id == values["offer_id"],
        Booking.citizen_cpr_index.in_(indexes),
        Booking.cancelled_at.is_(None),
        Booking.held_until.is_not(None) if is_hold else Booking.held_until.is_(None),
    )
    advisor = exists().where(
        Booking.advisor_id == values["advisor_id"],
        Booking.cancelled_at.is_(None),
        occupation_overlaps(session, values["start_at"], values["occupied_until"]),  # type: ignore[arg-type]
    )
    by_citizen, by_advisor = session.execute(select(citizen, advisor)).one()
    return "citizen" if by_citizen else "advisor" if by_advisor else "reference"


def check_period(offer: OfferView, settings: Settings, start: datetime, now: datetime) -> None:
    window = booking_window(offer, settings, now)
    if window is None:
        raise UserError(N_("Der er ingen ledige tider i tilbuddet lige nu."), code="outside_period")
    if start <= now or not window.contains_instant(start):
        first = window.start.astimezone(offer_zone(offer)).date()
        last = last_bookable_day(window, offer)
        raise UserError(
            N_(
                "Tiden ligger uden for den periode, der kan bookes i. Vælg en tid fra %(first)s til og med %(last)s.",
                first=first,
                last=last,
            ),
            code="outside_period",
        )


def _candidate_advisors(
    session: Session,
    offer: OfferView,
    start: datetime,
    now: datetime,
    advisor_id: uuid.UUID | None,
    allowed: list[uuid.UUID],
) -> list[uuid.UUID]:
    """The advisors the citizen may book (R-5) free at ``start``, in the offer's order."""
    if advisor_id is not None:
        if not offer.citizen_may_choose_advisor:
            raise UserError(
                N_("I dette tilbud kan du ikke vælge vejleder. Book tiden uden at angive en vejleder."),
                code="advisor_not_choosable",
            )
        if advisor_id not in offer.advisor_uuids():
            raise ValidationFailed(
                N_("Vejlederen er ikke knyttet til dette tilbud."),
                extra={"errors": {"advisor_id": ["Vejlederen er ikke knyttet til dette tilbud."]}},
            )
        if advisor_id not in allowed:
            raise Forbidden(
                N_("Du kan ikke booke denne vejleder i dette tilbud. Vælg en af de tider, du får vist."),
                code="advisor_not_allowed",
            )
    free = free_advisors_at(session, offer, start, now, allowed if advisor_id is None else [advisor_id])
    return [a for a in offer.advisor_uuids() if a in free]


def clear_holds_in_the_way(
    session: Session, offer: OfferView, indexes: list[str], start: datetime, until: datetime, now: datetime
) -> None:
    """Delete, in one statement, the citizen's hold in ``offer`` (``indexes``: their CPR number's
    keyed indexes; a new choice replaces it, a booking ends it) and the holds of the offer's
    advisors expired at ``now`` that overlap ``[start, until)``: they block nothing any more,
    but the exclusion constraint still counts their rows. Two transactions deleting one row
    wait for each other; the second finds it gone."""
    statement = _CLEAR_HOLDS["postgresql" if dialect_name(session) == "postgresql" else "other"]
    values = {"offer_id": offer.id, "indexes": indexes, "advisors": offer.advisor_uuids()}
    deleted = session.execute(statement, values | {"start": start, "until": until, "now": now})
    free_time_versions.touch(session, *(advisor for advisor, until in deleted if until > now))


def _clear_holds_statement(postgresql: bool) -> Delete:
    """``clear_holds_in_the_way``'s statement for one kind of database, its values as parameters.
    Core: the session holds none of these rows."""
    row = _BOOKINGS.c
    start, until, now = (bindparam(name, type_=AwareDateTime()) for name in ("start", "until", "now"))
    advisors = among_bound(row.advisor_id, "advisors", postgresql)
    own = and_(row.offer_id == bindparam("offer_id"), row.citizen_cpr_index.in_(bindparam("indexes", expanding=True)))
    expired = and_(advisors, row.held_until <= now, row.start_at < until, row.occupied_until > start)
    return (
        delete(_BOOKINGS)
        .where(row.held_until.is_not(None), or_(own, expired))
        .returning(row.advisor_id, row.held_until)
    )


_CLEAR_HOLDS = {"postgresql": _clear_holds_statement(True), "other": _clear_holds_statement(False)}


def book(
    session: Session,
    settings: Settings,
    offer_id: uuid.UUID,
    start: datetime,
    citizen: CitizenProfile,
    advisor_id: uuid.UUID | None = None,
    now: datetime | None = None,
    *,
    offer: OfferView | None = None,
) -> Booking:
    """Book the meeting starting at ``start`` in ``offer_id`` for ``citizen`` (B-2, B-6).

    The offer must be active and opened (NotFound); the citizen must satisfy its participant
    rules on the booking day (Forbidden, with the Danish reason and the failed rules);
    ``start`` must lie in the offer's period for a citizen booking at ``now`` and on or
    before the citizen's personal deadline (UserError), and be a free time of the chosen
    advisor, or of any advisor of the offer when the citizen may not choose (Conflict); a
    citizen with a routed person-group marker may only get the advisors linked to it (R-5,
    Forbidden for another chosen advisor). A citizen holds at most one active booking
    per offer (Conflict). Free advisors are tried in the offer's order, each with one
    insert that the table's guards may refuse: when a concurrent booking just took one
    (the exclusion constraint on PostgreSQL), the next is tried; when none is left,
    Conflict. On SQLite the check and the insert run in the one immediate transaction, so
    they cannot race. ``offer``: the offer read and found bookable by the caller a moment
    ago (it is not read again).

    The booking keeps the offer's cancellation and rebooking terms of today (V-6).
    ``booking.created`` goes to the outbox in the same transaction; it never holds the CPR.
    """
    now = now or utcnow()
    offer = offer if offer is not None and offer.id == offer_id else bookable_offer(session, offer_id, now)
    booking = place_booking(session, settings, offer, start, citizen, advisor_id, now)
    record_event(session, OutboxMessage, booking_payload(booking, offer).envelope(ev.BOOKING_CREATED))
    log.info("booking %s created (offer %s, advisor %s)", booking.reference, offer.id, booking.advisor_id)
    return booking


def checked_request(citizen: CitizenProfile, start: datetime) -> Cpr:
    """The citizen's CPR number; ValidationFailed when it is missing or ``start`` has no zone."""
    if citizen.cpr is None:
        raise ValidationFailed("Borgeren mangler et CPR-nummer.", extra={"errors": {"citizen": {"cpr": ["Mangler."]}}})
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationFailed(
            "Tidspunktet skal angives med tidszone, f.eks. 2026-12-01T09:00:00+01:00.",
            extra={"errors": {"start": ["Tidspunktet mangler tidszone."]}},
        )
    return citizen.cpr


def place_booking(
    session: Session,
    settings: Settings,
    offer: OfferView,
    start: datetime,
    citizen: CitizenProfile,
    advisor_id: uuid.UUID | None,
    now: datetime,
    terms: tuple[bool, int | None] | None = None,
    *,
    hold: tuple[datetime, uuid.UUID | None] | None = None,
) -> Booking:
    """Check and insert a booking of the bookable ``offer`` (every rule of ``book``); no event.

    ``terms`` (accept cancellation, rebooking days before) default to the offer's terms of
    today; a rebooking passes the terms of the booking it moves (V-6). With ``hold`` (held
    until, the booking it would move or None) the row is a hold instead (``holds``): a hold
    to move a booking is allowed beside the citizen's active booking. The citizen's earlier
    hold in the offer is deleted first, and so are the expired holds in the time's way.
    """
    cpr = checked_request(citizen, start)
    vault = vault_for_settings(settings)
    require_eligible(offer, citizen, today_in(offer_zone(offer), now))
    check_period(offer, settings, start, now)
    require_before_deadline(offer, citizen, start)

    indexes = vault.indexes(cpr)  # rows indexed under an older key too
    end = start + timedelta(minutes=offer.duration_minutes)
    clear_holds_in_the_way(session, offer, indexes, start, end + timedelta(minutes=offer.reporting_minutes), now)
    if (hold is None or hold[1] is None) and (hold is not None or len(indexes) > 1):
        # A hold of a new time for a citizen booked already (they move instead), or a booking
        # while CPR keys rotate: the one-booking index cannot see a row under an older key.
        refuse_booked_citizen(session, offer, indexes)

    allowed = allowed_advisor_ids(offer, citizen)
    advisors = _candidate_advisors(session, offer, start, now, advisor_id, allowed)
    if not advisors:
        if hold is None:
            refuse_booked_citizen(session, offer, indexes)  # say why, rather than "not free"
        raise Conflict(TIME_NOT_FREE, code="time_not_free")

    terms = terms or (offer.accept_cancellation, offer.rebooking_days_before)
    stored = (vault.index(cpr), vault.seal(cpr))
    for advisor in advisors:
        for _attempt in range(5):  # a clash of the random reference (32^8 codes) is retried
            values = _values(offer, advisor, stored, start, end, now, terms, hold)
            booking = insert_booking(session, values)
            if booking is not None:
                free_time_versions.touch(session, advisor)
                return booking
            refused_by = _refusal(session, values, indexes, hold is not None)
            if refused_by == "citizen" and hold is not None:
                raise Conflict(HOLD_ELSEWHERE, code="hold_elsewhere")
            if refused_by == "citizen":
                raise Conflict(ALREADY_BOOKED, code="already_booked")
            if refused_by == "advisor":
                break  # someone took this advisor's time a moment ago; try the next one
        else:
            raise PlannerError(N_("Bookingen kunne ikke gemmes. Prøv igen."))
    raise Conflict(TIME_JUST_TAKEN, code="time_taken")


def refuse_booked_citizen(session: Session, offer: OfferView, indexes: list[str]) -> None:
    """Conflict ``already_booked`` when the citizen has an active booking in the offer."""
    booked = session.scalar(
        select(Booking.id).where(
            Booking.offer_id == offer.id,
            Booking.citizen_cpr_index.in_(indexes),
            Booking.cancelled_at.is_(None),
            Booking.held_until.is_(None),
        )
    )
    if booked is not None:
        raise Conflict(ALREADY_BOOKED, code="already_booked")


def booking_payload(booking: Booking, offer: OfferView) -> ev.BookingPayload:
    """The booking as the worker writes it into the advisor's calendar (no CPR)."""
    return ev.BookingPayload(
        booking_id=str(booking.id),
        reference=booking.reference,
        offer_id=str(offer.id),
        offer_name=offer.name,
        advisor_id=str(booking.advisor_id),
        channel=offer.channel,  # type: ignore[arg-type]
        place=offer.place,
        phone=offer.phone,
        caller=offer.caller,  # type: ignore[arg-type]
        start=booking.start_at,
        end=booking.end_at,
        occupied_until=booking.occupied_until,
    )


def get_booking(session: Session, booking_id: uuid.UUID) -> Booking:
    """The booking with ``booking_id`` or NotFound (a hold is not a booking)."""
    booking = session.get(Booking, booking_id)
    if booking is None or booking.held_until is not None:
        raise NotFound(N_("Bookingen findes ikke."))
    return booking
