"""The demo's mailbox: on SQLite, as the demo runs, a booking's e-mail lands in the pickup
folder as soon as the booking is committed, once, written by the demo's mail thread."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.booking.db import migrate
from services.booking.mail.queue import queue_booking_mail
from services.demo.run import DemoStack, _send_mail, demo_environment, mail_folder
from shared.config import Settings
from shared.db import Database
from tests.booking.mail.conftest import add_booking, add_offer, mails
from tests.conftest import eventually, make_settings


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    migrate(url)
    settings = make_settings(
        booking_database_url=url, broker_url="memory://", celery_eager=True, mail_pickup_dir=mail_folder(tmp_path)
    )
    db = Database(url)
    yield db, settings
    db.dispose()


def test_the_demo_keeps_its_mail_in_a_folder_of_its_own(tmp_path: Path) -> None:
    environment = demo_environment(tmp_path)
    assert environment["PLANNER_MAIL_PICKUP_DIR"] == str(tmp_path / "e-mail")
    assert Settings.model_validate({"mail_pickup_dir": environment["PLANNER_MAIL_PICKUP_DIR"]}).mail_pickup_dir


def test_the_demos_mail_thread_delivers_a_booking_mail_into_the_folder(
    sqlite_db: tuple[Database, Settings],
) -> None:
    db, settings = sqlite_db
    offer = add_offer(db)
    booking = add_booking(db, settings, offer)
    stack: Any = DemoStack(settings, "", "", None, {}, None, None)  # type: ignore[arg-type]
    _send_mail(settings, db, stack)
    try:
        with db.transaction() as session:  # written now: the thread reads the clock
            queue_booking_mail(session, settings, "confirmation", session.merge(booking), offer)
            queue_booking_mail(session, settings, "confirmation", session.merge(booking), offer)
        folder = mail_folder(Path(str(settings.mail_pickup_dir)).parent)
        [file] = eventually(lambda: list(folder.glob("*.eml")), "the e-mail in the demo's folder", timeout=20)
    finally:
        stack.stop()
    [mail] = mails(db)
    assert file.name == f"{mail.id}.eml" and mail.sent_at is not None
    message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Bekræftelse: Jobsamtale tirsdag 8. december 2026 kl. 09.00"
