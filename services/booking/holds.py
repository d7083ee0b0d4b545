"""A citizen holds a chosen time while reading the summary, then confirms it (issue 11).

Choosing a time on the week page takes a *hold*: a ``booking`` row with ``held_until`` set,
``settings.hold_minutes`` ahead. The exclusion constraint that keeps an advisor's bookings
apart covers it, so nobody else can hold or book that advisor's time meanwhile, and a hold
is only taken for a time that is free (every rule of a new booking applies:
``operations.place_booking``). A citizen holds at most one time per offer: a new choice
replaces the earlier hold (and a partial unique index refuses a second one that a
concurrent request tries to add).

A hold ends in one of three ways:
- *confirm* (``confirm_hold``): the row becomes the booking (``held_until`` None), and
  ``booking.created`` (or ``booking.rebooked``) goes to the outbox;
- *release* (``release_hold``): the citizen gives the time back; the row is deleted;
- *expiry*: once ``held_until`` has passed, the free-time queries ignore the row and the
  next booking or hold of that time deletes it (``operations.clear_holds_in_the_way``). No
  timer is needed for the time to be free again.

A hold taken to move a booking (B-4) names it (``rebooking_of_id``); it is allowed beside
the citizen's active booking in the offer, and the old booking stays as it is until the
hold is confirmed: then, in one transaction, the old booking is marked moved and the hold
becomes the new booking, with the old booking's terms (V-6).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking import free_time_versions
from services.booking.changes import SAME_TIME, movable_booking
from services.booking.eligibility import require_eligible
from services.booking.mail.queue import queue_booking_mail
from services.booking.models import Booking, OfferView, OutboxMessage
from services.booking.operations import ALREADY_BOOKED, booking_payload, checked_request, place_booking
from services.booking.queries import bookable_offer, offer_zone
from shared import events as ev
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import CprVault, vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, NotFound, UserError
from shared.i18n import N_, nN_
from shared.outbox import record_event
from shared.timeutil import today_in, utcnow

log = logging.getLogger(__name__)

HOLD_NOT_FOUND = N_("Vi kan ikke finde den tid, du valgte. Vælg en tid igen.")
WRONG_OFFER = N_("Bookingen hører til et andet tilbud. Flyt den fra Mine aftaler.")


def hold_expired_message(settings: Settings) -> str:
    minutes = settings.hold_minutes
    return nN_(
        "Vi har holdt tiden til dig i %(num)s minut, og den tid er gået. Vælg tiden igen, hvis den stadig er ledig.",
        "Vi har holdt tiden til dig i %(num)s minutter, og den tid er gået. Vælg tiden igen, hvis den stadig er ledig.",
        minutes,
    )


def hold_time(
    session: Session,
    settings: Settings,
    offer_id: uuid.UUID,
    start: datetime,
    citizen: CitizenProfile,
    advisor_id: uuid.UUID | None = None,
    now: datetime | None = None,
    *,
    rebooking_of: uuid.UUID | None = None,
) -> Booking:
    """Hold the time starting at ``start`` in ``offer_id`` for ``citizen`` until
    ``settings.hold_minutes`` from ``now``; returns the hold.

    Refused exactly as ``operations.book`` would refuse the booking (NotFound, Forbidden,
    UserError, Conflict with ``time_not_free`` / ``time_taken`` / ``already_booked``). With
    ``rebooking_of`` the hold is to move that booking of the citizen's: refused as
    ``changes.rebook_booking`` refuses (another's, inactive, begun, terms, deadline, the
    same time), and it keeps that booking's terms. No event: a hold is not a booking.
    """
    now = now or utcnow()
    cpr = checked_request(citizen, start)
    offer = bookable_offer(session, offer_id, now)
    terms = None
    if rebooking_of is not None:
        old = movable_booking(session, rebooking_of, cpr, now, vault_for_settings(settings))
        if old.offer_id != offer.id:
            raise UserError(WRONG_OFFER, code="wrong_offer")
        if start == old.start_at and advisor_id in (None, old.advisor_id):
            raise UserError(SAME_TIME, code="same_time")
        terms = (old.accept_cancellation, old.rebooking_days_before)
    held_until = now + timedelta(minutes=settings.hold_minutes)
    hold = place_booking(
        session, settings, offer, start, citizen, advisor_id, now, terms, hold=(held_until, rebooking_of)
    )
    log.info("time held for booking %s (offer %s, advisor %s)", hold.reference, offer.id, hold.advisor_id)
    return hold


def _own_hold(session: Session, hold_id: uuid.UUID, cpr: Cpr, vault: CprVault) -> Booking:
    """The row ``hold_id`` (locked) if it is the citizen's; NotFound otherwise."""
    row = session.get(Booking, hold_id, with_for_update=True)
    if row is None or not vault.matches(row.citizen_cpr_index, cpr):
        raise NotFound(HOLD_NOT_FOUND, code="hold_not_found")
    return row


def confirm_hold(
    session: Session,
    settings: Settings,
    hold_id: uuid.UUID,
    citizen: CitizenProfile,
    now: datetime | None = None,
    *,
    email: str | None = None,
) -> Booking:
    """Turn the citizen's hold into their booking (B-2) and return it; ``email``: where the
    confirmation goes (None: no e-mail).

    NotFound for an unknown hold or another citizen's; Conflict ``hold_expired`` once its
    time has run out (the time may be someone else's by now); NotFound when the offer was
    withdrawn meanwhile, Forbidden when the citizen no longer meets its rules. A second
    confirmation of the same hold returns the booking it became, unchanged. A hold to move
    a booking marks that booking moved (refused, with the old booking kept, when it may
    no longer be moved) and writes ``booking.rebooked``; any other writes
    ``booking.created``. With an ``email``, the confirmation (or the message about the
    move) is written to ``citizen_mail`` in the same transaction (``mail.queue``).
    """
    now = now or utcnow()
    cpr = checked_request(citizen, now)
    vault = vault_for_settings(settings)
    hold = _own_hold(session, hold_id, cpr, vault)
    if hold.held_until is None:  # confirmed already: a second click, or the back button
        return hold
    if hold.held_until <= now:
        raise Conflict(hold_expired_message(settings), code="hold_expired")
    offer = bookable_offer(session, hold.offer_id, now)
    require_eligible(offer, citizen, today_in(offer_zone(offer), now))

    old = None
    if hold.rebooking_of_id is not None:
        old = movable_booking(session, hold.rebooking_of_id, cpr, now, vault)
        old.cancelled_at = now
        free_time_versions.touch(session, old.advisor_id)
        session.flush()  # the old booking's one-per-offer place is free for the new one
    hold.held_until = None
    hold.rebooking_of_id = None
    hold.created_at = now
    hold.email = email
    try:
        session.flush()
    except IntegrityError:  # the citizen booked in this offer since the hold was taken
        raise Conflict(ALREADY_BOOKED, code="already_booked") from None
    _announce(session, hold, old, offer, now)
    queue_booking_mail(session, settings, "rebooked" if old else "confirmation", hold, offer, old=old, now=now)
    return hold


def _announce(session: Session, booking: Booking, old: Booking | None, offer: OfferView, now: datetime) -> None:
    if old is None:
        record_event(session, OutboxMessage, booking_payload(booking, offer).envelope(ev.BOOKING_CREATED))
        log.info("booking %s created from its hold (offer %s)", booking.reference, offer.id)
        return
    old.rebooked_to_id = booking.id
    session.flush()
    payload = ev.BookingRebookedPayload(
        old_booking_id=str(old.id), booking=booking_payload(booking, offer), rebooked_at=now
    )
    record_event(session, OutboxMessage, payload.envelope(ev.BOOKING_REBOOKED))
    log.info("booking %s moved to %s from its hold (offer %s)", old.reference, booking.reference, offer.id)


def release_hold(session: Session, settings: Settings, hold_id: uuid.UUID, cpr: Cpr) -> uuid.UUID | None:
    """Give the held time back (the citizen chose "Vælg en anden tid"); returns the hold's
    offer, or None when there was no such hold of the citizen's any more (released or
    confirmed already: a confirmed booking is never released here)."""
    vault = vault_for_settings(settings)
    row = session.get(Booking, hold_id, with_for_update=True)
    if row is None or row.held_until is None or not vault.matches(row.citizen_cpr_index, cpr):
        return None
    offer_id = row.offer_id
    session.delete(row)
    free_time_versions.touch(session, row.advisor_id)
    session.flush()
    return offer_id


def held_time(session: Session, settings: Settings, hold_id: uuid.UUID, cpr: Cpr, now: datetime) -> Booking:
    """The citizen's hold, to show its summary: NotFound for an unknown hold or another's,
    Conflict ``hold_expired`` once it has run out. A hold confirmed already is returned
    as the booking it became (``held_until`` None)."""
    row = session.get(Booking, hold_id)
    if row is None or not vault_for_settings(settings).matches(row.citizen_cpr_index, cpr):
        raise NotFound(HOLD_NOT_FOUND, code="hold_not_found")
    if row.held_until is not None and row.held_until <= now:
        raise Conflict(hold_expired_message(settings), code="hold_expired")
    return row


def current_hold(session: Session, settings: Settings, offer_id: uuid.UUID, cpr: Cpr, now: datetime) -> Booking | None:
    """The citizen's unexpired hold in the offer, if any (the week page marks its time)."""
    indexes = vault_for_settings(settings).indexes(cpr)
    return session.scalar(
        select(Booking).where(
            Booking.offer_id == offer_id,
            Booking.citizen_cpr_index.in_(indexes),
            Booking.cancelled_at.is_(None),
            Booking.held_until > now,
        )
    )
