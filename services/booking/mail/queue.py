"""Writing e-mails to citizens into the ``citizen_mail`` table, inside the caller's transaction.

``queue_booking_mail`` is called by the operation that creates, moves or cancels a booking,
so the message exists exactly when the change does: a rolled-back booking leaves no mail,
and a committed one always has its mail, whatever happens to the worker. The unique
(booking, kind) makes a repeated call write nothing (``INSERT .. ON CONFLICT DO NOTHING``).

After the commit the mail worker is nudged (``send_due_mail``), so the message leaves at
once; the nudge is only a shortcut: beat runs the sender every 30 seconds anyway, and a
broker that is down only delays the message.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.booking.mail.compose import KINDS, ComposedMail, MailKind, compose
from services.booking.models import Booking, CitizenMail, OfferView
from shared.config import Settings
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

PENDING = "citizen_mail_pending"
"""``session.info`` key: the settings of the mail this transaction wrote (nudge after commit)."""
LISTENING = "citizen_mail_listening"

_wake_lock = threading.Lock()
_wake_listeners: list[Callable[[], None]] = []


def add_wake_listener(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every commit that wrote a message (the demo's mail thread)."""
    with _wake_lock:
        _wake_listeners.append(listener)


def remove_wake_listener(listener: Callable[[], None]) -> None:
    with _wake_lock:
        if listener in _wake_listeners:
            _wake_listeners.remove(listener)


def queue_booking_mail(
    session: Session,
    settings: Settings,
    kind: MailKind,
    booking: Booking,
    offer: OfferView,
    *,
    old: Booking | None = None,
    now: datetime | None = None,
    replace: bool = False,
) -> CitizenMail | None:
    """Compose the message ``kind`` about ``booking`` and write it in the caller's transaction.

    ``kind`` is ``confirmation`` (a new booking), ``rebooked`` (``booking`` is the new one,
    ``old`` the booking it replaced), ``cancelled`` (``booking`` is the cancelled one) or
    ``reminder``. Nothing is written for a booking without an e-mail address or for a hold.
    Returns the new row, or None when nothing was written (no address, a hold, or this
    booking already has its message of this kind). The worker is nudged after the commit.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of citizen mail: {kind!r}")
    if not booking.email or booking.held_until is not None:
        return None
    now = now or utcnow()
    if booking.id is None or booking.created_at is None:
        session.flush()  # the booking's id and creation time are given at its insert
    message = compose(kind, offer, booking, old=old, public_url=settings.booking_public_url, now=now)
    return write_mail(session, settings, booking.id, kind, booking.email, message, now, replace=replace)


def write_mail(
    session: Session,
    settings: Settings,
    subject_id: uuid.UUID,
    kind: str,
    recipient: str,
    message: ComposedMail,
    now: datetime,
    *,
    replace: bool = False,
) -> CitizenMail | None:
    """Write the composed ``message`` of ``kind`` about ``subject_id`` (a booking, or a place
    on a waiting list) to ``recipient``, once: None when that subject has its message of this
    kind already, unless ``replace``: then this message takes the place of the earlier one
    (a meeting moved twice: the latest move is what the citizen must know). The worker is
    nudged after the commit."""
    if replace:
        session.execute(delete(CitizenMail).where(CitizenMail.booking_id == subject_id, CitizenMail.kind == kind))
    values = {
        "id": uuid.uuid4(),
        "booking_id": subject_id,
        "kind": kind,
        "recipient": recipient,
        "subject": message.subject,
        "body": message.body,
        "calendar": message.calendar,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CitizenMail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["booking_id", "kind"])
        .returning(CitizenMail.id)
    )
    written = session.execute(statement).scalar_one_or_none()
    if written is None:
        return None
    _nudge_after_commit(session, settings)
    return session.get(CitizenMail, written)


def _nudge_after_commit(session: Session, settings: Settings) -> None:
    session.info[PENDING] = settings
    if not session.info.get(LISTENING):
        session.info[LISTENING] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def _after_commit(session: Session) -> None:
    settings = session.info.pop(PENDING, None)
    if isinstance(settings, Settings):
        nudge(settings)


def nudge(settings: Settings) -> None:
    """Tell the mail worker there is mail to send: the wake listeners of this process, and
    (when an SMTP server or a pickup directory is set, and unless Celery runs eagerly, as in
    the demo, whose own thread sends) the ``send_due_mail`` task, published from a thread of
    its own. A failure is logged and forgotten: beat runs
    the sender soon anyway."""
    with _wake_lock:
        listeners = list(_wake_listeners)
    for listener in listeners:
        listener()
    sends = bool(settings.smtp_host or settings.mail_pickup_dir)  # else no worker here can send it
    if sends and not settings.celery_eager:  # in a thread: a slow or absent broker never holds up the request
        threading.Thread(target=_publish_nudge, args=(settings,), name="citizen-mail-nudge", daemon=True).start()


def _publish_nudge(settings: Settings) -> None:
    try:
        from services.booking.mail.celery_app import send_due_later

        send_due_later(settings)
    except Exception as exc:  # noqa: BLE001 - the broker may be down; beat sends the mail later
        log.warning("could not nudge the mail worker (it sends on its schedule): %s", type(exc).__name__)
