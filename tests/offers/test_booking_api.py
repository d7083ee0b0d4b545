"""The offers service's client of booking's participant list treats the answer as input
from outside: a server that answers too much, out of shape, with an error or not at all
gives "cannot be fetched now" (and nothing of the answer in the logs), never a 500 or a
half-read list. Adding a citizen to a group meeting answers the seat's reference or booking's
refusal (code and detail), and nothing it cannot read."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from waitress.server import create_server

from services.offers.participants.booking_api import MAX_ANSWER_BYTES, BookingApi, ParticipantsUnavailable, SeatAnswer
from shared.cpr import parse_cpr

GOOD = {
    "booking_id": str(uuid.uuid4()), "reference": "AB12CD", "name": "Anne Hansen", "cpr_masked": "010190-XXXX",
    "cpr": None, "contact_group": "Dagpengemodtager", "age": 36, "booking_deadline": None,
    "start": "2026-12-09T08:00:00+00:00", "end": "2026-12-09T08:30:00+00:00", "advisor_id": str(uuid.uuid4()),
    "booked_at": "2026-12-07T08:00:00+00:00",
}  # fmt: skip
SECRET_NAME = "Hemmelig Borger 0101904000"


@pytest.fixture
def booking() -> Iterator[Callable[[int, bytes], str]]:
    """Factory: a server on loopback that answers every request with ``status`` and ``body``."""
    servers: list[Any] = []

    def start(status: int, body: bytes) -> str:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            environ["wsgi.input"].read()
            start_response(f"{status} X", [("Content-Type", "application/json")])
            return [body]

        server = create_server(app, host="127.0.0.1", port=0, threads=1)
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server in servers:
        server.close()


def ask(url: str) -> Any:
    return BookingApi(url, "key", 5).participants(uuid.uuid4())


def test_a_good_answer_is_read(booking: Callable[[int, bytes], str]) -> None:
    [citizen] = ask(booking(200, json.dumps({"items": [GOOD], "total": 1}).encode()))
    assert citizen.name == "Anne Hansen" and citizen.cpr is None and citizen.age == 36


def test_an_offer_booking_has_not_heard_of_has_no_participants(booking: Callable[[int, bytes], str]) -> None:
    assert ask(booking(404, b'{"detail": "Tilbuddet findes ikke."}')) == []


@pytest.mark.parametrize(
    "status,body",
    [
        (500, b'{"detail": "Intern fejl"}'),
        (200, b"not json"),
        (200, b'{"items": {"not": "a list"}}'),
        (200, json.dumps({"items": [{**GOOD, "age": "36"}]}).encode()),
        (200, json.dumps({"items": [{**GOOD, "cpr": "not a cpr"}]}).encode()),
        (200, json.dumps({"items": [{**GOOD, "name": SECRET_NAME * 20}]}).encode()),
        (200, json.dumps({"items": [{**GOOD, "start": "2026-12-09T08:00:00"}]}).encode()),  # no zone
        (200, b'{"items": [' + b" " * (MAX_ANSWER_BYTES + 10) + b"]}"),
    ],
    ids=["error", "not-json", "not-a-list", "age-text", "bad-cpr", "long-name", "naive-time", "too-large"],
)
def test_an_answer_out_of_shape_is_refused_without_echoing_it(
    booking: Callable[[int, bytes], str], status: int, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ParticipantsUnavailable):
        ask(booking(status, body))
    assert SECRET_NAME not in caplog.text and "0101904000" not in caplog.text


def test_a_server_that_does_not_answer_is_unavailable() -> None:
    with pytest.raises(ParticipantsUnavailable):
        ask("http://127.0.0.1:9")


def test_a_seat_at_a_group_meeting_has_no_advisor_but_its_meeting(booking: Callable[[int, bytes], str]) -> None:
    meeting = str(uuid.uuid4())
    seat = {**GOOD, "advisor_id": None, "group_meeting_id": meeting}
    [citizen] = ask(booking(200, json.dumps({"items": [seat], "total": 1}).encode()))
    assert citizen.advisor_id is None and str(citizen.group_meeting_id) == meeting
    with pytest.raises(ParticipantsUnavailable):
        ask(booking(200, json.dumps({"items": [{**seat, "group_meeting_id": "x" * 37}]}).encode()))


def add_seat(url: str, **options: Any) -> SeatAnswer:
    return BookingApi(url, "key", 5).add_seat(uuid.uuid4(), uuid.uuid4(), parse_cpr("0101904000"), **options)


def test_a_seat_given_or_refused_is_said_and_nothing_else_is_believed(
    booking: Callable[[int, bytes], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    given = add_seat(booking(201, json.dumps({"id": str(uuid.uuid4()), "reference": "AB12CD34"}).encode()))
    assert given.seated and given.reference == "AB12CD34"
    problem = {"code": "not_eligible", "detail": "Borgeren opfylder ikke reglerne for deltagere: ...", "failed": []}
    refused = add_seat(booking(403, json.dumps(problem).encode()), override_reason=None)
    assert not refused.seated and refused.code == "not_eligible" and refused.detail == problem["detail"]
    invalid = {"code": "validation_failed", "detail": "x", "errors": {"email": ["Skriv en gyldig e-mailadresse."],
                                                                      "citizen": {"cpr": ["?"]}}}  # fmt: skip
    assert add_seat(booking(422, json.dumps(invalid).encode())).errors == {"email": ["Skriv en gyldig e-mailadresse."]}
    out_of_shape = [(500, b"{}"), (401, b"{}"), (409, b"not json"), (409, b'{"detail": "no code"}'),
                    (201, b'{"reference": 12}'), (409, b'{"code": "x", "detail": "y", "errors": ["z"]}')]  # fmt: skip
    for status, body in out_of_shape:
        with pytest.raises(ParticipantsUnavailable):
            add_seat(booking(status, body))
    assert "0101904000" not in caplog.text and "010190-4000" not in caplog.text
