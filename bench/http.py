"""Benchmark: the HTTP paths citizens use most, against a hello-world route of the same app,
each service under ``deploy/gunicorn.conf.py`` on PostgreSQL (issue 12).

Run from the repository root: ``.venv/bin/python -m bench.http [--seconds 10] [--repeats 3]
[--connections 32]``. It makes fresh databases, seeds them through the services' own code
(booking: an offer with 2 advisors and 8 weeks of times, one with 100 advisors to book from,
20,000 citizens; offers: 50 offers through its API), starts each service in gunicorn, and
drives with ``wrk`` when installed (else Python client processes). For each path it prints
the median over the repeats of requests per second, p50 and p99, and the ratio to
hello-world; then the SQL statements and transactions one request of each path costs,
counted from engine events in this process. It asserts nothing.

Targets (issue 12): times >= 0.6 of hello-world, booking >= 0.4, offer lists >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event

from bench import harness
from bench.hello import HELLO
from services.booking import consumer
from services.booking.app import build_booking_context
from services.booking.app import create_app as create_booking_app
from services.booking.citizens.store import save_profiles
from services.booking.db import migrate as migrate_booking
from services.offers.app import create_app as create_offers_app
from services.offers.db import migrate as migrate_offers
from shared import events as ev
from shared.auth.api_keys import NewApiKey, create_api_key, stored_form
from shared.auth.grants import parse_grants
from shared.config import Settings
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.db import Database
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in, zone

TZ = zone("Europe/Copenhagen")
BOOKING_DB, OFFERS_DB = "planner_bench_http_booking", "planner_bench_http_offers"
CITIZENS = 20_000
BOOKING_ADVISORS = 100
RULES = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"}]}]}  # fmt: skip
TARGETS = {"times": 0.6, "own times": 0.6, "booking": 0.4, "booking offers": 0.5, "offers list": 0.5}


def cpr(n: int) -> str:
    """A fictitious CPR number for each n < 336,000: a day of 1990, serial 4000-4999."""
    day, serial = divmod(n, 1000)
    month, day_of_month = divmod(day, 28)
    return f"{day_of_month + 1:02d}{month + 1:02d}90{4000 + serial:04d}"


def weekday_starts(today: date, weeks: int) -> list[datetime]:
    """Every half hour 9.00-14.30 on the weekdays of ``weeks`` weeks from tomorrow."""
    days = [today + timedelta(days=d) for d in range(1, weeks * 7 + 1)]
    nine = [local_midnight(d, TZ) + timedelta(hours=9) for d in days if d.weekday() < 5]
    return [start + timedelta(minutes=30 * n) for start in nine for n in range(12)]


def offer_event(today: date, advisors: list[str], name: str, weeks: int) -> ev.OfferPayload:
    return ev.OfferPayload.model_validate({
        "offer_id": str(uuid.uuid4()), "job_centre_code": "10101", "name": name, "description": "Samtale om job.",
        "conversation_type": 7, "variant": None, "meeting_form": "individual", "channel": "in_person",
        "place": "Torvet 1", "phone": None, "duration_minutes": 30, "reporting_minutes": 0, "start_minutes": [0, 30],
        "first_meeting_date": today, "end_date": None, "rolling_weeks": weeks, "opens_on": today,
        "timezone": "Europe/Copenhagen", "advisor_ids": advisors, "citizen_may_choose_advisor": False,
        "accept_cancellation": True, "rebooking_days_before": 2, "active": True, "changed_at": datetime.now(TZ),
        "rules": RULES,
    })  # fmt: skip


def seed_booking(settings: Settings) -> tuple[str, str, list[datetime]]:
    """The times offer (2 advisors, 8 weeks), the booking offer (100 advisors) and the citizens;
    returns both offer ids and the booking offer's starts."""
    context = build_booking_context(settings)
    today = today_in(TZ, datetime.now(TZ))
    ids = []
    starts = weekday_starts(today, 8)
    for name, count in (("Jobsamtale", 2), ("Booking", BOOKING_ADVISORS)):
        advisors = [str(uuid.uuid4()) for _ in range(count)]
        offer = offer_event(today, advisors, name, 8)
        assert consumer.handle(context, offer.envelope(ev.OFFER_PUBLISHED))
        computed = ev.AvailabilityPayload(
            offer_id=offer.offer_id, computed_at=datetime.now(TZ), window_start=local_midnight(today, TZ),
            window_end=local_midnight(today + timedelta(weeks=8, days=1), TZ),
            slots=[ev.BookableSlot(advisor_id=a, start=s) for a in advisors for s in starts],
        )  # fmt: skip
        assert consumer.handle(context, computed.envelope(ev.AVAILABILITY_COMPUTED))
        ids.append(offer.offer_id)
    profiles = [CitizenProfile(cpr=parse_cpr(cpr(n)), contact_group="Dagpengemodtager") for n in range(CITIZENS)]
    with context.db.transaction() as session:
        save_profiles(session, profiles, vault_for_settings(settings))
    context.close()
    return ids[0], ids[1], starts


def seed_offers(settings: Settings, headers: dict[str, str]) -> None:
    """A job centre, a team, two advisors and 50 offers, through the offers API."""
    client = create_offers_app(settings).test_client()

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return dict(answer.get_json())

    centre = post("/job-centres", {"code": "10101", "name": "Jobcenter Bench"})
    team = post("/teams", {"job_centre_id": centre["id"], "name": "Team Øst", "phone": "70000000"})
    hours = {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    advisors = [
        post("/advisors", {"job_centre_id": centre["id"], "team_ids": [team["id"]], "name": f"Rådgiver {n}",
                           "email": f"r{n}@example.org", "phone": "70000001", "working_hours": hours,
                           "caldav_url": f"https://cal.example.org/r{n}/", "caldav_username": f"r{n}",
                           "caldav_password": "secret"})["id"]
        for n in range(2)
    ]  # fmt: skip
    today = today_in(TZ, datetime.now(TZ))
    for n in range(50):
        post("/offers", {"job_centre_id": centre["id"], "team_id": team["id"], "name": f"Tilbud {n:02d}",
                         "description": "Samtale.", "conversation_type": 7, "meeting_form": "individual",
                         "channel": "in_person", "place": "Torvet 1", "duration_minutes": 30, "reporting_minutes": 0,
                         "start_minutes": [0, 30], "first_meeting_date": today.isoformat(), "rolling_weeks": 4,
                         "advisor_ids": advisors, "citizen_may_choose_advisor": True, "accept_cancellation": True,
                         "rebooking_days_before": 2, "rules": RULES})  # fmt: skip


def paths(times_offer: str, booking_offer: str, starts: list[datetime], key: str) -> dict[str, harness.Request]:
    staff = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    bodies = tuple(
        json.dumps({"offer_id": booking_offer, "start": starts[n % len(starts)].isoformat(),
                    "citizen": {"cpr": cpr(n)}})
        for n in range(min(CITIZENS, len(starts) * BOOKING_ADVISORS))
    )  # fmt: skip
    own = json.dumps({"citizen": {"cpr": cpr(CITIZENS - 1)}})
    return {
        "hello-world": harness.Request(HELLO, {}),
        "times": harness.Request(f"/api/v1/offers/{times_offer}/times", {}),
        "own times": harness.Request(f"/api/v1/offers/{times_offer}/times", staff, "POST", (own,)),
        "booking": harness.Request("/api/v1/bookings", staff, "POST", bodies),
        "booking offers": harness.Request("/api/v1/offers", {}),
    }


@contextmanager
def counted(db: Database) -> Iterator[dict[str, int]]:
    """Counts of SQL statements and commits on ``db``'s engine while inside."""
    counts = {"statements": 0, "transactions": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["transactions"] += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        yield counts
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)


def sql_per_request(settings: Settings, requests: dict[str, harness.Request], offers: Settings, key: str) -> None:
    """One request of each path in this process, its statements and transactions counted."""
    print("\nSQL per request (one request, counted from engine events):")
    booking = create_booking_app(settings)
    offers_app = create_offers_app(offers)
    cases = [(n, booking, r) for n, r in requests.items() if "hello" not in n]
    cases.append(("offers list", offers_app, harness.Request("/api/v1/offers", {"Authorization": f"Bearer {key}"})))
    for name, app, request in cases:
        client = app.test_client()
        body = request.bodies[-1] if request.bodies else None  # the last booking body: not used by the load
        with counted(app.extensions["planner"].db) as counts:
            answer = client.open(request.path, method=request.method, data=body, headers=request.headers)
        print(f"  {name:15} HTTP {answer.status_code}  {counts['statements']:3} statements, "
              f"{counts['transactions']} transactions")  # fmt: skip


def common_env() -> tuple[dict[str, str], NewApiKey]:
    """The settings every benchmarked service gets (fresh keys, no rate limits, quiet logs)
    and an API key with every grant, which those settings accept."""
    key = create_api_key("bench", parse_grants(["administrator:*", "planner:*"]))
    env = {
        "PLANNER_BROKER_URL": "memory://",
        "PLANNER_CPR_KEYS": Fernet.generate_key().decode(),
        "PLANNER_SECRET_KEYS": Fernet.generate_key().decode(),
        "PLANNER_API_KEYS": json.dumps([stored_form(key.stored)]),
        "PLANNER_BOOKING_RATE_LIMIT": "off",
        "PLANNER_BOOKING_IP_RATE_LIMIT": "off",
        "PLANNER_CALENDAR_HOSTS_ALLOWED": "cal.example.org",
        "PLANNER_LOG_LEVEL": "WARNING",
    }
    return env, key


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)

    common, key = common_env()
    booking_env = {**common, "PLANNER_BOOKING_DATABASE_URL": harness.fresh_database(BOOKING_DB)}
    offers_env = {**common, "PLANNER_OFFERS_DATABASE_URL": harness.fresh_database(OFFERS_DB)}
    migrate_booking(booking_env["PLANNER_BOOKING_DATABASE_URL"])
    migrate_offers(offers_env["PLANNER_OFFERS_DATABASE_URL"])
    booking_settings, offers_settings = settings_of(booking_env), settings_of(offers_env)
    times_offer, booking_offer, starts = seed_booking(booking_settings)
    seed_offers(offers_settings, {"Authorization": f"Bearer {key.key}"})
    harness.analyze(BOOKING_DB)
    harness.analyze(OFFERS_DB)
    requests = paths(times_offer, booking_offer, starts, key.key)
    print(f"load: {'wrk' if shutil.which('wrk') else 'Python client processes'}, {args.connections} connections, "
          f"{args.seconds:.0f} s x {args.repeats}; servers: gunicorn gthread, 2 workers x 8 threads")  # fmt: skip

    results: dict[str, list[harness.Figures]] = {}
    booking_port, offers_port = harness.free_port(), harness.free_port()
    booking = harness.start_gunicorn("bench.booking_app:app", booking_env, booking_port)
    offers = harness.start_gunicorn("bench.offers_app:app", offers_env, offers_port)
    offers_requests = {
        "offers hello-world": harness.Request(HELLO, {}),
        "offers list": harness.Request("/api/v1/offers", {"Authorization": f"Bearer {key.key}"}),
    }
    try:
        harness.load(booking_port, requests["times"], 2, args.connections)  # warm both workers up
        bookings = _slices(requests["booking"], args.repeats)
        for repeat in range(args.repeats):
            for name, request in requests.items():
                run = bookings[repeat] if name == "booking" else request
                results.setdefault(name, []).append(harness.load(booking_port, run, args.seconds, args.connections))
            for name, request in offers_requests.items():
                results.setdefault(name, []).append(harness.load(offers_port, request, args.seconds, args.connections))
    finally:
        harness.stop(booking)
        harness.stop(offers)
    report(results)
    sql_per_request(booking_settings, requests, offers_settings, key.key)


def _slices(request: harness.Request, parts: int) -> list[harness.Request]:
    """The booking bodies cut in ``parts``, one per repeat: no citizen books twice."""
    size = len(request.bodies) // parts
    return [harness.Request(request.path, request.headers, request.method, request.bodies[i * size : (i + 1) * size])
            for i in range(parts)]  # fmt: skip


def report(results: dict[str, list[harness.Figures]]) -> None:
    """The median of the repeats per path, and its ratio to its own service's hello-world."""
    print(f"\n{'path':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'target':>7} {'not 2xx':>8}")
    for name, runs in results.items():
        base = results["offers hello-world" if name.startswith("offers") else "hello-world"]
        rate = statistics.median(r.rate for r in runs)
        ratio = rate / statistics.median(r.rate for r in base)
        target = f"{TARGETS[name]:.1f}" if name in TARGETS else ""
        p50, p99 = statistics.median(r.p50 for r in runs), statistics.median(r.p99 for r in runs)
        failed = sum(r.failed for r in runs)
        print(f"{name:20} {rate:8.0f} {p50:8.1f} {p99:8.1f} {ratio:6.2f} {target:>7} {failed:8}")


def settings_of(env: dict[str, str]) -> Settings:
    return Settings.model_validate({k.removeprefix("PLANNER_").lower(): v for k, v in env.items()})


if __name__ == "__main__":
    main()
