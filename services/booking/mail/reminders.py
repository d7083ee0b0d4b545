"""Reminders: one e-mail a few days before a meeting (``PLANNER_REMINDER_DAYS_BEFORE``).

Run every 15 minutes by the mail worker's beat. A booking gets a reminder when it is active
(not a hold, not cancelled or moved), has an e-mail address, starts within the next
``reminder_days_before`` days, and was booked before that reminder time: a meeting booked at
short notice has just had its confirmation, which is enough. A moved booking is cancelled,
so only the booking it moved to is reminded of. The unique (booking, kind) keeps it to one
reminder per booking however often this runs; the sender checks again just before sending.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from services.booking.mail.queue import queue_booking_mail
from services.booking.models import Booking, CitizenMail, OfferView
from shared.config import Settings
from shared.db import Database
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


def queue_reminders(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Write the reminders due at ``now``; returns how many were written (none when
    ``reminder_days_before`` is 0)."""
    if settings.reminder_days_before == 0:
        return 0
    now = now or utcnow()
    lead = timedelta(days=settings.reminder_days_before)
    reminded = select(CitizenMail.booking_id).where(CitizenMail.kind == "reminder")
    written = 0
    with db.transaction() as session:
        rows = session.execute(
            select(Booking, OfferView)
            .join(OfferView, OfferView.id == Booking.offer_id)
            .where(
                Booking.cancelled_at.is_(None),
                Booking.held_until.is_(None),
                Booking.email.is_not(None),
                Booking.start_at > now,
                Booking.start_at <= now + lead,
                Booking.id.not_in(reminded),
            )
            .order_by(Booking.start_at)
        ).all()
        for booking, offer in rows:
            if booking.created_at >= booking.start_at - lead:
                continue  # booked at short notice: the confirmation was the reminder
            if queue_booking_mail(session, settings, "reminder", booking, offer, now=now) is not None:
                written += 1
    if written:
        log.info("queued %d reminder e-mails to citizens", written)
    return written
