"""The calendar-sync Celery app: tasks, the periodic schedule and the event consumer.

Start the worker (with beat, one beat per deployment)::

    celery -A services.calendar_sync.celery_app worker -B -Q "$PLANNER_TASK_QUEUE" --loglevel=INFO
    # or: planner worker --beat

Besides the tasks, the worker consumes the service's event queue
(``<exchange>.calendar_sync``) with a consumer bootstep: each event is handed to
``consumer.handle`` and acknowledged only after it returned.

Every task has a soft and a hard time limit (``tasks.SOFT_TIME_LIMIT_SECONDS``,
``tasks.TIME_LIMIT_SECONDS``), and a pool process whose memory grew past
``MAX_MEMORY_PER_CHILD_KIB`` is replaced after its task; a task that kills its process again
and again is dead-lettered by its attempt counter (see ``tasks``). Beat keeps its schedule
(a shelve: pickles) in ``state_dir``, a directory of this user only, never in the shared
temporary folder, where another local user could plant a schedule file beat would unpickle.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps, signals
from kombu import Consumer
from sqlalchemy.orm import configure_mappers

from services.calendar_sync import consumer, runtime
from services.calendar_sync import tasks as _tasks  # noqa: F401 - registers the shared tasks
from services.calendar_sync import write_tasks as _write_tasks  # noqa: F401 - registers the write tasks
from services.calendar_sync.runtime import get_context
from services.calendar_sync.tasks import SOFT_TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS
from shared.config import Settings, get_settings
from shared.logs import configure_logging
from shared.messaging import SUBSCRIPTIONS, EventDelivery, broker_ssl, events_exchange, service_queue

log = logging.getLogger(__name__)

SERVICE = "calendar_sync"
OUTBOX_RELAY_SECONDS = 10.0
MAX_MEMORY_PER_CHILD_KIB = 512 * 1024
"""A pool process above 512 MiB resident memory is replaced once its task is done (the busy
time it keeps in memory, ``PLANNER_BUSY_CACHE_ADVISORS``, is typically 0.2 MB an advisor)."""

__all__ = ["EventConsumerStep", "app", "get_context", "make_celery"]


class EventConsumerStep(bootsteps.ConsumerStep):
    """Consumes the worker's event queue inside the Celery worker process."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.settings = runtime.settings_of(parent.app)
        self.on_message = EventDelivery(lambda envelope: consumer.handle(get_context(self.settings), envelope), 5.0)

    def get_consumers(self, channel: Any) -> list[Consumer]:
        exchange = self.settings.events_exchange
        events_exchange(exchange)(channel).declare()
        for service in SUBSCRIPTIONS:  # every queue, so no event is published into the void
            service_queue(service, exchange)(channel).declare()
        return [
            Consumer(
                channel,
                queues=[service_queue(SERVICE, exchange)],
                callbacks=[self.on_message],
                accept=["json"],
                prefetch_count=10,
            )
        ]


@signals.setup_logging.connect
def _setup_logging(loglevel: Any = None, **kwargs: Any) -> None:
    """Our logging instead of Celery's: one line per record, and CPR numbers masked in every
    line (message and traceback), the prefork children included (they inherit it)."""
    configure_logging(get_settings().log_level)


@signals.worker_init.connect
@signals.worker_process_init.connect
def _configure_mappers(**kwargs: Any) -> None:
    """Configure the ORM's mappers when a worker (or prefork child) starts, not in its first
    task: a time limit striking inside SQLAlchemy's configuration would leave the mappers
    failed for every later task of that process."""
    configure_mappers()


@signals.worker_init.connect
def _serve_metrics(sender: Any = None, **kwargs: Any) -> None:
    """The worker's metrics port (``PLANNER_WORKER_METRICS_PORT``), from the main process: the
    pool's processes write their samples into the folder ``planner worker`` set up."""
    settings = runtime.settings_of(sender.app) if sender is not None else get_settings()
    if not settings.worker_metrics_port:
        return
    from services.calendar_sync.metrics import worker_sources
    from shared.metrics import metrics_app, serve_metrics

    app = metrics_app(settings, "planner-worker", worker_sources(get_context(settings).db))
    serve_metrics(app, settings.worker_metrics_host, settings.worker_metrics_port)


@signals.task_failure.connect
def _count_failure(sender: Any = None, **kwargs: Any) -> None:
    from shared.metrics import TASK_FAILURES

    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@signals.task_retry.connect
def _count_retry(sender: Any = None, **kwargs: Any) -> None:
    from shared.metrics import TASK_RETRIES

    TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()


@signals.worker_process_shutdown.connect
def _process_gone(pid: int | None = None, **kwargs: Any) -> None:
    """A pool process that ended: its live gauges no longer count."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app for ``settings``: JSON only, late acks, prefetch 1, the beat schedule,
    and the event-consumer bootstep. ``settings.celery_eager`` runs tasks in the caller."""
    settings = settings or get_settings()
    app = Celery("calendar_sync", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.task_queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A task never runs for ever, nor does a pool process grow for ever; a task whose
        # process dies again and again is dead-lettered by its attempt counter (tasks).
        task_soft_time_limit=SOFT_TIME_LIMIT_SECONDS,
        task_time_limit=TIME_LIMIT_SECONDS,
        worker_max_memory_per_child=MAX_MEMORY_PER_CHILD_KIB,
        worker_prefetch_multiplier=1,
        # No remote control: anyone who may publish on the broker could shut workers down.
        worker_enable_remote_control=False,
        broker_connection_retry_on_startup=True,
        broker_use_ssl=broker_ssl(settings.broker_url, settings.broker_ca_file),  # amqps://: verified
        task_always_eager=settings.celery_eager,
        enable_utc=True,
        timezone="UTC",
        beat_scheduler="shared.beat_state:StateDirScheduler",
        beat_schedule_filename=str(settings.state_dir / f"celerybeat-{settings.task_queue}"),
        beat_schedule={
            "resync-all-advisors": {
                "task": "calendar_sync.resync_all",
                "schedule": float(settings.sync_interval_seconds),
            },
            "relay-outbox": {"task": "calendar_sync.relay_outbox", "schedule": OUTBOX_RELAY_SECONDS},
        },
    )
    app.steps["consumer"].add(EventConsumerStep)
    runtime.register_app(app, settings)
    return app


app = make_celery(get_settings())
app.set_default()
