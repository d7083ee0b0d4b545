"""The writes of the admin data: job centres and their closing days, each in the caller's
transaction (a Session); teams' and rooms' writes are in ``teams_rooms``, advisors' in
``advisors``.

Each operation checks its input, raises ``shared.errors`` with Danish messages (field
problems as one ``ValidationFailed`` listing every field), changes the rows and records
the events that announce the change in the same transaction (``shared.outbox``).

Operations whose body names a job centre (creations) take the caller's ``Scope``
(``services.offers.access``): rows of centres the caller cannot see are answered as absent,
and the write is refused (403) at a centre they may only read. Resources in the path are
checked by the route before the operation runs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.access import Scope
from services.offers.events import announce_advisor
from services.offers.lookup import get_or_404
from services.offers.models import Advisor, ClosingDay, JobCentre
from services.offers.rules.reference import load_lists, lock_reference_lists
from shared.errors import Conflict, NotFound
from shared.timeutil import DEFAULT_TIMEZONE, today_in, zone


def flush_unique(session: Session, message: str, code: str) -> None:
    """Flush; a unique constraint hit by a concurrent request becomes a 409 with ``message``."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code) from exc


def create_job_centre(session: Session, data: Mapping[str, Any], *, scope: Scope) -> JobCentre:
    """Create a job centre (A-1): unique 5-digit ``code``, ``name``, ``timezone`` (default
    Europe/Copenhagen), optionally ``parent_id``, making it a sub-job-centre, and ``region``
    (a value of the regions list; default the parent's), which decides the region markers
    the centre sees (R-4).

    The caller needs ``scope``'s action at the new code (403 otherwise) and, for a
    sub-job-centre, at the parent too: job-centre rules of the parent's offers take in its
    sub-job-centres. A parent the caller cannot see is answered as absent.
    """
    problems = check.Problems()
    code = check.text(problems, data, "code", max_length=50, required=True)
    if code is not None and not re.fullmatch(r"\d{5}", code):
        problems.add("code", "Jobcenterkoden skal være 5 cifre, fx 10101.")
    elif code is not None:
        scope.check_new_centre(code)
    name = check.text(problems, data, "name", max_length=200, required=True)
    timezone = check.timezone(problems, "timezone", data.get("timezone"), DEFAULT_TIMEZONE)
    parent_id = check.uuid_value(problems, "parent_id", data.get("parent_id"))
    parent = session.get(JobCentre, parent_id) if parent_id is not None else None
    if parent is not None and not scope.sees(parent.code):
        parent = None
    if parent_id is not None and parent is None:
        problems.add("parent_id", "Det overordnede jobcenter findes ikke.")
    elif parent is not None:
        scope.check(parent.code)
    region = check.text(problems, data, "region", max_length=200, required=False)
    if region is not None:
        lock_reference_lists(session, exclusive=False)
        regions = load_lists(session).regions
        region = regions.canonical(region)
        if region is None:
            problems.add("region", "Ukendt region; brug en af: " + ", ".join(regions.values) + ".")
    elif parent is not None:
        region = parent.region
    problems.raise_if_any()
    taken = f"Der findes allerede et jobcenter med koden {code}."
    if session.scalar(select(JobCentre.id).where(JobCentre.code == code)) is not None:
        raise Conflict(taken, code="job_centre_code_taken")
    centre = JobCentre(code=code, name=name, timezone=timezone, region=region, parent_id=parent_id, closing_days=[])
    if data.get("closed_optional_days") is not None:
        centre.closed_optional_days = sorted(set(data["closed_optional_days"]))
    session.add(centre)
    flush_unique(session, taken, "job_centre_code_taken")
    return centre


def set_optional_closing_days(session: Session, job_centre_id: uuid.UUID, days: list[str]) -> JobCentre:
    """Choose which of Grundlovsdag, 24 and 31 December the centre is closed on.

    The advisors' working time changes, so each gets an ``advisor.changed``.
    """
    centre = get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.", lock=True)
    chosen = sorted(set(days))
    if chosen != sorted(centre.closed_optional_days):
        centre.closed_optional_days = chosen
        session.flush()
        for advisor in session.scalars(select(Advisor).where(Advisor.job_centre_id == centre.id)):
            announce_advisor(session, advisor)
    return centre


def add_closing_day(session: Session, job_centre_id: uuid.UUID, data: Mapping[str, Any]) -> ClosingDay:
    """Add a local closing day (A-3) on ``day`` with an optional ``reason``.

    The working time of every advisor of the centre changes, so each gets an
    ``advisor.changed`` with the new closed days.
    """
    centre = get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.", lock=True)
    problems = check.Problems()
    day = check.date_value(problems, data, "day", required=True)
    reason = check.text(problems, data, "reason", max_length=200, required=False) or "Lukkedag"
    if day is not None and day < today_in(zone(centre.timezone)):
        problems.add("day", "Lukkedagen ligger i fortiden.")
    problems.raise_if_any()
    assert day is not None
    taken = f"Jobcentret har allerede en lukkedag den {day:%d-%m-%Y}."
    if any(existing.day == day for existing in centre.closing_days):
        raise Conflict(taken, code="closing_day_exists")
    closing = ClosingDay(day=day, reason=reason)
    centre.closing_days.append(closing)
    flush_unique(session, taken, "closing_day_exists")
    for advisor in session.scalars(select(Advisor).where(Advisor.job_centre_id == centre.id)):
        announce_advisor(session, advisor)
    return closing


def remove_closing_day(session: Session, job_centre_id: uuid.UUID, day: date) -> None:
    """Remove the centre's own closing day on ``day`` (A-3): the advisors work that day
    again, so each gets an ``advisor.changed``. Bookings are not touched (there are none on a
    closed day)."""
    centre = get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.", lock=True)
    closing = next((existing for existing in centre.closing_days if existing.day == day), None)
    if closing is None:
        raise NotFound(f"Jobcentret har ingen lukkedag den {day:%d-%m-%Y}.", code="closing_day_unknown")
    centre.closing_days.remove(closing)
    session.flush()
    for advisor in session.scalars(select(Advisor).where(Advisor.job_centre_id == centre.id)):
        announce_advisor(session, advisor)


def job_centre_of(
    problems: check.Problems, session: Session, data: Mapping[str, Any], scope: Scope
) -> JobCentre | None:
    """The job centre ``data["job_centre_id"]`` names, if the caller sees it (else a problem,
    as for an unknown id); refused (403) when the caller may not do ``scope``'s write there."""
    ident = check.uuid_value(problems, "job_centre_id", data.get("job_centre_id"), required=True)
    centre = session.get(JobCentre, ident) if ident is not None else None
    if centre is not None and not scope.sees(centre.code):
        centre = None
    if ident is not None and centre is None:
        problems.add("job_centre_id", "Jobcentret findes ikke.")
    if centre is not None:
        scope.check(centre.code)
    return centre
