"""Benchmark: 1,000 citizens press "Book" on the same time at once, over HTTP, against the booking
service under ``deploy/gunicorn.conf.py`` on PostgreSQL (issue 12 keeps this guarantee).

Run from the repository root: ``.venv/bin/python -m bench.booking_race [--citizens 1000]
[--advisors 2]``. The offer has ``--advisors`` advisors and one start; the service picks the
advisor. It prints how the requests were answered and what the database holds afterwards:
exactly one booking per advisor, every other request a 409 problem, no server error. It
asserts nothing; ``tests/booking/test_concurrency.py`` holds the guarantee in the suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bench import harness
from bench.http import common_env, cpr, offer_event, settings_of
from services.booking import consumer
from services.booking.app import build_booking_context
from services.booking.citizens.store import save_profiles
from services.booking.db import migrate
from services.booking.models import Booking
from shared import events as ev
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in, zone

TZ = zone("Europe/Copenhagen")
DATABASE = "planner_bench_race"


def seed(env: dict[str, str], advisors: int, citizens: int) -> tuple[str, datetime]:
    """An offer with ``advisors`` advisors free at one start the day after tomorrow, and the citizens."""
    settings = settings_of(env)
    context = build_booking_context(settings)
    today = today_in(TZ, datetime.now(TZ))
    start = local_midnight(today + timedelta(days=2), TZ) + timedelta(hours=10)
    ids = [str(uuid.uuid4()) for _ in range(advisors)]
    offer = offer_event(today, ids, "Kapløb", 1)
    assert consumer.handle(context, offer.envelope(ev.OFFER_PUBLISHED))
    computed = ev.AvailabilityPayload(
        offer_id=offer.offer_id, computed_at=datetime.now(TZ), window_start=local_midnight(today, TZ),
        window_end=local_midnight(today + timedelta(weeks=2), TZ),
        slots=[ev.BookableSlot(advisor_id=a, start=start) for a in ids],
    )  # fmt: skip
    assert consumer.handle(context, computed.envelope(ev.AVAILABILITY_COMPUTED))
    profiles = [CitizenProfile(cpr=parse_cpr(cpr(n)), contact_group="Dagpengemodtager") for n in range(citizens)]
    with context.db.transaction() as session:
        save_profiles(session, profiles, vault_for_settings(settings))
    context.close()
    return offer.offer_id, start


def race(port: int, key: str, offer_id: str, start: datetime, citizens: int) -> tuple[Counter[int], float]:
    """Every citizen's POST /bookings from its own thread and connection, released at once."""
    ready = threading.Barrier(citizens + 1)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def press(n: int) -> None:
        body = json.dumps({"offer_id": offer_id, "start": start.isoformat(), "citizen": {"cpr": cpr(n)}})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        ready.wait()
        connection.request("POST", "/api/v1/bookings", body=body, headers=headers)
        status = connection.getresponse().status
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=press, args=(n,)) for n in range(citizens)]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--advisors", type=int, default=2)
    args = parser.parse_args(argv)
    env, key = bench_env()
    offer_id, start = seed(env, args.advisors, args.citizens)
    port = harness.free_port()
    server = harness.start_gunicorn("bench.booking_app:app", env, port)
    try:
        statuses, seconds = race(port, key, offer_id, start, args.citizens)
    finally:
        harness.stop(server)
    context = build_booking_context(settings_of(env))
    with context.db.transaction() as session:
        active = (Booking.cancelled_at.is_(None), Booking.held_until.is_(None))
        booked = session.scalar(select(func.count()).select_from(Booking).where(*active))
    context.close()
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
    print(f"{args.citizens} concurrent bookings of one time with {args.advisors} advisors, in {seconds:.1f} s:")
    print(f"  answers: {answers}; server errors: {sum(c for s, c in statuses.items() if s >= 500)}")
    print(f"  active bookings in the database: {booked} (one per advisor is right)")


def bench_env() -> tuple[dict[str, str], str]:
    """The booking service's settings on a fresh, migrated database, and an API key for them."""
    env, key = common_env()
    env["PLANNER_BOOKING_DATABASE_URL"] = harness.fresh_database(DATABASE)
    migrate(env["PLANNER_BOOKING_DATABASE_URL"])
    return env, key.key


if __name__ == "__main__":
    main()
