"""A hello-world route on a service's own app, so the HTTP benchmarks compare each path with the
floor of this very stack: the same server, workers, threads and middleware (sessions, CSRF,
security headers). The apps gunicorn serves are ``bench.booking_app`` and ``bench.offers_app``."""

from __future__ import annotations

from flask import Flask, Response

from shared.auth.web import public

HELLO = "/bench/hello"


@public
def hello() -> Response:
    return Response("Hello, world!", mimetype="text/plain")


def with_hello(app: Flask) -> Flask:
    """``app`` with ``HELLO`` answering "Hello, world!" to anyone."""
    app.add_url_rule(HELLO, "bench_hello", hello)
    return app
