"""No request a citizen can make on the citizen's pages gives a server error: whatever the
week, advisor, booking, time or e-mail fields hold (hypothesis makes them up), the answer is
a page with a Danish message or a redirect, and nothing is booked that was not asked for."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import at
from tests.pages.citizen_site import CitizenSite, build_citizen_site

TODAY = date(2026, 12, 7)
A = "aaaaaaaa-0000-4000-8000-000000000001"
ANSWERS = {200, 302, 303, 400, 403, 404, 409, 429}

junk = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["2026-W50", "2026-W53", "0000-W00", "9999-W52", A, str(uuid.UUID(int=0)), "\x00", "%", "../"]),
    st.sampled_from([at(TODAY.replace(day=9), 9).isoformat(), "2026-12-09T09:00:00", "2999-01-01T09:00:00+01:00"]),
)


@pytest.fixture
def world(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, str, object]]:
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    offer = built.publish(name="Jobsamtale", advisor_ids=[A])
    built.compute(offer, {A: [at(TODAY.replace(day=9), 9), at(TODAY.replace(day=10), 9)]}, TODAY, date(2027, 2, 1))
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    yield built, offer.offer_id, client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(week=junk, advisor=junk, moving=junk, start=junk, email=junk, target=junk)
def test_no_citizen_request_is_a_server_error(
    world: tuple[CitizenSite, str, object], week: str, advisor: str, moving: str, start: str, email: str, target: str
) -> None:
    built, offer_id, client = world
    token = built.service.csrf_token(client)  # type: ignore[arg-type]
    pages = "/mine-moedetilbud"
    some_id = target if _is_uuid(target) else str(uuid.uuid4())
    requests = [
        ("get", f"{pages}/{offer_id}/tider", {"query_string": {"uge": week, "raadgiver": advisor, "flyt": moving}}),
        ("post", f"{pages}/{offer_id}/tider", {"data": {"csrf_token": token, "start": start, "raadgiver": advisor,
                                                         "flyt": moving, "uge": week}}),
        ("get", f"{pages}/reservation/{some_id}", {}),
        ("post", f"{pages}/reservation/{some_id}", {"data": {"csrf_token": token, "email": email}}),
        ("post", f"{pages}/reservation/{some_id}/frigiv", {"data": {"csrf_token": token}}),
        ("get", f"{pages}/aftaler", {"query_string": {"besked": target}}),
        ("get", f"{pages}/aftaler/{some_id}/aflys", {}),
        ("get", f"{pages}/kvittering/{some_id}", {}),
    ]  # fmt: skip
    for method, path, arguments in requests:
        answer = getattr(client, method)(path, **arguments)
        assert answer.status_code in ANSWERS, (method, path, arguments, answer.status_code)
        assert answer.mimetype == "text/html" or answer.status_code in (302, 303)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
