"""The offers API's blueprint (every JSON route under /api/v1, endpoint ``offers.<name>``)
and what its routes share: the service context, one transaction per request, the tags.

Each feature package adds its routes to ``bp`` in its ``api`` module; ``services.offers.api``
imports them all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from apiflask import APIBlueprint
from flask import current_app
from sqlalchemy.orm import Session

from services.offers.offers.revisions import Editor
from shared.auth.access import Action
from shared.auth.web import current_actor, current_actor_name
from shared.service import ServiceContext

bp = APIBlueprint("offers", __name__, url_prefix="/api/v1")

CENTRES, TEAMS, ROOMS, ADVISORS, OFFERS = "Jobcentre", "Teams", "Mødelokaler", "Vejledere", "Tilbud"
REFERENCE, CALENDARS = "Referencelister", "Kalendere"
NO_CENTRE, NO_ADVISOR, NO_OFFER = "Jobcentret findes ikke.", "Vejlederen findes ikke.", "Tilbuddet findes ikke."
NO_TEAM, NO_ROOM = "Teamet findes ikke.", "Mødelokalet findes ikke."
READ_ADMIN, WRITE_ADMIN = Action.READ_ADMIN_DATA, Action.WRITE_ADMIN_DATA
READ_OFFERS, WRITE_OFFERS = Action.READ_OFFERS, Action.WRITE_OFFERS
READ_CALENDARS, WRITE_CALENDARS = Action.READ_CALENDARS, Action.WRITE_CALENDARS


def context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def stale_after() -> timedelta:
    """How old an advisor's last calendar read may be before their times are withdrawn."""
    return timedelta(seconds=context().settings.calendar_stale_after_seconds)


@contextmanager
def transaction() -> Iterator[Session]:
    with context().db.transaction() as session:
        yield session


def editor() -> Editor:
    """The caller, as the revision log records who made a change."""
    return Editor(current_actor(), current_actor_name())
