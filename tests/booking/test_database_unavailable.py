"""When the database does not answer (a restart, a failover, terminated connections), a
request gets a clean 503 with a Danish message and ``Retry-After``: a problem document on
the API, a page on the citizen site; and once the database answers again, so does the
service, without a restart."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from flask.testing import FlaskClient

from shared.auth.web import SESSION_COOKIE
from tests.booking.conftest import BookingService


@contextmanager
def database_away(url: str, admin_dsn: str) -> Iterator[None]:
    """While inside, the database at ``url`` refuses connections and its open ones are ended."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def times(service: BookingService, offer: uuid.UUID) -> object:
    return service.app.test_client().get(f"/api/v1/offers/{offer}/times")


def test_the_api_answers_503_while_the_database_is_away_and_recovers(
    service: BookingService, booking_pg_url: str, postgres_admin_dsn: str
) -> None:
    offer = uuid.uuid4()
    assert times(service, offer).status_code == 404  # connected: the offer is unknown
    with database_away(booking_pg_url, postgres_admin_dsn):
        for _ in range(2):  # the pooled connection that died, then a new one refused
            answer = times(service, offer)
            assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
            body = answer.get_json()
            assert body["code"] == "database_unavailable"
            assert body["detail"] == "Tjenesten kan ikke nå sin database lige nu. Prøv igen om lidt."
            assert answer.headers["Retry-After"] == "2"
            assert "pt_booking" not in answer.get_data(as_text=True)  # nothing of the server's message
    assert times(service, offer).status_code == 404  # back, without a restart


def test_a_citizen_page_says_so_in_danish(
    service: BookingService, booking_pg_url: str, postgres_admin_dsn: str
) -> None:
    client = FlaskClient(service.app)  # a browser, not IT's key
    client.set_cookie(SESSION_COOKIE, secrets.token_urlsafe(32))  # its session is in the database
    with database_away(booking_pg_url, postgres_admin_dsn):
        page = client.get("/mine-moedetilbud")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Tjenesten kan ikke nå sin database lige nu. Prøv igen om lidt." in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "2"
