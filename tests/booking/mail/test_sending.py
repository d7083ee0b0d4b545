"""The sender: a refusing SMTP server means later, with backoff, then once; eight failures
mean given up; concurrent workers send each message once; nothing is sent without a
transport; the pickup folder holds readable .eml files."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from services.booking.mail import sending
from services.booking.mail.queue import queue_booking_mail
from services.booking.mail.sending import MAX_ATTEMPTS, backoff, send_due
from services.booking.mail.transport import PickupDirTransport, SmtpTransport, TransportError, transport_for
from services.booking.models import Booking, CitizenMail, OfferView
from shared.config import Settings
from shared.db import Database
from tests.booking.mail.conftest import NOW, SERVER_SECRET, SmtpServer, add_booking, add_offer, mails


def queued(db: Database, settings: Settings, offer: OfferView, count: int = 1) -> list[Booking]:
    bookings = [
        add_booking(db, settings, offer, NOW + timedelta(days=1, hours=n), n=n, email_address=f"borger{n}@example.org")
        for n in range(count)
    ]
    with db.transaction() as session:
        for booking in bookings:
            queue_booking_mail(session, settings, "confirmation", session.merge(booking), offer, now=NOW)
    return bookings


def test_backoff_doubles_from_30_seconds_to_at_most_an_hour() -> None:
    waits = [backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_refusing_server_gets_the_message_later_and_once(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    queued(db, mail_settings, add_offer(db))
    smtp_server.handler.refuse_data = f"451 4.3.0 {SERVER_SECRET} borger0@example.org"

    assert send_due(db, mail_settings, now=NOW) == 0
    [mail] = mails(db)
    assert mail.attempts == 1 and mail.sent_at is None and mail.failed_at is None and mail.sending_since is None
    assert mail.next_attempt_at == NOW + timedelta(seconds=30)
    assert mail.last_error is not None and mail.last_error.startswith("SMTP 451")
    assert SERVER_SECRET not in mail.last_error and "@" not in mail.last_error
    assert SERVER_SECRET not in caplog.text

    assert send_due(db, mail_settings, now=NOW + timedelta(seconds=29)) == 0  # not due yet: not even tried
    assert smtp_server.handler.refused == 1

    smtp_server.handler.refuse_data = None  # the server recovers
    assert send_due(db, mail_settings, now=NOW + timedelta(seconds=30)) == 1
    assert send_due(db, mail_settings, now=NOW + timedelta(hours=2)) == 0
    assert len(smtp_server.handler.messages) == 1
    [mail] = mails(db)
    assert mail.sent_at == NOW + timedelta(seconds=30) and mail.attempts == 2 and mail.last_error is None


def test_after_eight_failures_the_message_is_given_up(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    queued(db, mail_settings, add_offer(db))
    smtp_server.handler.refuse_data = "451 4.3.0 try again later"
    moment = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_due(db, mail_settings, now=moment) == 0
        [mail] = mails(db)
        assert mail.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert mail.failed_at is None and mail.next_attempt_at == moment + backoff(attempt)
            moment = mail.next_attempt_at
    assert mail.failed_at == moment and mail.last_error == "SMTP 451: beskeden blev afvist"
    smtp_server.handler.refuse_data = None
    assert send_due(db, mail_settings, now=moment + timedelta(days=1)) == 0  # given up is given up
    assert smtp_server.handler.messages == [] and smtp_server.handler.refused == MAX_ATTEMPTS


def test_an_address_the_server_refuses_for_good_is_given_up_at_once(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    queued(db, mail_settings, add_offer(db))
    smtp_server.handler.refuse_rcpt = f"550 5.1.1 {SERVER_SECRET}: no such user"
    assert send_due(db, mail_settings, now=NOW) == 0
    [mail] = mails(db)
    assert mail.failed_at == NOW and mail.attempts == 1
    assert mail.last_error == "SMTP 550: modtageren blev afvist"


def test_an_unreachable_server_is_retried(db: Database, mail_settings: Settings, smtp_server: SmtpServer) -> None:
    queued(db, mail_settings, add_offer(db))
    closed = SmtpTransport("127.0.0.1", 1, "none", "", "", 2.0, "ikke-svar@jobcenter.example")
    assert send_due(db, mail_settings, closed, now=NOW) == 0
    [mail] = mails(db)
    assert mail.last_error == "SMTP: forbindelsen fejlede (ConnectionRefusedError)" and mail.failed_at is None


def test_without_smtp_or_pickup_folder_nothing_is_sent_and_nothing_lost(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    queued(db, mail_settings, add_offer(db))
    nowhere = mail_settings.model_copy(update={"smtp_host": "", "mail_pickup_dir": None})
    assert transport_for(nowhere) is None
    sending._warned_no_transport = False
    assert send_due(db, nowhere, now=NOW) == 0
    assert send_due(db, nowhere, now=NOW) == 0
    assert caplog.text.count("e-mail to citizens waits unsent") == 1
    [mail] = mails(db)
    assert mail.attempts == 0 and mail.sending_since is None and mail.sent_at is None
    assert send_due(db, mail_settings, now=NOW) == 1  # once SMTP is set up, it goes


def test_two_workers_at_once_send_each_message_once(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    queued(db, mail_settings, add_offer(db), count=6)
    second_db = Database(mail_settings.booking_database_url)  # another worker: its own connections
    smtp = transport_for(mail_settings)
    assert smtp is not None
    finished = threading.Event()
    start = threading.Barrier(2)

    class HeldTransport:
        """Sends only once the other worker has finished, so both have claimed what they could."""

        def send(self, message: email.message.EmailMessage, recipient: str) -> None:
            assert finished.wait(10), "the other worker never finished"
            assert smtp is not None
            smtp.send(message, recipient)

    counts: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str, database: Database) -> None:
        try:
            start.wait(10)
            counts[name] = send_due(database, mail_settings, HeldTransport(), now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            finished.set()

    threads = [threading.Thread(target=worker, args=(n, d)) for n, d in (("a", db), ("b", second_db))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    second_db.dispose()
    assert not errors, errors
    assert sum(counts.values()) == 6
    assert len(smtp_server.handler.messages) == 6
    assert sorted(r for [r] in smtp_server.handler.recipients) == [f"borger{n}@example.org" for n in range(6)]


def test_a_message_locked_by_another_worker_is_skipped_not_waited_for(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    queued(db, mail_settings, add_offer(db))
    with db.engine.connect() as other:  # another worker in the middle of its claim
        other.execute(text("SELECT id FROM citizen_mail FOR UPDATE"))
        assert send_due(db, mail_settings, now=NOW) == 0
        other.rollback()
    assert smtp_server.handler.messages == []
    assert send_due(db, mail_settings, now=NOW) == 1


def test_a_claim_of_a_worker_that_died_is_taken_again_after_ten_minutes(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    queued(db, mail_settings, add_offer(db))
    with db.transaction() as session:
        session.execute(update(CitizenMail).values(sending_since=NOW))  # claimed, then the worker died
    assert send_due(db, mail_settings, now=NOW + timedelta(minutes=9)) == 0
    assert send_due(db, mail_settings, now=NOW + timedelta(minutes=10, seconds=1)) == 1
    assert len(smtp_server.handler.messages) == 1


def test_an_unexpected_error_is_recorded_and_retried(db: Database, mail_settings: Settings) -> None:
    queued(db, mail_settings, add_offer(db))

    class Broken:
        def send(self, message: email.message.EmailMessage, recipient: str) -> None:
            raise RuntimeError("boom")

    assert send_due(db, mail_settings, Broken(), now=NOW) == 0
    [mail] = mails(db)
    assert mail.last_error == "uventet fejl (RuntimeError)" and mail.sending_since is None
    assert mail.next_attempt_at == NOW + timedelta(seconds=30)


def test_the_pickup_folder_gets_one_readable_eml_per_message(
    db: Database, mail_settings: Settings, tmp_path: Path
) -> None:
    [booking] = queued(db, mail_settings, add_offer(db))
    folder = tmp_path / "mailbox"
    settings = mail_settings.model_copy(update={"mail_pickup_dir": folder})
    assert isinstance(transport_for(settings), PickupDirTransport)  # the folder wins over SMTP
    assert send_due(db, settings, now=NOW) == 1
    [mail] = mails(db)
    assert sorted(p.name for p in folder.iterdir()) == [f"{mail.id}.eml"]  # no temporary file left
    assert folder.stat().st_mode & 0o077 == 0
    message = email.message_from_bytes((folder / f"{mail.id}.eml").read_bytes(), policy=email.policy.default)
    assert message["To"] == "borger0@example.org"
    assert booking.reference in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [part] = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert part.get_content_type() == "text/calendar" and "METHOD:PUBLISH" in part.get_content()


def test_an_unwritable_pickup_folder_is_a_retry(db: Database, mail_settings: Settings, tmp_path: Path) -> None:
    queued(db, mail_settings, add_offer(db))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = mail_settings.model_copy(update={"mail_pickup_dir": blocker / "mail"})
    assert send_due(db, settings, now=NOW) == 0
    [mail] = mails(db)
    assert mail.last_error is not None and mail.last_error.startswith("mappen kunne ikke skrives")


def test_transport_errors_are_short() -> None:
    assert len(TransportError("x" * 1000).description) == 300


def test_the_claim_sets_sending_since(db: Database, mail_settings: Settings) -> None:
    queued(db, mail_settings, add_offer(db), count=2)
    claimed = sending.claim_due(db, NOW)
    assert len(claimed) == 2
    with db.transaction() as session:
        assert set(session.scalars(select(CitizenMail.sending_since))) == {NOW}
    assert sending.claim_due(db, NOW) == []
