"""The calendar worker's figures for its metrics port (``shared.metrics``): how old each
advisor's last good calendar read is, and the age of the oldest event the worker has not sent;
the counters of failed calendar reads and of failed and retried tasks are ``shared.metrics``'s,
counted where they happen (``sync``, the Celery signals of ``celery_app``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from services.calendar_sync.models import AdvisorCalendar, OutboxMessage
from shared.db import Database
from shared.metrics import Gauge, GaugeSource, outbox_lag_source
from shared.timeutil import utcnow


def calendar_ages(db: Database) -> GaugeSource:
    """``planner_calendar_age_seconds{advisor_id}``: seconds since each advisor's calendar was
    last read in full (advisors with a calendar; one never read counts from when it was added)."""

    def read() -> Iterable[Gauge]:
        now = utcnow()
        with db.transaction() as session:
            rows = session.execute(
                select(AdvisorCalendar.advisor_id, AdvisorCalendar.last_success_at, AdvisorCalendar.changed_at).where(
                    AdvisorCalendar.caldav_url.is_not(None)
                )
            ).all()
        return [
            Gauge(
                "planner_calendar_age_seconds",
                "Seconds since the advisor's calendar was last read in full.",
                max(0.0, (now - (read_at or changed)).total_seconds()),
                {"advisor_id": advisor_id},
            )
            for advisor_id, read_at, changed in rows
        ]

    return read


def worker_sources(db: Database) -> list[GaugeSource]:
    return [calendar_ages(db), outbox_lag_source(db, OutboxMessage)]
