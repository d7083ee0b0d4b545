"""The offers app as gunicorn serves it (``services.offers.wsgi``), plus a hello-world route on
the same app (see ``bench.booking_app``)."""

from __future__ import annotations

from flask import Response

from services.offers.app import create_app
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
