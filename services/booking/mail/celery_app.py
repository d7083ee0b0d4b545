"""The booking service's mail worker: a Celery app of its own that sends the e-mails to
citizens and writes the reminders.

Start it (with beat; every replica may run beat, as sending and reminding are safe to run
concurrently)::

    celery -A services.booking.mail.celery_app worker -B -Q planner.booking.mail --loglevel=INFO

``send_due_mail`` runs every 30 seconds and after each commit that wrote a message (the
nudge of ``queue``); ``queue_reminders`` every 15 minutes, which also deletes the messages
sent or given up more than 30 days ago (``retention``); ``pass_on_seat_offers`` every minute,
which passes a waiting list's expired seat offer on to the next (``waiting_list``). A failed message is retried by its
row in ``citizen_mail`` (backoff, then ``failed_at``), not by Celery, so a lost task loses
nothing: the next run sends what is due. Beat keeps its schedule in ``state_dir``, a folder of
this user only (as the calendar-sync worker's beat does).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery, signals

from services.booking.free_time_versions import fold
from services.booking.mail.reminders import queue_reminders
from services.booking.mail.retention import purge_old_mail
from services.booking.mail.sending import send_due
from services.booking.waiting_list import pass_on_expired_offers
from shared.config import Settings, get_settings
from shared.db import Database
from shared.logs import configure_logging
from shared.messaging import broker_ssl

log = logging.getLogger(__name__)

APP_NAME = "booking_mail"
MAIL_QUEUE = "planner.booking.mail"
SEND_DUE = "booking_mail.send_due"
QUEUE_REMINDERS = "booking_mail.queue_reminders"
PASS_ON_SEAT_OFFERS = "booking_mail.pass_on_seat_offers"
SEND_EVERY_SECONDS = 30.0
REMIND_EVERY_SECONDS = 15 * 60.0
PASS_ON_EVERY_SECONDS = 60.0
SOFT_TIME_LIMIT_SECONDS = 300
TIME_LIMIT_SECONDS = 360
"""Below the sender's claim timeout (10 minutes): a killed task's claims are taken again."""

__all__ = ["MAIL_QUEUE", "app", "database", "make_celery", "send_due_later"]

_lock = threading.Lock()
_databases: dict[tuple[int, str], Database] = {}
_apps: dict[str, Celery] = {}


def database(settings: Settings) -> Database:
    """This process's booking database for ``settings`` (a prefork child makes its own)."""
    key = (os.getpid(), settings.booking_database_url)
    with _lock:
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = Database(settings.booking_database_url)
        return db


@signals.setup_logging.connect
def _setup_logging(loglevel: Any = None, **kwargs: Any) -> None:
    """Our logging instead of Celery's: CPR numbers masked in every line."""
    configure_logging(get_settings().log_level)


def make_celery(settings: Settings | None = None) -> Celery:
    """The mail worker's Celery app for ``settings``: JSON only, late acks, prefetch 1, its own
    queue (``MAIL_QUEUE``), the three tasks and their beat schedule."""
    settings = settings or get_settings()
    app = Celery(APP_NAME, broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=MAIL_QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=SOFT_TIME_LIMIT_SECONDS,
        task_time_limit=TIME_LIMIT_SECONDS,
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        broker_connection_retry_on_startup=True,
        broker_use_ssl=broker_ssl(settings.broker_url, settings.broker_ca_file),
        task_always_eager=settings.celery_eager,
        enable_utc=True,
        timezone="UTC",
        beat_scheduler="shared.beat_state:StateDirScheduler",
        beat_schedule_filename=str(settings.state_dir / f"celerybeat-{MAIL_QUEUE}"),
        beat_schedule={
            "send-due-mail": {"task": SEND_DUE, "schedule": SEND_EVERY_SECONDS},
            "queue-reminders": {"task": QUEUE_REMINDERS, "schedule": REMIND_EVERY_SECONDS},
            "pass-on-seat-offers": {"task": PASS_ON_SEAT_OFFERS, "schedule": PASS_ON_EVERY_SECONDS},
        },
    )

    @app.task(name=SEND_DUE, ignore_result=True, shared=False)
    def send_due_mail() -> int:
        """Send every due e-mail to citizens (retries live in the table, not in Celery)."""
        return send_due(database(settings), settings)

    @app.task(name=QUEUE_REMINDERS, ignore_result=True, shared=False)
    def queue_reminders_task() -> int:
        """Write the reminders that are due now (and delete the messages past their keeping,
        and fold the free-time changes: ``free_time_versions.fold``)."""
        purge_old_mail(database(settings))
        fold(database(settings))
        return queue_reminders(database(settings), settings)

    @app.task(name=PASS_ON_SEAT_OFFERS, ignore_result=True, shared=False)
    def pass_on_seat_offers() -> int:
        """Pass the waiting lists' expired seat offers on to the next (``waiting_list``)."""
        with database(settings).transaction() as session:
            return pass_on_expired_offers(session, settings)

    with _lock:
        _apps.setdefault(settings.model_dump_json(), app)
    return app


def app_for(settings: Settings) -> Celery:
    """The app made for ``settings`` (made now if there is none)."""
    with _lock:
        made = _apps.get(settings.model_dump_json())
    return made if made is not None else make_celery(settings)


def send_due_later(settings: Settings) -> None:
    """Ask a mail worker to send now (one attempt to publish; beat sends anyway). Straight to
    the queue's own exchange, declaring nothing: the booking service's broker user may write
    there and nowhere else (deploy/rabbitmq/definitions.json)."""
    app_for(settings).tasks[SEND_DUE].apply_async(retry=False, exchange=MAIL_QUEUE, routing_key=MAIL_QUEUE, declare=[])


app = make_celery(get_settings())
