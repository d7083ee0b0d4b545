"""Benchmark: one incremental CalDAV sync (issue 3, point 8). Prints figures, asserts nothing.

Run from the repository root: ``.venv/bin/python -m bench.caldav_sync [--events 2000]
[--rounds 10] [--db-url URL]``.

Radicale runs in a child process, so ``time.process_time()`` of this process is only our
own CPU (HTTP client, XML parsing, expansion, database). For each round one event is
changed, then the worker syncs the advisor incrementally (sync-collection + multiget,
one object re-expanded). The server's own time is measured twice: (1) the wall time of
the same two requests replayed raw with ``requests`` (the server's time plus a thin
client), (2) the wall time of the sync minus our CPU.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from bench.availability import calendar_objects
from services.calendar_sync import runtime
from services.calendar_sync.caldav_incremental import NS
from services.calendar_sync.db import migrate
from services.calendar_sync.models import AdvisorCalendar
from services.calendar_sync.sync import sync_advisor
from shared.config import Settings
from shared.secrets import encrypt, new_key

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=CPH)
USER, PASSWORD = "bench", "bench-secret"
WORKING_HOURS = {d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def serve(storage: str) -> None:
    """Child process: run Radicale, print its URL, stop when stdin closes."""
    from services.demo.embedded_radicale import start_radicale

    server = start_radicale(Path(storage), {USER: PASSWORD})
    print(server.url, flush=True)
    sys.stdin.read()
    server.stop()


def start_server(storage: Path) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.caldav_sync", "--serve", str(storage)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def fill_calendar(session: requests.Session, url: str, events: list[str]) -> None:
    """Upload every event in one PUT of the whole collection (Radicale splits it by UID)."""
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
    body += "".join(text.split("PRODID:-//bench//EN\r\n", 1)[1].rsplit("END:VCALENDAR", 1)[0] for text in events)
    body += "END:VCALENDAR\r\n"
    response = session.put(url, data=body.encode(), headers={"Content-Type": "text/calendar; charset=utf-8"})
    response.raise_for_status()


def replay(session: requests.Session, url: str, token: str, href: str) -> float:
    """Wall milliseconds of the incremental sync's two requests, sent raw."""
    sync_body = (
        '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
        f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    get_body = (
        '<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" '
        f'xmlns:c="{NS["c"]}"><d:prop><d:getetag/><c:calendar-data/></d:prop>'
        f"<d:href>{href}</d:href></c:calendar-multiget>"
    )
    started = time.perf_counter()
    session.request("REPORT", url, data=sync_body, headers={"Depth": "0"}).raise_for_status()
    session.request("REPORT", url, data=get_body, headers={"Depth": "1"}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-caldav-"))
    child, base = start_server(tmp / "radicale")
    try:
        http = requests.Session()
        http.auth = (USER, PASSWORD)
        url = f"{base}{USER}/bench/"
        rng = random.Random(7)
        events = calendar_objects(rng, args.events, weeks=8)
        fill_calendar(http, url, events)

        keys = new_key()
        db_url = args.db_url or f"sqlite:///{tmp / 'calendar_sync.db'}"
        migrate(db_url)
        settings = Settings.model_validate(
            {
                "calendar_sync_database_url": db_url,
                "broker_url": "memory://",
                "secret_keys": keys,
                "availability_horizon_days": 56,
                "caldav_timeout_seconds": 60,
            }
        )
        context = runtime.get_context(settings)
        with context.db.transaction() as session:
            session.add(
                AdvisorCalendar(
                    advisor_id="bench-advisor",
                    job_centre_code="BENCH",
                    name="Bench",
                    timezone="Europe/Copenhagen",
                    caldav_url=url,
                    caldav_username=USER,
                    caldav_password_encrypted=encrypt(PASSWORD, keys),
                    working_hours=WORKING_HOURS,
                    closed_days=[],
                    changed_at=NOW,
                )
            )

        cpu, wall = time.process_time(), time.perf_counter()
        sync_advisor(context, "bench-advisor", NOW)
        first_cpu, first_wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000

        ours, walls, raw = [], [], []
        for n in range(args.rounds):
            with context.db.transaction() as session:
                advisor = session.get(AdvisorCalendar, "bench-advisor")
                assert advisor is not None
                token, method = advisor.sync_token, advisor.sync_method
            assert method == "sync-token" and token
            uid = f"bench-{rng.randrange(args.events)}"
            changed = events[int(uid.split("-")[1])].replace("SUMMARY:Møde", f"SUMMARY:Møde {n}")
            href = f"{url}{uid}.ics"
            http.put(href, data=changed.encode(), headers={"Content-Type": "text/calendar"})
            cpu, wall = time.process_time(), time.perf_counter()
            outcome = sync_advisor(context, "bench-advisor", NOW + timedelta(minutes=n + 1))
            ours.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
            assert outcome.ok and outcome.error is None, outcome
            raw.append(replay(http, url, token, href.removeprefix(base.rstrip("/"))))

        our_cpu, sync_wall, raw_wall = (statistics.median(x) for x in (ours, walls, raw))
        print(f"events: {args.events} (15 % recurring), database: {db_url.split(':')[0]}, rounds: {args.rounds}")
        print(
            f"first load (one calendar-query REPORT + expansion): our CPU {first_cpu:.1f} ms, wall {first_wall:.1f} ms"
        )
        print("incremental sync with one changed event (median):")
        print(f"  our CPU (process_time)                       {our_cpu:8.2f} ms")
        print(f"  wall time of the sync                        {sync_wall:8.2f} ms")
        print(f"  server time, same requests replayed raw      {raw_wall:8.2f} ms")
        print(f"  server time, sync wall minus our CPU         {sync_wall - our_cpu:8.2f} ms")
        print(f"  our CPU / server time (raw replay)           {our_cpu / raw_wall * 100:8.1f} %")
    finally:
        runtime.close_contexts()
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
