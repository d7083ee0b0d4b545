"""May this principal do this at this job centre? One table of actions per role. Pure.

- ``administrator``: reads everything of its centre(s), writes admin data and reference
  lists, lists the CPR access log.
- ``planner``: reads everything of its centre(s), writes offers, participants and calendars.
- ``reader``: reads only.
- ``monitor``: the services' metrics only (``shared.metrics``; granted at every centre).
- A citizen does self-service only, about themself: ``may`` says whether the kind of action
  is open to them; that a booking is the citizen's own is the operation's check (its CPR).

A staff action needs a job centre: without one (``None``) the answer is no. Lists are
filtered with ``job_centres_where``. A route that refuses a staff member because the
resource is another centre's answers 404, not 403 (see ``shared.auth``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from shared.auth.principal import EVERY_JOB_CENTRE, Citizen, Principal, Role


class Action(StrEnum):
    READ_ADMIN_DATA = "read admin data"  # job centres, teams, rooms, advisors, reference lists
    WRITE_ADMIN_DATA = "write admin data"
    READ_OFFERS = "read offers"
    WRITE_OFFERS = "write offers"
    READ_PARTICIPANTS = "read participants"  # bookings with the citizens' CPR numbers
    WRITE_PARTICIPANTS = "write participants"
    READ_CALENDARS = "read calendars"  # calendar health, conflicts, group-meeting times
    WRITE_CALENDARS = "write calendars"  # start a sync
    READ_CPR_ACCESS_LOG = "read CPR access log"
    CITIZEN_SELF_SERVICE = "citizen self-service"  # own eligible offers, bookings, cancel, rebook
    READ_METRICS = "read metrics"  # GET /metrics (shared.metrics): figures of the service, no one's data


_READS = frozenset({Action.READ_ADMIN_DATA, Action.READ_OFFERS, Action.READ_PARTICIPANTS, Action.READ_CALENDARS})

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = {
    Role.ADMINISTRATOR: _READS | {Action.WRITE_ADMIN_DATA, Action.READ_CPR_ACCESS_LOG},
    Role.PLANNER: _READS | {Action.WRITE_OFFERS, Action.WRITE_PARTICIPANTS, Action.WRITE_CALENDARS},
    Role.READER: _READS,
    Role.MONITOR: frozenset({Action.READ_METRICS}),
}

CITIZEN_ACTIONS = frozenset({Action.CITIZEN_SELF_SERVICE})


def may(principal: Principal | None, action: Action, job_centre_code: str | None = None) -> bool:
    """Whether ``principal`` may do ``action`` at ``job_centre_code`` (``None``: no identity, no)."""
    if principal is None:
        return False
    if isinstance(principal, Citizen):
        return action in CITIZEN_ACTIONS
    if job_centre_code is None or job_centre_code == EVERY_JOB_CENTRE:
        return False
    return any(action in ROLE_ACTIONS[role] for role in principal.roles_at(job_centre_code))


def job_centres_where(principal: Principal | None, action: Action) -> frozenset[str]:
    """The job-centre codes where ``principal`` may do ``action`` (``"*"`` among them: every one)."""
    if principal is None or isinstance(principal, Citizen):
        return frozenset()
    return frozenset(grant.job_centre_code for grant in principal.grants if action in ROLE_ACTIONS[grant.role])
