"""What a citizen receives: the confirmation, the rebooking and the cancellation e-mail, over a
real SMTP server, each once, in Danish, with the calendar file, never with a CPR number."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import icalendar
from sqlalchemy import update

from services.booking.calendar_file import citizen_uid
from services.booking.mail.queue import queue_booking_mail
from services.booking.mail.sending import send_due
from services.booking.models import Booking, OfferView
from shared.config import Settings
from shared.db import Database
from tests.booking.conftest import TODAY, at, fictitious_cpr
from tests.booking.mail.conftest import NOW, PUBLIC_URL, SmtpServer, add_booking, add_offer, mail_of

CPR_DIGITS = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def queue(db: Database, settings: Settings, kind: str, booking: Booking, offer: OfferView, **kw: object) -> None:
    with db.transaction() as session:
        queue_booking_mail(session, settings, kind, session.merge(booking), offer, now=NOW, **kw)  # type: ignore[arg-type]


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""Booking ids in links and calendar UIDs: their digit groups may look like a CPR number."""


def assert_no_cpr(raw: bytes, n: int = 0) -> None:
    """Neither the citizen's CPR number nor anything shaped like one, nor their name, in the
    message as sent or in any of its parts decoded (a base64 part hides digits from a raw scan)."""
    message = BytesParser(policy=default).parsebytes(raw)
    parts = [raw.decode("utf-8", "replace")]
    parts += [str(part.get_content()) for part in message.walk() if not part.is_multipart()]
    for text in parts:
        unfolded = UUID.sub("", text.replace("\r\n ", ""))
        assert fictitious_cpr(n) not in text and CPR_DIGITS.search(unfolded) is None
        assert f"Borger {n}" not in text


def test_the_confirmation_arrives_once_in_danish_with_the_calendar_file(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db, name="Jobsamtale", place="Torvet 1")
    booking = add_booking(db, mail_settings, offer)
    queue(db, mail_settings, "confirmation", booking, offer)

    assert send_due(db, mail_settings, now=NOW) == 1
    assert send_due(db, mail_settings, now=NOW + timedelta(minutes=20)) == 0  # sent is sent

    [raw] = smtp_server.handler.messages
    [message] = smtp_server.handler.parsed()
    assert smtp_server.handler.recipients == [["borger@example.org"]]
    assert message["To"] == "borger@example.org"
    assert message["From"] == "Jobcenter Testby <ikke-svar@jobcenter.example>"
    assert message["Subject"] == "Bekræftelse: Jobsamtale tirsdag 8. december 2026 kl. 09.00"
    mail = mail_of(db, booking, "confirmation")
    assert message["Message-ID"] == f"<mail-{mail.id}@jobcenter-planner>"  # one line: not folded
    assert mail.sent_at == NOW and mail.attempts == 1 and mail.sending_since is None

    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Du har booket et møde" in text
    assert f"Bookingreference: {booking.reference}" in text
    assert "Tidspunkt: tirsdag 8. december 2026 kl. 09.00-09.30" in text
    assert "Alle tider er dansk tid." in text
    assert "Mødeform: Fremmøde på Torvet 1." in text
    assert "Du kan aflyse mødet." in text and "indtil 2 dage før mødet" in text
    assert f"{PUBLIC_URL}/mine-moedetilbud/aftaler" in text
    assert ".ics" in text

    calendar = calendar_of(message)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == citizen_uid(booking.id)
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert event["DTSTART"].dt.astimezone(UTC) == at(TODAY + timedelta(days=1), 9).astimezone(UTC)
    assert_no_cpr(raw)


def test_a_cpr_number_in_staffs_free_text_is_masked_everywhere(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db, name="Samtale 150289-3427\r\nBcc: x@example.org", place="Lokale 1502893427")
    booking = add_booking(db, mail_settings, offer)
    queue(db, mail_settings, "confirmation", booking, offer)
    assert send_due(db, mail_settings, now=NOW) == 1
    [raw] = smtp_server.handler.messages
    assert_no_cpr(raw)
    [message] = smtp_server.handler.parsed()
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])


def test_the_cancellation_withdraws_the_same_calendar_event(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db)
    booking = add_booking(db, mail_settings, offer)
    queue(db, mail_settings, "confirmation", booking, offer)
    with db.transaction() as session:
        session.execute(update(Booking).where(Booking.id == booking.id).values(cancelled_at=NOW))
    booking.cancelled_at = NOW
    queue(db, mail_settings, "cancelled", booking, offer)

    assert send_due(db, mail_settings, now=NOW) == 2
    confirmation, cancellation = sorted(smtp_server.handler.parsed(), key=lambda m: not m["Subject"].startswith("B"))
    assert cancellation["Subject"] == "Aflyst: Jobsamtale tirsdag 8. december 2026 kl. 09.00"
    text = cancellation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dit møde hos jobcentret er aflyst." in text and booking.reference in text
    published, cancelled = calendar_of(confirmation), calendar_of(cancellation)
    [first], [second] = published.walk("VEVENT"), cancelled.walk("VEVENT")
    assert str(cancelled["METHOD"]) == "CANCEL" and str(second["STATUS"]) == "CANCELLED"
    assert str(first["UID"]) == str(second["UID"]) == citizen_uid(booking.id)
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    [part] = list(cancellation.iter_attachments())
    assert part.get_param("method") == "CANCEL"
    for raw in smtp_server.handler.messages:
        assert_no_cpr(raw)


def test_the_rebooking_names_the_new_time_and_the_old_one(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    offer = add_offer(db)
    old = add_booking(db, mail_settings, offer, at(TODAY + timedelta(days=1), 9), cancelled_at=NOW)
    new = add_booking(db, mail_settings, offer, at(TODAY + timedelta(days=3), 11), created_at=NOW)
    queue(db, mail_settings, "rebooked", new, offer, old=old)

    assert send_due(db, mail_settings, now=NOW) == 1
    [message] = smtp_server.handler.parsed()
    assert message["Subject"] == "Mødet er flyttet: Jobsamtale torsdag 10. december 2026 kl. 11.00"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Tidspunkt: torsdag 10. december 2026 kl. 11.00-11.30" in text
    assert "Den tidligere tid, tirsdag 8. december 2026 kl. 09.00-09.30, er aflyst." in text
    assert f"Bookingreference: {new.reference}" in text
    [event] = calendar_of(message).walk("VEVENT")
    assert str(event["UID"]) == citizen_uid(new.id)


def test_summer_time_is_danish_time_too(db: Database, mail_settings: Settings, smtp_server: SmtpServer) -> None:
    offer = add_offer(db)
    june = at(TODAY.replace(year=2027, month=6, day=15), 13, 30)  # a Tuesday, UTC+2
    booking = add_booking(db, mail_settings, offer, june)
    queue(db, mail_settings, "confirmation", booking, offer)
    assert send_due(db, mail_settings, now=NOW) == 1
    [message] = smtp_server.handler.parsed()
    assert message["Subject"].endswith("tirsdag 15. juni 2027 kl. 13.30")
    assert "kl. 13.30-14.00" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
