"""gunicorn settings shared by the offers and booking APIs (threads: I/O-bound requests)."""

import os

workers = int(os.environ.get("PLANNER_GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("PLANNER_GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = "-"
# No query strings in the access log: nothing confidential ever travels in a URL, but be safe.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
preload_app = False  # each worker opens its own database pool and outbox relay
