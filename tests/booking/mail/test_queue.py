"""Writing a message in the booking's transaction: once per booking and kind, none without
an address or for a hold, none when the booking is rolled back; the worker is nudged after
the commit only; the Celery task sends what is due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from services.booking.mail import celery_app
from services.booking.mail.queue import add_wake_listener, queue_booking_mail, remove_wake_listener
from services.booking.models import CitizenMail
from shared.config import Settings
from shared.db import Database
from tests.booking.mail.conftest import NOW, SmtpServer, add_booking, add_offer, mails


@pytest.fixture
def wakes() -> Iterator[list[int]]:
    calls: list[int] = []

    def listener() -> None:
        calls.append(1)

    add_wake_listener(listener)
    yield calls
    remove_wake_listener(listener)


def test_a_second_call_for_the_same_booking_and_kind_writes_nothing(
    db: Database, mail_settings: Settings, wakes: list[int]
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer)
    with db.transaction() as session:
        first = queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer, now=NOW)
        again = queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer, now=NOW)
    with db.transaction() as session:
        later = queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer, now=NOW)
        other_kind = queue_booking_mail(session, mail_settings, "reminder", session.merge(booking), offer, now=NOW)
    assert isinstance(first, CitizenMail) and again is None and later is None
    assert isinstance(other_kind, CitizenMail)
    assert sorted(m.kind for m in mails(db)) == ["confirmation", "reminder"]
    assert wakes == [1, 1]  # one nudge per commit that wrote something
    assert first.recipient == "borger@example.org" and first.next_attempt_at == NOW and first.attempts == 0


def test_no_message_without_an_address_or_for_a_hold(db: Database, mail_settings: Settings, wakes: list[int]) -> None:
    offer = add_offer(db)
    silent = add_booking(db, mail_settings, offer, email_address=None)
    hold = add_booking(db, mail_settings, offer, NOW + timedelta(days=2), n=1, held_until=NOW + timedelta(minutes=10))
    with db.transaction() as session:
        for booking in (silent, hold):
            assert queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer) is None
    assert mails(db) == [] and wakes == []


def test_a_rolled_back_booking_leaves_no_message_and_no_nudge(
    db: Database, mail_settings: Settings, wakes: list[int]
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer)
    with pytest.raises(RuntimeError), db.transaction() as session:
        queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer, now=NOW)
        raise RuntimeError("the booking failed after all")
    assert mails(db) == [] and wakes == []


def test_a_booking_not_yet_flushed_gets_its_message(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    template = add_booking(db, mail_settings, offer)
    with db.transaction() as session:
        booking = session.merge(template)
        booking.cancelled_at = NOW
        fresh = type(booking)(
            reference="NEWREF12",
            offer_id=offer.id,
            advisor_id=booking.advisor_id,
            citizen_cpr_index=booking.citizen_cpr_index,
            citizen_cpr_sealed=booking.citizen_cpr_sealed,
            start_at=booking.start_at + timedelta(days=1),
            end_at=booking.end_at + timedelta(days=1),
            occupied_until=booking.occupied_until + timedelta(days=1),
            accept_cancellation=True,
            rebooking_days_before=2,
            email="borger@example.org",
        )
        session.add(fresh)
        mail = queue_booking_mail(session, mail_settings, "rebooked", fresh, offer, old=booking, now=NOW)
    assert mail is not None and mail.booking_id == fresh.id and "NEWREF12" in mail.body


def test_an_unknown_kind_is_a_programming_error(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer)
    with pytest.raises(ValueError, match="unknown kind"), db.transaction() as session:
        queue_booking_mail(session, mail_settings, "invitation", session.merge(booking), offer)  # type: ignore[arg-type]


def test_the_celery_task_sends_what_is_due(db: Database, mail_settings: Settings, smtp_server: SmtpServer) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer)
    with db.transaction() as session:  # written at the current instant: the task reads the clock
        queue_booking_mail(session, mail_settings, "confirmation", session.merge(booking), offer)
    app = celery_app.make_celery(mail_settings)  # eager, as in the demo
    assert app.conf.task_default_queue == celery_app.MAIL_QUEUE
    assert {"send-due-mail", "queue-reminders"} <= set(app.conf.beat_schedule)
    assert app.conf.beat_schedule["send-due-mail"]["schedule"] == 30.0
    assert app.tasks[celery_app.SEND_DUE].delay().get() == 1
    assert len(smtp_server.handler.messages) == 1
    assert app.tasks[celery_app.QUEUE_REMINDERS].delay().get() == 0


def test_the_nudge_reaches_the_broker(db: Database, mail_settings: Settings) -> None:
    """Outside eager mode the commit publishes ``send_due_mail`` on the mail queue."""
    settings = mail_settings.model_copy(update={"celery_eager": False})
    app = celery_app.make_celery(settings)
    offer = add_offer(db)
    booking = add_booking(db, settings, offer)
    with app.connection_for_write() as connection:
        # the worker's queue exists before the booking, as in production: the nudge, published
        # from a thread after the commit, declares nothing and would find no queue otherwise
        queue = connection.SimpleQueue(celery_app.MAIL_QUEUE)
        with db.transaction() as session:
            queue_booking_mail(session, settings, "confirmation", session.merge(booking), offer, now=NOW)
        message = queue.get(timeout=5)
        assert message.headers["task"] == celery_app.SEND_DUE
        message.ack()
        queue.close()
