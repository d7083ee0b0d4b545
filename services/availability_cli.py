"""``planner availability``: show operators why a time is or is not offered.

Reads calendars from ``.ics`` files or a CalDAV calendar, expands them locally exactly
as the worker does, and prints JSON: the busy intervals (merged, clipped to the window,
with UTC offsets) and the bookable start times for the given offer parameters.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from shared.availability import MeetingShape, bookable_starts
from shared.intervals import Interval, clip_all
from shared.timeutil import local_midnight, require_aware
from shared.working_time import WEEKDAYS, WeeklyHours, parse_weekly_hours, working_intervals


def parse_working_hours(text: str) -> WeeklyHours:
    """JSON (``{"mon": [["08:00", "16:00"]]}``) or ``mon-thu=08:00-12:00,12:30-15:30;fri=08:00-13:00``."""
    text = text.strip()
    if text.startswith("{"):
        return parse_weekly_hours(json.loads(text))
    data: dict[str, list[list[str]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days, _, ranges = part.partition("=")
        first, _, last = days.strip().lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"unknown weekday in {days!r}")
        span = WEEKDAYS[WEEKDAYS.index(first) : WEEKDAYS.index(last or first) + 1]
        pairs = [r.strip().split("-") for r in ranges.split(",") if r.strip()]
        for day in span:
            data[day] = [[a, b] for a, b in pairs]
    return parse_weekly_hours(data)


def _fail(message: str) -> NoReturn:
    click.echo(json.dumps({"error": message}, ensure_ascii=False), err=True)
    sys.exit(2)


def _read_caldav(url: str, username: str | None, password: str | None, window: Interval) -> list[str]:
    from services.calendar_sync.caldav_client import request_limits
    from services.calendar_sync.reading import fetch_window
    from shared.config import get_settings

    limits = request_limits(get_settings())  # the deployment's allow-list applies here too
    return [ics for _href, _etag, ics in fetch_window(url, username, password, window, limits=limits)]


@click.command(name="availability")
@click.option("--ics", "ics_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--caldav", "caldav_url", help="A CalDAV calendar URL instead of (or beside) --ics files.")
@click.option("--username", help="CalDAV user name.")
@click.option(
    "--password-env",
    default="PLANNER_CALDAV_PASSWORD",
    show_default=True,
    help="Environment variable holding the CalDAV password (never give it on the command line).",
)
@click.option("--start", "start_day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (local).")
@click.option("--end", "end_day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Day after the last (local).")
@click.option("--tz", "tz_name", default="Europe/Copenhagen", show_default=True)
@click.option("--duration", default=30, show_default=True, type=click.IntRange(min=1), help="Meeting minutes.")
@click.option("--reporting", default=0, show_default=True, type=click.IntRange(min=0), help="Reporting minutes after.")
@click.option("--start-minutes", default="0,15,30,45", show_default=True, help="Allowed minutes of the hour.")
@click.option("--working-hours", help='JSON or "mon-thu=08:00-15:30;fri=08:00-13:00"; without it the whole window.')
@click.option("--now", "now_text", help="ISO-8601 instant of booking: starts need --notice-days of notice from it.")
@click.option("--notice-days", default=1, show_default=True, type=click.IntRange(min=0))
def availability(
    ics_files: tuple[Path, ...],
    caldav_url: str | None,
    username: str | None,
    password_env: str,
    start_day: datetime,
    end_day: datetime,
    tz_name: str,
    duration: int,
    reporting: int,
    start_minutes: str,
    working_hours: str | None,
    now_text: str | None,
    notice_days: int,
) -> None:
    """Print the busy intervals and bookable start times of calendars as JSON."""
    from services.calendar_sync.expansion import CalendarDataError, busy_intervals

    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"unknown time zone {tz_name!r}")
    first, last = start_day.date(), end_day.date()
    if not first < last:
        _fail("--end must be after --start")
    if not ics_files and not caldav_url:
        _fail("give at least one --ics FILE or --caldav URL")
    window = Interval(local_midnight(first, tz), local_midnight(last, tz))
    try:
        minutes = frozenset(int(m) for m in start_minutes.split(",") if m.strip())
        shape = MeetingShape(timedelta(minutes=duration), timedelta(minutes=reporting), minutes)
        hours = parse_working_hours(working_hours) if working_hours else None
        now = require_aware(datetime.fromisoformat(now_text), "--now") if now_text else None
    except ValueError as exc:
        _fail(str(exc))
    texts = [p.read_text(encoding="utf-8") for p in ics_files]
    if caldav_url:
        texts += _read_caldav(caldav_url, username, os.environ.get(password_env), window)
    busy: list[Interval] = []
    problems: list[str] = []
    for index, text in enumerate(texts):
        try:
            busy += busy_intervals(text, window, tz)
        except CalendarDataError as exc:
            problems.append(f"calendar object {index + 1}: {exc}")
    busy = clip_all(busy, window)
    working = working_intervals(hours, first, last, tz) if hours is not None else None
    starts = bookable_starts(window=window, working=working, busy=busy, booked=[], shape=shape, tz=tz)
    if now is not None:
        earliest = local_midnight(now.astimezone(tz).date() + timedelta(days=notice_days), tz)
        starts = [s for s in starts if s >= earliest]
    result: dict[str, object] = {
        "busy": [{"start": i.start.astimezone(tz).isoformat(), "end": i.end.astimezone(tz).isoformat()} for i in busy],
        "starts": [s.isoformat() for s in starts],
    }
    if problems:
        result["problems"] = problems
    click.echo(json.dumps(result, ensure_ascii=False, indent=1))
