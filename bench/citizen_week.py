"""Benchmark: the citizen's week view ("Vælg tidspunkt") of an offer with 50 advisors and 8
weeks of free times, against a hello-world route of the same app, over HTTP (issue 11).

Run from the repository root (PostgreSQL on 127.0.0.1 as for the tests):
``.venv/bin/python -m bench.citizen_week [--seconds 10] [--connections 32] [--advisors 50]``.

It makes a fresh database (``planner_bench_week``), publishes the offer and its times through
the booking service's own event handler, imports one citizen and logs them in (a browser
session row, as the OpenID Connect callback makes it), then starts gunicorn with
``deploy/gunicorn.conf.py`` (2 workers x 8 threads, gthread) on ``bench.booking_app``.
Load comes from ``wrk`` when it is installed, else from client processes with keep-alive
connections (Python's client costs CPU on the same 2 cores, which lowers both figures). It
prints requests per second, the median latency and the ratio week / hello (issue 11 targets
>= 0.3); it asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import uuid
from datetime import datetime, timedelta

from cryptography.fernet import Fernet

from bench import harness
from bench.hello import HELLO
from services.booking import consumer
from services.booking.app import build_booking_context
from services.booking.citizens.store import save_profiles
from services.booking.db import migrate
from services.booking.models import PendingLogin, WebSession
from shared import events as ev
from shared.auth.principal import Citizen
from shared.auth.sessions import SessionStore
from shared.auth.web import SESSION_COOKIE
from shared.config import Settings
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in, zone

DATABASE = "planner_bench_week"
CPR = "0101904000"  # fictitious
KEYS = Fernet.generate_key().decode()  # a new key each run: the database is new too
TZ = zone("Europe/Copenhagen")


def environment(url: str) -> dict[str, str]:
    return {
        "PLANNER_BOOKING_DATABASE_URL": url,
        "PLANNER_BROKER_URL": "memory://",
        "PLANNER_CPR_KEYS": KEYS,
        "PLANNER_COOKIE_SECURE": "false",
        "PLANNER_DEMO": "true",  # plain http on loopback; no provider is needed for a made session
        "PLANNER_LOG_LEVEL": "WARNING",
    }


def seed(settings: Settings, advisors: int, weeks: int) -> tuple[str, str, str]:
    """The offer (``advisors`` advisors, starts every 30 minutes 9-15 on weekdays for ``weeks``
    weeks), the citizen, and their session; returns (offer id, ISO week, session cookie)."""
    context = build_booking_context(settings)
    today = today_in(TZ, datetime.now(TZ))
    advisor_ids = [str(uuid.uuid4()) for _ in range(advisors)]
    offer = ev.OfferPayload.model_validate({
        "offer_id": str(uuid.uuid4()), "job_centre_code": "10101", "name": "Jobsamtale",
        "description": "Samtale om job.", "conversation_type": 7, "variant": None, "meeting_form": "individual",
        "channel": "in_person", "place": "Torvet 1", "phone": None, "duration_minutes": 30,
        "reporting_minutes": 0, "start_minutes": [0, 30], "first_meeting_date": today, "end_date": None,
        "rolling_weeks": weeks, "opens_on": today, "timezone": "Europe/Copenhagen", "advisor_ids": advisor_ids,
        "citizen_may_choose_advisor": True, "accept_cancellation": True, "rebooking_days_before": 2,
        "active": True, "changed_at": datetime.now(TZ),
        "rules": {"join": "and", "groups": [{"match": "all", "rules": [
            {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"}]}]},
    })  # fmt: skip
    assert consumer.handle(context, offer.envelope(ev.OFFER_PUBLISHED))
    days = [today + timedelta(days=d) for d in range(1, weeks * 7 + 1)]
    starts = [
        local_midnight(day, TZ) + timedelta(hours=9, minutes=30 * n)
        for day in days
        if day.weekday() < 5
        for n in range(12)
    ]
    computed = ev.AvailabilityPayload(
        offer_id=offer.offer_id,
        computed_at=datetime.now(TZ),
        window_start=local_midnight(today, TZ),
        window_end=local_midnight(days[-1] + timedelta(days=1), TZ),
        slots=[ev.BookableSlot(advisor_id=a, start=s) for a in advisor_ids for s in starts],
    )
    assert consumer.handle(context, computed.envelope(ev.AVAILABILITY_COMPUTED))
    vault = vault_for_settings(settings)
    with context.db.transaction() as session:
        save_profiles(session, [CitizenProfile(cpr=parse_cpr(CPR), contact_group="Dagpengemodtager")], vault)
    store = SessionStore.from_settings(context.db, WebSession, PendingLogin, settings)
    cookie = store.log_in(None, Citizen(cpr=parse_cpr(CPR), subject="bench-citizen"))
    context.close()
    first = starts[0].date()
    year, week, _ = first.isocalendar()
    print(f"seeded: {advisors} advisors x {len(starts)} starts = {advisors * len(starts)} bookable times")
    return offer.offer_id, f"{year}-W{week:02d}", cookie


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--advisors", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=8)
    args = parser.parse_args(argv)

    url = harness.fresh_database(DATABASE)
    migrate(url)
    env = environment(url)
    settings = Settings.model_validate({k.removeprefix("PLANNER_").lower(): v for k, v in env.items()})
    offer_id, week, cookie = seed(settings, args.advisors, args.weeks)
    harness.analyze(DATABASE)
    port = harness.free_port()
    server = harness.start_gunicorn("bench.booking_app:app", env, port)
    print(f"load: {'wrk' if shutil.which('wrk') else 'Python client processes'}, {args.connections} connections, "
          f"{args.seconds:.0f} s each; server: gunicorn gthread, 2 workers x 8 threads")  # fmt: skip
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    try:
        week = harness.Request(f"/mine-moedetilbud/{offer_id}/tider?uge={week}", headers)
        harness.load(port, week, 2, args.connections)  # warm up both workers
        results: dict[str, harness.Figures] = {}
        for name, request in (("hello-world", harness.Request(HELLO, headers)), ("week view", week)):
            results[name] = harness.load(port, request, args.seconds, args.connections)
            got = results[name]
            print(f"{name:12} {got.rate:8.0f} req/s   p50 {got.p50:6.1f} ms   p99 {got.p99:6.1f} ms")
        ratio = results["week view"].rate / results["hello-world"].rate
        print(f"ratio week view / hello-world: {ratio:.2f} (target >= 0.3)")
    finally:
        harness.stop(server)


if __name__ == "__main__":
    main()
