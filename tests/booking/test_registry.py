"""Profiles from an external citizen registry over HTTP: a tiny real registry runs in a thread.
The CPR number travels in the request body, never in the URL; a registry that does not answer
in time, or answers nonsense, is a 503 problem for the citizen."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from services.booking.citizens import HttpCitizenProvider
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, citizen_profile, fictitious_cpr
from tests.booking.test_eligibility import ids, one_group

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Registry:
    """Answers ``POST /citizens/lookup`` from ``citizens``; ``mode`` makes it slow or confused."""

    citizens: dict[str, dict[str, Any]]
    mode: str = "ok"
    seen: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""), body))
        if self.mode == "slow":
            self.release.wait(5)
        if self.mode == "broken":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"oops"]
        if self.mode == "confused":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"cpr": "not a cpr", "contact_group": 17}).encode()]
        cpr = json.loads(body)["cpr"]
        if cpr not in self.citizens:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"{}"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(self.citizens[cpr]).encode()]


@pytest.fixture
def registry() -> Iterator[Registry]:
    known = {fictitious_cpr(n): citizen_profile(n) for n in (0, 1)}
    known[fictitious_cpr(2)] = citizen_profile(2, contact_group="Selvforsørgelsesydelsesmodtager")  # a reform's
    known[fictitious_cpr(1)].pop("cpr")  # a registry may leave out the number it was asked for
    app = Registry(known)
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.url = f"http://127.0.0.1:{server.server_port}/registry/"
    yield app
    app.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def registry_service(booking_pg_url: str, registry: Registry) -> Iterator[BookingService]:
    provider = HttpCitizenProvider(registry.url, timeout_seconds=0.5)
    built = build_service(booking_pg_url, known_citizens=False, citizens=provider)
    yield built
    built.context.close()


def test_profiles_come_from_the_registry_with_the_cpr_in_the_body(
    registry_service: BookingService, registry: Registry
) -> None:
    offer = registry_service.publish_offer()
    advisor = offer.advisor_ids[0]
    registry_service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    assert ids(registry_service.eligible(0)) == [offer.offer_id]
    assert registry_service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 201
    assert registry_service.eligible(99).get_json()["code"] == "unknown_citizen"

    assert [(method, path, query) for method, path, query, _ in registry.seen] == [
        ("POST", "/registry/citizens/lookup", ""),
    ] * 3
    assert [json.loads(body) for *_, body in registry.seen] == [
        {"cpr": fictitious_cpr(0)},
        {"cpr": fictitious_cpr(1)},
        {"cpr": fictitious_cpr(99)},
    ]


def test_the_registry_is_trusted_with_groups_booking_does_not_know_yet(registry_service: BookingService) -> None:
    registry_service.publish_offer(name="Dagpenge")
    adults = registry_service.publish_offer(name="Voksne", rules=one_group(("age", "gte", 18)))

    assert ids(registry_service.eligible(2)) == [adults.offer_id]


@pytest.mark.parametrize(
    ("mode", "code"),
    [("slow", "registry_unavailable"), ("broken", "registry_unavailable"), ("confused", "registry_invalid_answer")],
)
def test_a_registry_that_fails_is_a_503_problem(
    registry_service: BookingService, registry: Registry, caplog: pytest.LogCaptureFixture, mode: str, code: str
) -> None:
    caplog.set_level(logging.DEBUG)
    registry.mode = mode
    registry_service.publish_offer()

    response = registry_service.eligible(0)

    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code and "Borgerregistret" in response.get_json()["detail"]
    assert fictitious_cpr(0) not in caplog.text and "not a cpr" not in caplog.text


def test_an_unreachable_registry_is_a_503(booking_pg_url: str) -> None:
    provider = HttpCitizenProvider("http://127.0.0.1:1", timeout_seconds=0.5)
    built = build_service(booking_pg_url, known_citizens=False, citizens=provider)
    try:
        assert built.eligible(0).status_code == 503
    finally:
        built.context.close()
