"""The writes of the offers service for advisors (A-2): their data, working time and
calendar connection, each in the caller's transaction (a Session).

As in ``operations``: input checked with Danish messages (one ``ValidationFailed``
listing every field), rows changed, and ``advisor.changed`` / ``advisor.sync_requested``
recorded in the outbox in the same transaction. A CalDAV password is stored only
encrypted, bound to the advisor and the calendar URL (``shared.secrets``), and never
logged; when staff change the URL without typing the password again, the stored password
is bound to the new URL. Job centres and teams of centres the caller cannot see
(``Scope``) are answered as absent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.access import Scope
from services.offers.admin.operations import job_centre_of
from services.offers.events import announce_advisor, announce_sync_request
from services.offers.lookup import get_or_404
from services.offers.models import Advisor, JobCentre, Offer, OfferAdvisor, Team
from services.offers.offers.operations import defaults_of, follow_defaults
from services.offers.offers.revisions import Editor
from shared.errors import Conflict, NotFound
from shared.secrets import (
    CalendarPasswordRefused,
    SecretsNotConfigured,
    encrypt_calendar_password,
    rebind_calendar_password,
)
from shared.timeutil import today_in, utcnow, zone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _teams(problems: check.Problems, session: Session, ids: Any, centre: JobCentre, scope: Scope) -> list[Team]:
    """The teams ``ids`` of ``centre``; one of a centre the caller cannot see is reported as absent."""
    teams: list[Team] = []
    for ident in check.uuid_list(problems, "team_ids", ids):
        team = session.get(Team, ident)
        if team is not None and team.job_centre_id != centre.id:
            owner = session.get(JobCentre, team.job_centre_id)
            team = team if owner is not None and scope.sees(owner.code) else None
        if team is None:
            problems.add("team_ids", f"Teamet {ident} findes ikke.")
        elif team.job_centre_id != centre.id:
            problems.add("team_ids", f"Teamet {team.name} hører til et andet jobcenter.")
        else:
            teams.append(team)
    return teams


CheckUrl = Callable[[str], object]
"""Raises ``CalendarUrlRefused`` for a calendar URL that may not be used (``ServiceContext.check_calendar_url``)."""


def _advisor_fields(
    problems: check.Problems,
    session: Session,
    centre: JobCentre,
    values: Mapping[str, Any],
    check_url: CheckUrl | None,
    scope: Scope,
) -> dict[str, Any]:
    email = check.text(problems, values, "email", max_length=254, required=False)
    if email is not None and not _EMAIL.match(email):
        problems.add("email", "Skal være en gyldig e-mailadresse.")
    if "working_hours" not in values:
        problems.add("working_hours", check.REQUIRED)
    return {
        "name": check.text(problems, values, "name", max_length=200, required=True),
        "email": email,
        "phone": check.phone(problems, values, "phone"),
        "timezone": check.timezone(problems, "timezone", values.get("timezone"), centre.timezone),
        "working_hours": check.working_hours(problems, "working_hours", values.get("working_hours")),
        "working_exceptions": check.working_exceptions(
            problems, "working_exceptions", values.get("working_exceptions")
        ),
        "caldav_url": check.caldav_url(problems, values, "caldav_url", check_url),
        "caldav_username": check.text(problems, values, "caldav_username", max_length=200, required=False),
        "teams": _teams(problems, session, values.get("team_ids") or [], centre, scope),
    }


def _password(problems: check.Problems, values: Mapping[str, Any]) -> str | None:
    """``values["caldav_password"]`` once it passed the checks (None when empty). Never logged."""
    password = values.get("caldav_password")
    if password is not None and not isinstance(password, str):
        problems.add("caldav_password", "Skal være tekst.")
        return None
    if not password:
        return None
    if len(password) > 500:
        problems.add("caldav_password", "Må højst være 500 tegn.")
        return None
    return password


def _encrypted(password: str | None, secret_keys: str, advisor_id: uuid.UUID, url: str | None) -> str | None:
    """``password`` encrypted for ``advisor_id`` and the calendar ``url`` (None when empty)."""
    if not password:
        return None
    return encrypt_calendar_password(password, secret_keys, advisor_id=str(advisor_id), url=url)


def _moved(token: str, secret_keys: str, advisor: Advisor, new_url: str | None) -> str:
    """The stored password ``token`` of ``advisor`` bound to the calendar's ``new_url``; a
    stored password that cannot be moved (no key reads it, or it belongs elsewhere) must be
    entered again (422)."""
    try:
        return rebind_calendar_password(
            token, secret_keys, advisor_id=str(advisor.id), old_url=advisor.caldav_url, new_url=new_url
        )
    except (SecretsNotConfigured, CalendarPasswordRefused):
        problems = check.Problems()
        problems.add(
            "caldav_password",
            "Den gemte adgangskode kan ikke bruges til den nye kalenderadresse; angiv adgangskoden igen.",
        )
        problems.raise_if_any()
        raise  # not reached: raise_if_any raised ValidationFailed


def _calendar_needs_url(problems: check.Problems, fields: Mapping[str, Any], has_password: bool) -> None:
    if (has_password or fields["caldav_username"]) and not fields["caldav_url"] and "caldav_url" not in problems:
        problems.add("caldav_url", "Angiv kalenderens adresse, når brugernavn eller adgangskode er udfyldt.")


CALENDAR_FIELDS = (
    "name",
    "timezone",
    "working_hours",
    "working_exceptions",
    "caldav_url",
    "caldav_username",
    "caldav_password_encrypted",
)
"""What the calendar-sync worker uses of an advisor (the advisor.changed payload)."""


def _calendar_state(advisor: Advisor) -> tuple[Any, ...]:
    return tuple(getattr(advisor, k) for k in CALENDAR_FIELDS)


def create_advisor(
    session: Session, data: Mapping[str, Any], *, scope: Scope, secret_keys: str, check_calendar_url: CheckUrl
) -> Advisor:
    """Create an advisor (A-1) with weekly ``working_hours``, optional CalDAV calendar
    (``caldav_url``, which ``check_calendar_url`` must accept: http(s), no credentials in
    it, no internal address; ``caldav_username``, ``caldav_password``: encrypted with
    ``secret_keys`` together with the advisor's id and that URL, the plaintext is never
    stored) and ``team_ids`` of the same job centre.

    Emits ``advisor.changed`` so the worker starts reading the calendar. The caller needs
    ``scope``'s action at the advisor's job centre (403 where they may only read).
    """
    problems = check.Problems()
    centre = job_centre_of(problems, session, data, scope)
    if centre is None:
        problems.raise_if_any()
    assert centre is not None
    fields = _advisor_fields(problems, session, centre, data, check_calendar_url, scope)
    password = _password(problems, data)
    _calendar_needs_url(problems, fields, bool(password))
    problems.raise_if_any()
    now = utcnow()
    advisor_id = uuid.uuid4()
    encrypted = _encrypted(password, secret_keys, advisor_id, fields["caldav_url"])
    advisor = Advisor(
        id=advisor_id, job_centre=centre, caldav_password_encrypted=encrypted, created_at=now, updated_at=now, **fields
    )
    session.add(advisor)
    session.flush()
    announce_advisor(session, advisor)
    return advisor


ADVISOR_CHANGES = frozenset(
    (
        "name",
        "email",
        "phone",
        "timezone",
        "working_hours",
        "working_exceptions",
        "caldav_url",
        "caldav_username",
        "caldav_password",
        "team_ids",
    )
)


def update_advisor(
    session: Session,
    advisor_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    scope: Scope,
    secret_keys: str,
    check_calendar_url: CheckUrl,
    editor: Editor | None = None,
) -> Advisor:
    """Change the given fields of an advisor (PATCH: absent fields stay; a null
    ``caldav_password`` removes the stored password). A new ``caldav_url`` must pass
    ``check_calendar_url``; the stored one is not looked up again for other changes (the
    worker checks it before every request). A new URL without a new password keeps the
    stored password, bound to the new URL from now on.

    Emits ``advisor.changed`` when anything the worker uses changed: name, time zone,
    working hours or calendar access. The route has checked the caller's right to change
    this advisor; teams of centres they cannot see (``scope``) are reported as absent.
    Phone offers the advisor comes first on that were called from the advisor's number
    follow a new one (O-4; revision log by ``editor``).
    """
    advisor = get_or_404(session, Advisor, advisor_id, "Vejlederen findes ikke.", lock=True)
    problems = check.Problems()
    for key in set(changes) - ADVISOR_CHANGES:
        problems.add(key, "Feltet kan ikke ændres her.")
    current = {k: getattr(advisor, k) for k in ADVISOR_CHANGES - {"caldav_password"}}
    new_url = "caldav_url" in changes and changes["caldav_url"] != advisor.caldav_url
    check_url = check_calendar_url if new_url else None
    fields = _advisor_fields(problems, session, advisor.job_centre, current | dict(changes), check_url, scope)
    new_password = "caldav_password" in changes
    password = _password(problems, changes) if new_password else None
    has_password = bool(password) if new_password else advisor.caldav_password_encrypted is not None
    _calendar_needs_url(problems, fields, has_password)
    problems.raise_if_any()
    encrypted = advisor.caldav_password_encrypted
    if new_password:
        encrypted = _encrypted(password, secret_keys, advisor.id, fields["caldav_url"])
    elif encrypted is not None and fields["caldav_url"] != advisor.caldav_url:
        encrypted = _moved(encrypted, secret_keys, advisor, fields["caldav_url"])
    before = _calendar_state(advisor), advisor.email, advisor.phone, set(advisor.team_ids)
    first_on: Sequence[Offer] = []
    if fields["phone"] != advisor.phone:  # the offers whose default number is the advisor's
        first_on = session.scalars(
            select(Offer).join(OfferAdvisor).where(OfferAdvisor.advisor_id == advisor.id, OfferAdvisor.position == 0)
        ).all()
    defaults = {offer.id: defaults_of(session, offer) for offer in first_on}
    for key, value in fields.items():
        setattr(advisor, key, value)
    advisor.caldav_password_encrypted = encrypted
    if (_calendar_state(advisor), advisor.email, advisor.phone, set(advisor.team_ids)) == before:
        return advisor
    advisor.updated_at = utcnow()
    session.flush()
    if _calendar_state(advisor) != before[0]:
        announce_advisor(session, advisor)
    follow_defaults(session, first_on, defaults, editor=editor)
    return advisor


def request_calendar_sync(session: Session, advisor_id: uuid.UUID) -> Advisor:
    """Ask the worker to re-read the advisor's calendar now ("sync now"): ``advisor.sync_requested``."""
    advisor = get_or_404(session, Advisor, advisor_id, "Vejlederen findes ikke.")
    if not advisor.caldav_url:
        raise Conflict("Vejlederen har ingen kalender tilknyttet; angiv kalenderens adresse først.", code="no_calendar")
    announce_sync_request(session, advisor)
    return advisor


def set_working_exception(
    session: Session,
    advisor_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    scope: Scope,
    secret_keys: str,
    check_calendar_url: CheckUrl,
    editor: Editor | None = None,
) -> Advisor:
    """Set the advisor's working time on one date (a date exception): ``day`` (today or
    later, in the advisor's time zone) and ``spans`` (``[["09:00", "11:00"]]``; empty: a
    day off), replacing what that date had. The same change as a PATCH of
    ``working_exceptions``, so the worker hears of it."""
    advisor = get_or_404(session, Advisor, advisor_id, "Vejlederen findes ikke.", lock=True)
    problems = check.Problems()
    day = check.date_value(problems, data, "day", required=True)
    if day is not None and day < today_in(zone(advisor.timezone)):
        problems.add("day", "Datoen ligger i fortiden.")
    problems.raise_if_any()
    assert day is not None
    exceptions = {**(advisor.working_exceptions or {}), day.isoformat(): list(data.get("spans") or [])}
    changes = {"working_exceptions": exceptions}
    keys = {"secret_keys": secret_keys, "check_calendar_url": check_calendar_url}
    return update_advisor(session, advisor_id, changes, scope=scope, editor=editor, **keys)


def remove_working_exception(
    session: Session,
    advisor_id: uuid.UUID,
    day: date,
    *,
    scope: Scope,
    secret_keys: str,
    check_calendar_url: CheckUrl,
    editor: Editor | None = None,
) -> Advisor:
    """Remove the advisor's date exception on ``day``: the weekly working hours apply again."""
    advisor = get_or_404(session, Advisor, advisor_id, "Vejlederen findes ikke.", lock=True)
    exceptions = dict(advisor.working_exceptions or {})
    if exceptions.pop(day.isoformat(), None) is None:
        raise NotFound(f"Vejlederen har ingen undtagelse den {day:%d-%m-%Y}.", code="working_exception_unknown")
    changes = {"working_exceptions": exceptions}
    keys = {"secret_keys": secret_keys, "check_calendar_url": check_calendar_url}
    return update_advisor(session, advisor_id, changes, scope=scope, editor=editor, **keys)
