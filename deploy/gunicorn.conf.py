"""gunicorn settings shared by the offers and booking APIs (threads: I/O-bound requests)."""

import logging
import os

from gunicorn.glogging import Logger

from shared.logs import redact_handler
from shared.metrics_folder import prepare_multiprocess

workers = int(os.environ.get("PLANNER_GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("PLANNER_GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = "-"
# No query strings in the access log: nothing confidential ever travels in a URL, but be safe.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
preload_app = False  # each worker opens its own database pool and outbox relay


class CprRedactingLogger(Logger):
    """gunicorn's error and access logs, masking CPR numbers in every line they write.

    gunicorn makes its handlers itself, after reading this file and again on every reload
    (SIGHUP), in the master and so in every worker it forks: its own lines (a request that
    failed, a worker that could not load the app, a URL in the access log) are masked from
    the first one, before the app's ``configure_logging`` runs, and whatever the app does.
    """

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log, logging.getLogger()):
            for handler in log.handlers:
                redact_handler(handler)


logger_class = CprRedactingLogger


# Prometheus' multiprocess mode (shared/metrics.py): every worker writes its samples into one
# folder of this run, which /metrics adds up whichever worker answers. A folder given in
# PROMETHEUS_MULTIPROC_DIR is emptied at start (samples of an earlier run would be counted).
prepare_multiprocess("planner-metrics-")


def child_exit(server: object, worker: object) -> None:
    """A worker that ended: its live gauges no longer count (its counters and histograms do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
