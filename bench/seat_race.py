"""Benchmark: 1,000 citizens press "Book pladsen" on the same group meeting of 10 seats at once,
over HTTP, against the booking service under ``deploy/gunicorn.conf.py`` on PostgreSQL; then
``--movers`` citizens with a seat at another meeting move to it at the same moment as as many
first-time bookers try it, to show that its extra seats go to the movers only (O-13).

Run from the repository root: ``.venv/bin/python -m bench.seat_race [--citizens 1000]
[--seats 10] [--movers 20]``. It prints how the requests were answered, how long they took, and
what the database holds afterwards. It asserts nothing; ``tests/e2e/test_group_seat_race.py``
and ``tests/booking/test_group_seats.py`` hold the guarantees in the suite.
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
from bench.booking_race import bench_env
from bench.http import cpr, offer_event, settings_of
from services.booking import consumer
from services.booking.app import build_booking_context
from services.booking.citizens.store import save_profiles
from services.booking.models import Booking, GroupMeetingView
from shared import events as ev
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in, zone

TZ = zone("Europe/Copenhagen")


def seed(env: dict[str, str], citizens: int, seats: int, movers: int) -> tuple[str, str, str]:
    """A group offer with the crowded meeting (``seats`` seats, ``movers`` extra seats) in three
    days and a roomy one in four, and the citizens; returns the offer's and meetings' ids."""
    settings = settings_of(env)
    context = build_booking_context(settings)
    today = today_in(TZ, datetime.now(TZ))
    meetings = []
    for days, count, extra in ((3, seats, movers), (4, citizens, 0)):
        start = local_midnight(today + timedelta(days=days), TZ) + timedelta(hours=10)
        end = start + timedelta(hours=1)
        meeting = ev.GroupMeetingPayload(meeting_id=str(uuid.uuid4()), start=start, end=end, seats=count,
                                         extra_seats=extra)  # fmt: skip
        meetings.append(meeting)
    offer = offer_event(today, [str(uuid.uuid4())], "Informationsmøde", 2).model_copy(
        update={"meeting_form": "group", "start_minutes": [], "duration_minutes": 60, "meetings": meetings}
    )
    assert consumer.handle(context, offer.envelope(ev.OFFER_PUBLISHED))
    total = citizens + 2 * movers
    profiles = [CitizenProfile(cpr=parse_cpr(cpr(n)), contact_group="Dagpengemodtager") for n in range(total)]
    with context.db.transaction() as session:
        save_profiles(session, profiles, vault_for_settings(settings))
    context.close()
    return offer.offer_id, meetings[0].meeting_id, meetings[1].meeting_id


def race(port: int, key: str, requests: list[tuple[str, dict[str, object]]]) -> tuple[list[int], float]:
    """Every request (path, body) from its own thread and connection, released at once."""
    ready = threading.Barrier(len(requests) + 1)
    statuses = [0] * len(requests)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def press(n: int) -> None:
        path, body = requests[n]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        ready.wait()
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        statuses[n] = connection.getresponse().status

    threads = [threading.Thread(target=press, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - began


def _answers(statuses: list[int]) -> str:
    counted = Counter(statuses)
    errors = sum(c for s, c in counted.items() if s >= 500)
    return ", ".join(f"{count} x {status}" for status, count in sorted(counted.items())) + f"; server errors: {errors}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--movers", type=int, default=20)
    args = parser.parse_args(argv)
    env, key = bench_env()
    offer_id, crowded, roomy = seed(env, args.citizens, args.seats, args.movers)
    seats = f"/api/v1/offers/{offer_id}/meetings/{{}}/seats"
    port = harness.free_port()
    server = harness.start_gunicorn("bench.booking_app:app", env, port)
    try:
        first = [(seats.format(crowded), {"citizen": {"cpr": cpr(n)}}) for n in range(args.citizens)]
        statuses, seconds = race(port, key, first)
        print(f"{args.citizens} concurrent seat bookings of a meeting with {args.seats} seats, in {seconds:.1f} s:")
        print(f"  answers: {_answers(statuses)}")
        # movers: citizens with a seat at the roomy meeting; first-timers: as many others
        movers = range(args.citizens, args.citizens + args.movers)
        booked = [(seats.format(roomy), {"citizen": {"cpr": cpr(n)}}) for n in movers]
        ids = _booking_ids(port, key, booked)
        moves = [(f"/api/v1/bookings/{b}/rebook-seat", {"meeting_id": crowded, "citizen": {"cpr": cpr(n)}})
                 for b, n in zip(ids, movers, strict=True)]  # fmt: skip
        others = [(seats.format(crowded), {"citizen": {"cpr": cpr(n + args.movers)}}) for n in movers]
        statuses, seconds = race(port, key, moves + others)
        print(f"{args.movers} rebookers and {args.movers} first-time bookers at once for its {args.movers} extra "
              f"seats, in {seconds:.1f} s:")  # fmt: skip
        print(f"  rebookers: {_answers(statuses[: args.movers])}")
        print(f"  first-time bookers: {_answers(statuses[args.movers :])}")
    finally:
        harness.stop(server)
    context = build_booking_context(settings_of(env))
    with context.db.transaction() as session:
        taken = session.scalar(select(GroupMeetingView.taken).where(GroupMeetingView.id == uuid.UUID(crowded)))
        active = session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.group_meeting_id == uuid.UUID(crowded), Booking.cancelled_at.is_(None))
        )
    context.close()
    print(f"  the crowded meeting: {taken} seats taken, {active} active seat bookings "
          f"({args.seats} + {args.movers} extra is right)")  # fmt: skip


def _booking_ids(port: int, key: str, requests: list[tuple[str, dict[str, object]]]) -> list[str]:
    """Book each request one after another; the bookings' ids."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    ids = []
    for path, body in requests:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        answer = connection.getresponse()
        ids.append(json.loads(answer.read())["id"])
    return ids


if __name__ == "__main__":
    main()
