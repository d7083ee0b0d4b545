"""Prometheus metrics of the HTTP services (``GET /metrics``), with ``prometheus-client``.

Under gunicorn each worker is a process of its own: when ``PROMETHEUS_MULTIPROC_DIR`` is set
(``deploy/gunicorn.conf.py`` sets it to a folder of this run), every process writes its
samples there and ``/metrics`` adds them up, whichever worker answers; without it (the demo,
the tests) the process's own registry is served.

What is measured, by label values that never carry what a caller typed (the route as written
in the code, never the path; no CPR number, no name):

- ``planner_http_request_duration_seconds{service, route, method, status}``: every request;
- ``planner_bookings_total{kind, outcome}``: bookings and seats made, refusals by their code
  (``services.booking``);
- gauges read from the service's own database at each scrape (``GaugeSource``): the age of
  the oldest event in the outbox not yet sent (a broker or relay that is stuck), and whatever
  the service adds (booking: the holds and the seats held for waiting lists).

``/metrics`` needs an identity with the ``monitor`` role at every job centre (``monitor:*``,
an API key for Prometheus' ``authorization`` setting): the figures are no one's business but
IT's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from apiflask import APIFlask
from flask import Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from shared.auth.access import Action
from shared.auth.principal import EVERY_JOB_CENTRE, Citizen, Role
from shared.auth.web import require_principal, requires
from shared.config import Settings
from shared.errors import Forbidden
from shared.metrics_folder import MULTIPROCESS
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NOT_MONITOR = "Kun overvågning (rollen monitor ved alle jobcentre) kan læse målingerne."

REQUEST_SECONDS = Histogram(
    "planner_http_request_duration_seconds",
    "Time to answer an HTTP request, by the route as written in the code.",
    ["service", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CALDAV_ERRORS = Counter("planner_caldav_errors_total", "Calendar reads that failed, by the kind of failure.", ["kind"])
TASK_FAILURES = Counter("planner_worker_task_failures_total", "Worker tasks that failed for good, by task.", ["task"])
TASK_RETRIES = Counter("planner_worker_task_retries_total", "Worker tasks retried, by task.", ["task"])
BOOKINGS = Counter(
    "planner_bookings_total",
    "Bookings and seats asked for, by kind (time, seat, rebooking, cancellation) and outcome (made, or the "
    "refusal's code).",
    ["kind", "outcome"],
)


@dataclass(frozen=True)
class Gauge:
    """One figure read at a scrape: name, help text, value, and its labels."""

    name: str
    documentation: str
    value: float
    labels: dict[str, str] | None = None


GaugeSource = Callable[[], Iterable[Gauge]]


class _DatabaseGauges(Collector):
    """The gauges of ``sources`` at each scrape; a source that fails is left out and logged by
    its kind (the rest is still served)."""

    def __init__(self, sources: list[GaugeSource]) -> None:
        self.sources = sources

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for source in self.sources:
            try:
                gauges = list(source())
            except Exception as exc:  # noqa: BLE001 - a scrape must answer even when the database does not
                log.warning("a metrics source failed: %s", type(exc).__name__)
                continue
            for gauge in gauges:
                labels = gauge.labels or {}
                family = families.get(gauge.name)
                if family is None:
                    family = families[gauge.name] = GaugeMetricFamily(
                        gauge.name, gauge.documentation, labels=sorted(labels)
                    )
                family.add_metric([labels[k] for k in sorted(labels)], gauge.value)
        yield from families.values()


def count_booking(kind: str, outcome: str) -> None:
    """One booking of ``kind`` made (``outcome`` "made") or refused (its problem's code)."""
    BOOKINGS.labels(kind=kind, outcome=outcome[:40]).inc()


def may_read_metrics() -> None:
    """Refuse anyone but a monitor at every job centre (401 anonymous, else 403)."""
    principal = require_principal()
    if isinstance(principal, Citizen) or not any(
        grant.role == Role.MONITOR and grant.job_centre_code == EVERY_JOB_CENTRE for grant in principal.grants
    ):
        raise Forbidden(NOT_MONITOR, code="not_allowed")


def scrape(sources: list[GaugeSource]) -> bytes:
    """The metrics in Prometheus' text format: every process's (multiprocess mode) or this
    process's, and the gauges of ``sources``."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUEST_SECONDS, BOOKINGS, CALDAV_ERRORS, TASK_FAILURES, TASK_RETRIES):
            registry.register(collector)
    registry.register(_DatabaseGauges(sources))
    return generate_latest(registry)


def install_metrics(app: APIFlask, service: str, sources: list[GaugeSource]) -> None:
    """Time every request of ``app`` and serve ``GET /metrics`` (see the module)."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
            REQUEST_SECONDS.labels(service=service, route=rule, method=request.method,
                                   status=str(response.status_code)).observe(time.perf_counter() - started)  # fmt: skip
        return response

    _metrics_route(app, sources)


def _metrics_route(app: APIFlask, sources: list[GaugeSource]) -> None:
    @app.get("/metrics")
    @app.doc(
        summary="Prometheus metrics (text format 0.0.4): request latency by route, bookings, outbox lag",
        description="Needs the monitor role at every job centre (an API key with the grant monitor:*).",
        tags=["Drift"],
        responses={200: {"description": "The metrics.", "content": {CONTENT_TYPE.split(";")[0]: {}}}},
    )
    @requires(Action.READ_METRICS)
    def metrics() -> Any:
        may_read_metrics()
        return Response(scrape(sources), content_type=CONTENT_TYPE)


def metrics_app(settings: Settings, name: str, sources: list[GaugeSource]) -> APIFlask:
    """A service of its own with ``GET /metrics`` only (a worker's port): the same API keys and
    the same monitor rule as the HTTP services' ``/metrics``."""
    from shared.auth.web import Authenticator, install_authentication
    from shared.web import install_error_handling

    app = APIFlask(name, title=f"{name} metrics", version="1", spec_path=None, docs_path=None)
    install_error_handling(app)
    install_authentication(app, Authenticator.from_settings(settings))
    _metrics_route(app, sources)
    return app


def serve_metrics(app: APIFlask, host: str, port: int) -> Callable[[], None]:
    """Serve ``app`` at ``host:port`` from a thread of this process (waitress, 2 threads);
    returns how to stop it."""
    import threading

    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=2, ident="planner")
    threading.Thread(target=server.run, name="metrics", daemon=True).start()
    log.info("metrics at http://%s:%s/metrics", host, port)
    return server.close


def outbox_lag_source(db: Any, outbox: Any) -> GaugeSource:
    """The age in seconds of the oldest event the service has not yet sent (0: none waiting)."""

    def read() -> Iterable[Gauge]:
        with db.transaction() as session:
            oldest = session.scalar(select(func.min(outbox.created_at)).where(outbox.published_at.is_(None)))
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        return [Gauge("planner_outbox_oldest_unsent_seconds", "Age of the oldest event not yet sent.", max(0.0, age))]

    return read
