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

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from services.booking.eligibility import allowed_advisor_ids, require_before_deadline, require_eligible
from services.booking.models import (
    ADVISOR_OVERLAP_CONSTRAINT,
    CITIZEN_HOLD_INDEX,
    CITIZEN_OFFER_INDEX,
    REFERENCE_CONSTRAINT,
    Booking,
    OfferView,
    OutboxMessage,
)
from services.booking.queries import bookable_offer, booking_window, free_starts, last_bookable_day, offer_zone
from shared import events as ev
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, Forbidden, NotFound, PlannerError, UserError, ValidationFailed
from shared.i18n import N_
from shared.outbox import record_event
from shared.timeutil import today_in, utcnow

log = logging.getLogger(__name__)

DEADLOCK_DETECTED = "40P01"

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


def _violated(exc: IntegrityError) -> str:
    """Which guard an insert hit: 'advisor', 'citizen', 'reference' or 'other'.

    'citizen' is the one-booking or the one-hold index (SQLite names only the columns, which
    the two share); a hold can only hit the second, a booking only the first."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    message = str(orig)
    if sqlstate == "23P01" or constraint == ADVISOR_OVERLAP_CONSTRAINT:
        return "advisor"
    if (
        constraint in (CITIZEN_OFFER_INDEX, CITIZEN_HOLD_INDEX)
        or "booking.offer_id, booking.citizen_cpr_index" in message
    ):
        return "citizen"
    if constraint == REFERENCE_CONSTRAINT or "booking.reference" in message:
        return "reference"
    return "other"


def _insert(session: Session, booking: Booking) -> str | None:
    """Insert ``booking`` in a savepoint; None on success, else the guard it hit.

    The error itself is dropped: its text holds the row's parameters, CPR included. Two
    concurrent inserts checking the exclusion constraint against each other can deadlock
    on PostgreSQL (40P01); the loser's savepoint is rolled back and it counts as a taken
    time, like the constraint's own violation.
    """
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:
        return _violated(exc)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED:
            return "advisor"
        raise
    return None


def _book_advisor(
    session: Session,
    offer: OfferView,
    advisor: uuid.UUID,
    citizen: tuple[str, str],
    start: datetime,
    end: datetime,
    now: datetime,
    terms: tuple[bool, int | None],
    hold: tuple[datetime, uuid.UUID | None] | None = None,
) -> Booking | str:
    """Insert the booking with ``advisor``: the Booking, or the guard it hit. ``citizen`` is
    the CPR number's index under the current key and its sealed form; ``hold`` (held until,
    the booking it would move) makes the row a hold.

    A clash of the random reference (32^8 codes) is retried with a new one.
    """
    violated = "reference"
    for _attempt in range(5):
        booking = Booking(
            id=uuid.uuid4(),
            reference=new_reference(),
            offer_id=offer.id,
            advisor_id=advisor,
            citizen_cpr_index=citizen[0],
            citizen_cpr_sealed=citizen[1],
            start_at=start,
            end_at=end,
            occupied_until=end + timedelta(minutes=offer.reporting_minutes),
            accept_cancellation=terms[0],
            rebooking_days_before=terms[1],
            created_at=now,
            held_until=hold[0] if hold else None,
            rebooking_of_id=hold[1] if hold else None,
        )
        violated = _insert(session, booking) or ""
        if not violated:
            return booking
        if violated != "reference":
            break
    return violated


def _check_period(offer: OfferView, settings: Settings, start: datetime, now: datetime) -> None:
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
    settings: Settings,
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
    pairs = free_starts(
        session,
        offer,
        settings,
        now,
        start_from=start,
        until=start + timedelta(microseconds=1),
        advisor_id=advisor_id,
        advisors_allowed=allowed,
    )
    free = {advisor for _, advisor in pairs}
    return [a for a in offer.advisor_uuids() if a in free]


def clear_holds_in_the_way(
    session: Session, offer: OfferView, indexes: list[str], start: datetime, until: datetime, now: datetime
) -> None:
    """Delete, in one statement, the citizen's hold in ``offer`` (``indexes``: their CPR number's
    keyed indexes; a new choice replaces it, a booking ends it) and the holds of the offer's
    advisors expired at ``now`` that overlap ``[start, until)``: they block nothing any more,
    but the exclusion constraint still counts their rows. Two transactions deleting one row
    wait for each other; the second finds it gone."""
    own = and_(Booking.offer_id == offer.id, Booking.citizen_cpr_index.in_(indexes))
    expired = and_(
        Booking.advisor_id.in_(offer.advisor_uuids()),
        Booking.held_until <= now,
        Booking.start_at < until,
        Booking.occupied_until > start,
    )
    session.execute(
        delete(Booking)
        .where(Booking.held_until.is_not(None), or_(own, expired))
        .execution_options(synchronize_session=False)
    )


def book(
    session: Session,
    settings: Settings,
    offer_id: uuid.UUID,
    start: datetime,
    citizen: CitizenProfile,
    advisor_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book the meeting starting at ``start`` in ``offer_id`` for ``citizen`` (B-2, B-6).

    The offer must be active and opened (NotFound); the citizen must satisfy its participant
    rules on the booking day (Forbidden, with the Danish reason and the failed rules);
    ``start`` must lie in the offer's period for a citizen booking at ``now`` and on or
    before the citizen's personal deadline (UserError), and be a free time of the chosen
    advisor, or of any advisor of the offer when the citizen may not choose (Conflict); a
    citizen with a routed person-group marker may only get the advisors linked to it (R-5,
    Forbidden for another chosen advisor). A citizen holds at most one active booking
    per offer (Conflict). Free advisors are tried in the offer's order, each in a
    savepoint: when a concurrent booking just took one (the exclusion constraint on
    PostgreSQL), the next is tried; when none is left, Conflict. On SQLite the check and
    the insert run in the one immediate transaction, so they cannot race.

    The booking keeps the offer's cancellation and rebooking terms of today (V-6).
    ``booking.created`` goes to the outbox in the same transaction; it never holds the CPR.
    """
    now = now or utcnow()
    offer = bookable_offer(session, offer_id, now)
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
    _check_period(offer, settings, start, now)
    require_before_deadline(offer, citizen, start)

    indexes = vault.indexes(cpr)  # rows indexed under an older key too
    end = start + timedelta(minutes=offer.duration_minutes)
    clear_holds_in_the_way(session, offer, indexes, start, end + timedelta(minutes=offer.reporting_minutes), now)
    if hold is None or hold[1] is None:
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

    allowed = allowed_advisor_ids(offer, citizen)
    advisors = _candidate_advisors(session, offer, settings, start, now, advisor_id, allowed)
    if not advisors:
        raise Conflict(TIME_NOT_FREE, code="time_not_free")

    terms = terms or (offer.accept_cancellation, offer.rebooking_days_before)
    stored = (vault.index(cpr), vault.seal(cpr))
    for advisor in advisors:
        violated = _book_advisor(session, offer, advisor, stored, start, end, now, terms, hold)
        if isinstance(violated, Booking):
            return violated
        if violated == "citizen" and hold is not None:
            raise Conflict(HOLD_ELSEWHERE, code="hold_elsewhere")
        if violated == "citizen":
            raise Conflict(ALREADY_BOOKED, code="already_booked")
        if violated != "advisor":
            raise PlannerError(N_("Bookingen kunne ikke gemmes. Prøv igen."))
        # "advisor": someone took this advisor's time a moment ago; try the next one
    raise Conflict(TIME_JUST_TAKEN, code="time_taken")


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
