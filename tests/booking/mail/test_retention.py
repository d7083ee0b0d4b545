"""Sent and failed e-mails are deleted 30 days after; pending ones are kept however old."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from services.booking.mail.queue import queue_booking_mail
from services.booking.mail.retention import KEPT_FOR, purge_old_mail
from services.booking.models import CitizenMail
from shared.config import Settings
from shared.db import Database
from tests.booking.mail.conftest import MEETING, NOW, add_booking, add_offer, mails


def test_old_sent_and_failed_mail_goes_and_pending_mail_stays(db: Database, mail_settings: Settings) -> None:
    offer = add_offer(db)
    ids = []
    for n in range(4):
        start = MEETING + timedelta(hours=n)
        booking = add_booking(db, mail_settings, offer, start, n=n, email_address=f"borger{n}@borger.example")
        with db.transaction() as session:
            mail = queue_booking_mail(session, mail_settings, "confirmation", booking, offer, now=NOW)
            assert mail is not None
            ids.append(mail.id)
    long_ago, lately = NOW - KEPT_FOR - timedelta(minutes=1), NOW - KEPT_FOR + timedelta(minutes=1)
    with db.transaction() as session:
        session.execute(update(CitizenMail).where(CitizenMail.id == ids[0]).values(sent_at=long_ago))
        session.execute(update(CitizenMail).where(CitizenMail.id == ids[1]).values(failed_at=long_ago))
        session.execute(update(CitizenMail).where(CitizenMail.id == ids[2]).values(sent_at=lately))
        session.execute(update(CitizenMail).where(CitizenMail.id == ids[3]).values(created_at=long_ago))  # pending
    assert purge_old_mail(db, NOW) == 2
    assert sorted(m.id for m in mails(db)) == sorted(ids[2:])
    assert purge_old_mail(db, NOW) == 0
