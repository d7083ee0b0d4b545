"""Rate limits counted in the service's database: login per client IP, booking writes per person and IP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from services.booking.models import Base, RateLimit
from shared.auth.principal import Citizen
from shared.cpr import parse_cpr
from shared.db import Database
from shared.rate_limit import Limit, RateLimiter
from tests.auth.conftest import BrowserService, BuildBrowserService, MovableClock
from tests.identities import IT_KEY, bearer

WINDOW_START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a window boundary for every window length used


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("create_database")("ratelimit")
    else:
        url = f"sqlite:///{tmp_path / 'limits.db'}"
    engine = Database(url).engine
    Base.metadata.create_all(engine, tables=[RateLimit.__table__])
    engine.dispose()
    yield url


def test_the_limit_plus_first_hit_in_a_window_is_refused_and_the_next_window_starts_afresh(
    database_url: str,
) -> None:
    clock = MovableClock(WINDOW_START + timedelta(seconds=10))
    limiter = RateLimiter(Database(database_url), RateLimit, clock=clock)
    assert [limiter.hit("login:ip:1", 3, 60) for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("login:ip:2", 3, 60)  # another client has its own count
    decision = limiter.decide("login:ip:1", Limit(3, 60))
    assert not decision.allowed and decision.retry_after == 50
    clock.advance(seconds=50)
    assert limiter.hit("login:ip:1", 3, 60)


def test_two_replicas_on_one_database_share_the_count(database_url: str) -> None:
    clock = MovableClock(WINDOW_START)
    first = RateLimiter(Database(database_url), RateLimit, clock=clock)
    second = RateLimiter(Database(database_url), RateLimit, clock=clock)
    answers = [(first if n % 2 else second).hit("k", 4, 60) for n in range(5)]
    assert answers == [True, True, True, True, False]


def test_old_windows_are_purged(database_url: str) -> None:
    clock = MovableClock(WINDOW_START)
    db = Database(database_url)
    limiter = RateLimiter(db, RateLimit, clock=clock, retention=timedelta(hours=1))
    limiter.hit("old", 5, 60)
    clock.advance(hours=2)
    limiter.hit("new", 5, 60)
    with db.transaction() as session:
        assert session.scalars(select(RateLimit.key)).all() == ["new"]


def _login_limited(build: BuildBrowserService, **overrides: object) -> BrowserService:
    clock = MovableClock(WINDOW_START + timedelta(seconds=5))
    return build("offers", clock=clock, login_rate_limit="3/60", **overrides)


def test_the_fourth_login_callback_from_one_ip_is_answered_429_with_retry_after(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = _login_limited(build_browser_service)
    browser = offers.client(ip="203.0.113.7")
    statuses = [browser.get("/login/callback", query_string={"state": "x", "code": "y"}).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    refused = browser.get("/login/callback", query_string={"state": "x", "code": "y"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "55"
    problem = refused.get_json()
    assert problem["code"] == "rate_limited" and "Vent lidt" in problem["detail"]
    assert offers.client(ip="198.51.100.2").get("/login/callback").status_code == 401  # another client
    assert browser.get("/login").status_code == 302  # starts are counted apart
    offers.clock.advance(seconds=55)
    assert browser.get("/login/callback").status_code == 401


def test_login_callbacks_at_two_replicas_share_one_count(build_browser_service: BuildBrowserService) -> None:
    first = _login_limited(build_browser_service)
    second = build_browser_service("offers", empty=False, clock=first.clock, login_rate_limit="3/60")
    browsers = [first.client(ip="203.0.113.9"), second.client(ip="203.0.113.9")]
    statuses = [browsers[n % 2].get("/login/callback").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_login_starts_are_limited_per_ip_too(build_browser_service: BuildBrowserService) -> None:
    offers = _login_limited(build_browser_service)
    browser = offers.client(ip="203.0.113.10")
    assert [browser.get("/login").status_code for _ in range(4)] == [302, 302, 302, 429]


def _booking_limited(build: BuildBrowserService) -> BrowserService:
    clock = MovableClock(WINDOW_START + timedelta(seconds=1))
    return build("booking", clock=clock, booking_rate_limit="2/60", booking_ip_rate_limit="3/60")


def _citizen_browser(booking: BrowserService, n: int, ip: str = "127.0.0.1") -> tuple[FlaskClient, str]:
    client = booking.client(ip=ip)
    citizen = Citizen(cpr=parse_cpr(f"01019040{n:02d}"), subject=f"citizen-{n}")
    cookie = booking.sessions.log_in(None, citizen)
    client.set_cookie("planner_session", cookie)
    return client, booking.sessions.csrf_token(cookie) or ""


def test_booking_writes_are_limited_per_person_across_book_cancel_and_rebook(
    build_browser_service: BuildBrowserService,
) -> None:
    booking = _booking_limited(build_browser_service)
    client, token = _citizen_browser(booking, 1)
    headers = {"X-CSRF-Token": token}
    booking_id = "00000000-0000-4000-8000-000000000001"
    first = client.post("/api/v1/bookings", json={}, headers=headers)
    second = client.post(f"/api/v1/bookings/{booking_id}/cancel", json={}, headers=headers)
    third = client.post(f"/api/v1/bookings/{booking_id}/rebook", json={}, headers=headers)

    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429 and third.headers["Retry-After"] == "59"
    other, other_token = _citizen_browser(booking, 2, ip="198.51.100.3")
    assert other.post("/api/v1/bookings", json={}, headers={"X-CSRF-Token": other_token}).status_code != 429
    listing = client.get("/api/v1/offers")
    assert listing.status_code == 200  # reads are not limited


def test_booking_writes_are_limited_per_ip_and_machines_are_not(build_browser_service: BuildBrowserService) -> None:
    booking = _booking_limited(build_browser_service)
    statuses = []
    for n in range(4):
        client, token = _citizen_browser(booking, n, ip="192.0.2.50")
        statuses.append(client.post("/api/v1/bookings", json={}, headers={"X-CSRF-Token": token}).status_code)
    assert statuses[:3].count(429) == 0 and statuses[3] == 429

    machine = booking.client(ip="192.0.2.50")
    answers = [machine.post("/api/v1/bookings", json={}, headers=bearer(IT_KEY)).status_code for _ in range(5)]
    assert 429 not in answers
    with booking.context.db.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(text("rate_limit"))).scalar_one()
    assert count == 5  # four people and one IP: the machine counted nowhere


@pytest.mark.parametrize(("hops", "limited"), [(0, True), (1, False)])
def test_behind_a_trusted_proxy_the_client_ip_comes_from_x_forwarded_for(
    build_browser_service: BuildBrowserService, hops: int, limited: bool
) -> None:
    offers = _login_limited(build_browser_service, forwarded_hops=hops)
    proxy = offers.client(ip="10.0.0.1")  # every request arrives from the proxy
    statuses = [
        proxy.get("/login/callback", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(4)
    ]
    assert (statuses[-1] == 429) is limited
    assert statuses[:3] == [401, 401, 401]
