"""Who is calling: a citizen, a staff member or a machine. Pure.

A citizen is known by their CPR number (from the login's CPR claim); it is never shown by
``repr`` or ``str``, not even the birth date it begins with. Staff members and machines hold
grants: a role at a job centre (``"*"``: at every job centre).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from shared.cpr import Cpr

EVERY_JOB_CENTRE = "*"


class PrincipalKind(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    MACHINE = "machine"


class Role(StrEnum):
    """A staff member's (or machine's) role at one job centre."""

    ADMINISTRATOR = "administrator"  # admin data and reference lists
    PLANNER = "planner"  # offers, participants and calendars
    READER = "reader"  # reads only
    MONITOR = "monitor"  # IT's monitoring: the services' metrics (at every centre, "*"), nothing of a centre


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """``role`` at the job centre ``job_centre_code`` (5 digits, or ``"*"`` for every centre)."""

    role: Role
    job_centre_code: str

    def covers(self, job_centre_code: str) -> bool:
        return self.job_centre_code in (EVERY_JOB_CENTRE, job_centre_code)

    def __str__(self) -> str:
        return f"{self.role}:{self.job_centre_code}"


def roles_at(grants: frozenset[Grant], job_centre_code: str) -> frozenset[Role]:
    """The roles ``grants`` give at ``job_centre_code``."""
    return frozenset(grant.role for grant in grants if grant.covers(job_centre_code))


@dataclass(frozen=True, slots=True, repr=False)
class Citizen:
    """A citizen logged in with MitID; ``subject`` is the provider's pseudonymous ``sub``."""

    kind: ClassVar[PrincipalKind] = PrincipalKind.CITIZEN
    cpr: Cpr = field(compare=True)
    subject: str

    def __repr__(self) -> str:
        return f"Citizen(subject={self.subject!r}, cpr=<skjult>)"

    def __str__(self) -> str:
        return "borger (CPR skjult)"


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A job-centre employee logged in at the municipality's identity provider."""

    kind: ClassVar[PrincipalKind] = PrincipalKind.STAFF
    user_id: str
    name: str
    grants: frozenset[Grant] = frozenset()

    def roles_at(self, job_centre_code: str) -> frozenset[Role]:
        return roles_at(self.grants, job_centre_code)

    def __str__(self) -> str:
        return f"medarbejder {self.name} ({self.user_id})"


@dataclass(frozen=True, slots=True)
class Machine:
    """Another system, the CLI or the demo's set-up, known by its client id or API key id."""

    kind: ClassVar[PrincipalKind] = PrincipalKind.MACHINE
    client_id: str
    name: str
    grants: frozenset[Grant] = frozenset()

    def roles_at(self, job_centre_code: str) -> frozenset[Role]:
        return roles_at(self.grants, job_centre_code)

    def __str__(self) -> str:
        return f"system {self.name} ({self.client_id})"


Principal = Citizen | StaffMember | Machine
