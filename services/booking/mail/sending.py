"""Sending the due e-mails to citizens: claim, send, record; retry with backoff.

``send_due`` claims due messages in a short transaction of its own (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so concurrent workers take disjoint rows; SQLite, the demo's, has one
writer at a time), marks them ``sending_since`` and commits; only then does it talk to the
SMTP server, one message at a time, and record the outcome in another short transaction.
A message claimed by a worker that died is claimed again after ``CLAIM_TIMEOUT``.

A failed attempt is tried again after 30 seconds, doubling up to an hour; after
``MAX_ATTEMPTS`` (or at once when the server refused the address for good) the message gets
``failed_at``, which staff and IT can see. A reminder is checked again just before it is
sent: a booking that was cancelled, moved or has begun gets no reminder.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import or_, select, update

from services.booking.mail.transport import Transport, TransportError, transport_for
from services.booking.models import OFFERED, Booking, CitizenMail, WaitingListEntry
from shared.config import Settings
from shared.db import Database
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
BATCH = 20
"""Messages claimed at a time: sent well within ``CLAIM_TIMEOUT`` even at every SMTP timeout."""
CANCELLED = "aflyst"
TOO_LATE = "mødet er begyndt"
SEAT_GONE = "pladsen er ikke længere holdt"
MESSAGE_ID_DOMAIN = "jobcenter-planner"

_warned_no_transport = False


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def message_id(mail_id: uuid.UUID) -> str:
    """``<mail-<id>@jobcenter-planner>``: the same for every attempt of one message,
    so a receiving system can recognise a message it got twice."""
    return f"<mail-{mail_id}@{MESSAGE_ID_DOMAIN}>"


def build_message(mail: CitizenMail, mail_from: str) -> EmailMessage:
    """The MIME message: the Danish text, and the calendar file as a ``text/calendar``
    attachment whose ``method`` is the file's own (PUBLISH or CANCEL)."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id(mail.id)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body, charset="utf-8")
    if mail.calendar:
        method = "CANCEL" if mail.kind == "cancelled" else "PUBLISH"
        message.add_attachment(
            mail.calendar.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="aflysning.ics" if method == "CANCEL" else "moede.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return message


def claim_due(db: Database, now: datetime, limit: int = BATCH) -> list[CitizenMail]:
    """Take up to ``limit`` due messages for this worker (``sending_since`` = ``now``) and commit."""
    with db.transaction() as session:
        query = (
            select(CitizenMail)
            .where(
                CitizenMail.sent_at.is_(None),
                CitizenMail.failed_at.is_(None),
                CitizenMail.next_attempt_at <= now,
                or_(CitizenMail.sending_since.is_(None), CitizenMail.sending_since < now - CLAIM_TIMEOUT),
            )
            .order_by(CitizenMail.next_attempt_at, CitizenMail.created_at, CitizenMail.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        mails = list(session.scalars(query).all())
        for mail in mails:
            mail.sending_since = now
        return mails


def _reminder_obsolete(db: Database, mail: CitizenMail, now: datetime) -> str | None:
    with db.transaction() as session:
        booking = session.get(Booking, mail.booking_id)
        if booking is None or booking.cancelled_at is not None or booking.held_until is not None:
            return CANCELLED
        return TOO_LATE if booking.start_at <= now else None


def _record_sent(db: Database, mail: CitizenMail, now: datetime) -> None:
    with db.transaction() as session:
        session.execute(
            update(CitizenMail)
            .where(CitizenMail.id == mail.id)
            .values(sent_at=now, sending_since=None, attempts=mail.attempts + 1, last_error=None)
        )


def _record_given_up(db: Database, mail: CitizenMail, now: datetime, reason: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(CitizenMail)
            .where(CitizenMail.id == mail.id)
            .values(failed_at=now, sending_since=None, last_error=reason)
        )


def _record_failure(db: Database, mail: CitizenMail, now: datetime, error: TransportError) -> None:
    attempts = mail.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "sending_since": None, "last_error": error.description}
    if error.permanent or attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
        log.warning("citizen mail %s failed for good after %d attempts: %s", mail.id, attempts, error.description)
    else:
        values["next_attempt_at"] = now + backoff(attempts)
        log.info("citizen mail %s not sent (attempt %d), retrying: %s", mail.id, attempts, error.description)
    with db.transaction() as session:
        session.execute(update(CitizenMail).where(CitizenMail.id == mail.id).values(**values))


def _seat_offer_obsolete(db: Database, mail: CitizenMail, now: datetime) -> str | None:
    with db.transaction() as session:
        entry = session.get(WaitingListEntry, mail.booking_id)
        if entry is None or entry.status != OFFERED or entry.offer_expires_at is None:
            return SEAT_GONE
        return SEAT_GONE if entry.offer_expires_at <= now else None


def send_one(db: Database, settings: Settings, transport: Transport, mail: CitizenMail, now: datetime) -> bool:
    """Send one claimed message and record the outcome; True when the server took it. A
    reminder of a booking that is gone, or a seat offer that is over, is not sent."""
    obsolete = {"reminder": _reminder_obsolete, "seat_offered": _seat_offer_obsolete}.get(mail.kind)
    if obsolete is not None:
        reason = obsolete(db, mail, now)
        if reason is not None:
            _record_given_up(db, mail, now, reason)
            return False
    try:
        transport.send(build_message(mail, settings.mail_from), mail.recipient)
    except TransportError as error:
        _record_failure(db, mail, now, error)
        return False
    except Exception as exc:  # recorded and retried like any failure, never left claimed
        log.exception("citizen mail %s: unexpected error while sending", mail.id)
        _record_failure(db, mail, now, TransportError(f"uventet fejl ({type(exc).__name__})"))
        return False
    _record_sent(db, mail, now)
    return True


def send_due(db: Database, settings: Settings, transport: Transport | None = None, now: datetime | None = None) -> int:
    """Send every message due at ``now`` (default: the current instant, read at each step);
    returns how many the server took. ``transport`` defaults to ``transport_for(settings)``;
    with none set up nothing is claimed and the messages wait (logged once per process)."""
    global _warned_no_transport
    transport = transport or transport_for(settings)
    if transport is None:
        if not _warned_no_transport:
            _warned_no_transport = True
            log.warning("no SMTP server (PLANNER_SMTP_HOST) nor pickup folder: e-mail to citizens waits unsent")
        return 0
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    sent = 0
    while True:
        claimed = claim_due(db, clock())
        for mail in claimed:
            sent += send_one(db, settings, transport, mail, clock())
        if len(claimed) < BATCH:
            return sent
