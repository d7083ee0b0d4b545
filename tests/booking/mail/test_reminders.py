"""Reminders: one per booking, a few days before; none for cancelled, moved, held or
short-notice bookings, none when switched off; one cancelled after its reminder was written
is not reminded of."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from services.booking.mail.reminders import queue_reminders
from services.booking.mail.sending import send_due
from services.booking.models import Booking
from shared.config import Settings
from shared.db import Database
from tests.booking.mail.conftest import NOW, SmtpServer, add_booking, add_offer, mail_of, mails

IN_TWO_DAYS = NOW + timedelta(days=2)  # Wednesday 9 December 09:00, inside the default 2 days
EARLY = NOW - timedelta(days=10)


def test_a_booking_made_well_ahead_is_reminded_once(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer, IN_TWO_DAYS, created_at=EARLY)
    assert queue_reminders(db, mail_settings, now=NOW) == 1
    assert queue_reminders(db, mail_settings, now=NOW + timedelta(minutes=15)) == 0
    assert queue_reminders(db, mail_settings, now=NOW + timedelta(days=1)) == 0
    assert send_due(db, mail_settings, now=NOW) == 1
    [message] = smtp_server.handler.parsed()
    assert message["Subject"] == "Påmindelse: Jobsamtale onsdag 9. december 2026 kl. 09.00"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Vi minder dig om dit møde" in text and booking.reference in text
    assert mail_of(db, booking, "reminder").sent_at == NOW


def test_the_reminder_waits_until_the_days_before(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    add_booking(db, mail_settings, offer, IN_TWO_DAYS + timedelta(minutes=1), created_at=EARLY)
    assert queue_reminders(db, mail_settings, now=NOW) == 0  # 2 days and 1 minute ahead
    assert queue_reminders(db, mail_settings, now=NOW + timedelta(minutes=1)) == 1


def test_no_reminder_for_cancelled_moved_held_or_address_less_bookings(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    moved_to = uuid.uuid4()
    add_booking(db, mail_settings, offer, IN_TWO_DAYS, n=1, created_at=EARLY, cancelled_at=NOW - timedelta(days=1))
    add_booking(
        db, mail_settings, offer, IN_TWO_DAYS, n=2, created_at=EARLY, cancelled_at=EARLY, rebooked_to_id=moved_to
    )
    held = NOW + timedelta(minutes=5)
    add_booking(db, mail_settings, offer, IN_TWO_DAYS - timedelta(hours=1), n=3, created_at=EARLY, held_until=held)
    add_booking(db, mail_settings, offer, IN_TWO_DAYS - timedelta(hours=2), n=4, created_at=EARLY, email_address=None)
    add_booking(db, mail_settings, offer, NOW - timedelta(hours=1), n=5, created_at=EARLY)  # already begun
    assert queue_reminders(db, mail_settings, now=NOW) == 0
    assert mails(db) == []


def test_the_booking_a_meeting_was_moved_to_gets_its_own_reminder(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    new = add_booking(db, mail_settings, offer, IN_TWO_DAYS, created_at=EARLY + timedelta(days=1))
    add_booking(db, mail_settings, offer, IN_TWO_DAYS - timedelta(hours=3), created_at=EARLY, cancelled_at=EARLY,
                rebooked_to_id=new.id)  # fmt: skip
    assert queue_reminders(db, mail_settings, now=NOW) == 1
    [mail] = mails(db)
    assert mail.booking_id == new.id and mail.kind == "reminder"


def test_a_meeting_booked_at_short_notice_gets_no_reminder(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    tomorrow = NOW + timedelta(days=1)
    add_booking(db, mail_settings, offer, tomorrow, created_at=NOW - timedelta(hours=1))  # inside the 2 days
    assert queue_reminders(db, mail_settings, now=NOW) == 0
    assert queue_reminders(db, mail_settings, now=NOW + timedelta(hours=12)) == 0


def test_no_reminders_when_switched_off(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    add_booking(db, mail_settings, offer, IN_TWO_DAYS, created_at=EARLY)
    off = mail_settings.model_copy(update={"reminder_days_before": 0})
    assert queue_reminders(db, off, now=NOW) == 0 and mails(db) == []


def test_a_longer_lead_time_is_honoured(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    add_booking(db, mail_settings, offer, NOW + timedelta(days=6), created_at=EARLY)
    assert queue_reminders(db, mail_settings, now=NOW) == 0
    week = mail_settings.model_copy(update={"reminder_days_before": 7})
    assert queue_reminders(db, week, now=NOW) == 1


def test_a_booking_cancelled_after_its_reminder_was_written_is_not_reminded(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer, IN_TWO_DAYS, created_at=EARLY)
    assert queue_reminders(db, mail_settings, now=NOW) == 1
    with db.transaction() as session:
        session.execute(update(Booking).where(Booking.id == booking.id).values(cancelled_at=NOW))
    assert send_due(db, mail_settings, now=NOW + timedelta(minutes=1)) == 0
    assert smtp_server.handler.messages == []
    mail = mail_of(db, booking, "reminder")
    assert mail.failed_at == NOW + timedelta(minutes=1) and mail.last_error == "aflyst"


def test_a_reminder_that_comes_too_late_is_not_sent(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer, IN_TWO_DAYS, created_at=EARLY)
    assert queue_reminders(db, mail_settings, now=NOW) == 1
    assert send_due(db, mail_settings, now=IN_TWO_DAYS + timedelta(minutes=5)) == 0  # the worker was down
    assert smtp_server.handler.messages == []
    assert mail_of(db, booking, "reminder").last_error == "mødet er begyndt"
