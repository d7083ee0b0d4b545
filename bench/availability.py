"""Benchmark: free times from calendars (issue 3, point 8). Prints figures, asserts nothing.

Run from the repository root: ``.venv/bin/python -m bench.availability [--advisors 50]
[--events 2000] [--weeks 8] [--repeats 20]``.

(a) One advisor with N events (15 % recurring) over the window: expanding everything, and
    applying one changed event (re-expand that object, then merge the advisor's busy time
    again, or splice it into the worker's ``BusyCache`` copy as the worker does).
(b) An offer with 50 such advisors: computing every bookable start from the cached busy
    intervals (what the worker does after each sync or booking), and re-expanding every
    object of all of them (a resync of everything).
The CPU time of an incremental sync against Radicale is in ``bench.caldav_sync``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.calendar_sync.busy_cache import BusyCache, BusyChange, _Copy
from services.calendar_sync.expansion import busy_intervals
from shared.availability import MeetingShape, bookable_starts
from shared.intervals import Interval, merge
from shared.timeutil import local_midnight
from shared.working_time import parse_weekly_hours, working_intervals

CPH = ZoneInfo("Europe/Copenhagen")
FIRST = date(2026, 12, 7)
HOURS = parse_weekly_hours({d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")})


def calendar_objects(rng: random.Random, count: int, weeks: int) -> list[str]:
    """``count`` single-event calendars, 15 % of them weekly recurring, over ``weeks``."""
    objects = []
    for n in range(count):
        day = FIRST + timedelta(days=rng.randrange(weeks * 7))
        start = datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.choice((0, 15, 30, 45)), tzinfo=CPH)
        end = start + timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))
        rrule = "RRULE:FREQ=WEEKLY;COUNT=8\r\n" if rng.random() < 0.15 else ""
        objects.append(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:bench-{n}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=Europe/Copenhagen:{start:%Y%m%dT%H%M%S}\r\n"
            f"DTEND;TZID=Europe/Copenhagen:{end:%Y%m%dT%H%M%S}\r\n{rrule}SUMMARY:Møde\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    return objects


def timed(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def timed_cpu(action: Callable[[], object], repeats: int) -> float:
    """Median process CPU time of ``action`` in ms."""
    samples = []
    for _ in range(repeats):
        started = time.process_time()
        action()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisors", type=int, default=50)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    last = FIRST + timedelta(weeks=args.weeks)
    window = Interval(local_midnight(FIRST, CPH), local_midnight(last, CPH))
    objects = calendar_objects(rng, args.events, args.weeks)

    def expand_all() -> list[list[Interval]]:
        return [busy_intervals(text, window, CPH) for text in objects]

    started = time.process_time()
    cached = expand_all()
    full_cpu = (time.process_time() - started) * 1000
    print(f"(a) one advisor, {args.events} events ({int(args.events * 0.15)} recurring), {args.weeks} weeks")
    print(f"    re-expand everything: {full_cpu:.0f} ms CPU")

    def apply_one_change() -> list[Interval]:
        cached[0] = busy_intervals(objects[0], window, CPH)
        return merge(i for per_object in cached for i in per_object)

    median, p95 = timed(apply_one_change, args.repeats)
    print(
        "    apply one changed event (expand it, merge the advisor's busy time): "
        f"median {median:.2f} ms, p95 {p95:.2f} ms"
    )
    cache = BusyCache()
    version = 0
    cache._keep(("bench", "anne"), _Copy(version, sorted(i for per_object in cached for i in per_object)))

    def splice_one_change() -> None:
        nonlocal version
        fresh = busy_intervals(objects[0], window, CPH)
        cache.apply(BusyChange("bench", "anne", version, version + 1, tuple(cached[0]), tuple(fresh)))
        version += 1
        cached[0] = fresh
        copy = cache._copies[("bench", "anne")]
        copy.merged = merge(copy.ordered)  # what the next computation does once for this version

    median, p95 = timed(splice_one_change, args.repeats)
    cpu = timed_cpu(splice_one_change, args.repeats)
    assert cache.loads == 0 and cache._copies[("bench", "anne")].version == version  # every change was spliced
    print(
        "    apply one changed event as the worker does (expand it, splice it into its BusyCache copy, merge once): "
        f"median {median:.2f} ms, p95 {p95:.2f} ms, {cpu:.2f} ms CPU (target < 5 ms)"
    )
    expand = timed(lambda: busy_intervals(objects[0], window, CPH), args.repeats)[0]
    print(f"      of which expanding the object: median {expand:.2f} ms")

    advisor_busy = merge(i for per_object in cached for i in per_object)
    working = working_intervals(HOURS, FIRST, last, CPH)
    shape = MeetingShape(timedelta(minutes=45), timedelta(minutes=15), frozenset({0, 15, 30, 45}))
    light = merge(i for per_object in cached[: len(cached) // 10] for i in per_object)
    per_advisor = [advisor_busy if n % 2 else light for n in range(args.advisors)]

    def compute_offer() -> int:
        return sum(
            len(bookable_starts(window=window, working=working, busy=busy, booked=[], shape=shape, tz=CPH))
            for busy in per_advisor
        )

    starts = compute_offer()
    median, p95 = timed(compute_offer, args.repeats)
    print(
        f"(b) an offer with {args.advisors} advisors over {args.weeks} weeks, half as above, half with a tenth "
        f"of the events ({starts} bookable starts)"
    )
    print(f"    bookable starts from cached busy time: median {median:.1f} ms, p95 {p95:.1f} ms (target < 20 ms)")
    raw_heavy = [i for per_object in cached for i in per_object]
    raw_light = [i for per_object in cached[: len(cached) // 10] for i in per_object]
    per_advisor = [raw_heavy if n % 2 else raw_light for n in range(args.advisors)]
    median, p95 = timed(compute_offer, args.repeats)
    print(
        "    the same from per-object busy time, not merged beforehand (why the worker's BusyCache merges "
        f"once per change): median {median:.1f} ms, p95 {p95:.1f} ms"
    )

    started = time.process_time()
    heavy_advisors = (args.advisors + 1) // 2
    for n in range(args.advisors):  # every advisor's objects expanded again (a new window, a resync of all)
        for text in objects if n < heavy_advisors else objects[: len(objects) // 10]:
            busy_intervals(text, window, CPH)
    everything = time.process_time() - started
    print(f"    re-expand every object of the {args.advisors} advisors: {everything:.1f} s CPU")


if __name__ == "__main__":
    main()
