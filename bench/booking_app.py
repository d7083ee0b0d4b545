"""The booking app as gunicorn serves it (``services.booking.wsgi``), plus a hello-world route
on the same app, so the benchmarks compare each path with the floor of this very stack: the
same server, workers, threads and middleware (sessions, CSRF, security headers)."""

from __future__ import annotations

from flask import Response

from services.booking.app import create_app
from shared.auth.web import public
from shared.config import get_settings
from shared.logs import configure_logging

HELLO = "/bench/hello"

configure_logging("WARNING")
app = create_app(get_settings())  # the outbox relay runs, as in production


@public
def hello() -> Response:
    return Response("Hello, world!", mimetype="text/plain")


app.add_url_rule(HELLO, "bench_hello", hello)
