"""Person-group markers (persongruppemarkeringer): visibility (R-4) and routing (R-5). Pure.

Markers come from DFDG at 3 levels: state, region, job centre. Every job centre sees the
state's markers; region markers only in that region; job-centre markers only at that job
centre (and its sub-job-centres). The guide's example: Jobcenter Glostrup sees markers of
the state, of Region AMK Øst and of Jobcenter Glostrup.

A marker can also route (R-5): on an offer, a marker may be linked to some of the offer's
advisors; a citizen with such a marker may book only those advisors. Citizens without a
routed marker book any advisor of the offer (the guide restricts the marked citizens only).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from shared.eligibility.problems import Problem, pointer

A = TypeVar("A")
JOB_CENTRE_CODE = re.compile(r"[0-9]{5}")


class MarkerLevel(StrEnum):
    STATE = "state"
    REGION = "region"
    JOB_CENTRE = "job_centre"


LEVEL_LABELS: dict[MarkerLevel, str] = {
    MarkerLevel.STATE: "Stat",
    MarkerLevel.REGION: "Region",
    MarkerLevel.JOB_CENTRE: "Jobcenter",
}


@dataclass(frozen=True, slots=True)
class PersonGroupMarker:
    """A marker: ``owner`` is the region's name (region level) or the job-centre code (job-centre level)."""

    code: str
    name: str
    level: MarkerLevel
    owner: str | None = None

    def __post_init__(self) -> None:
        if not self.code.strip() or not self.name.strip():
            raise ValueError("a person-group marker needs a code and a name")
        if self.level is MarkerLevel.STATE and self.owner is not None:
            raise ValueError("a state marker has no owner")
        if self.level is MarkerLevel.REGION and not (self.owner or "").strip():
            raise ValueError("a region marker names its region")
        if self.level is MarkerLevel.JOB_CENTRE and not JOB_CENTRE_CODE.fullmatch(self.owner or ""):
            raise ValueError("a job-centre marker names its job centre's 5-digit code")

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "name": self.name, "level": self.level.value, "owner": self.owner}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PersonGroupMarker:
        owner = data.get("owner")
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            level=MarkerLevel(str(data["level"])),
            owner=None if owner is None else str(owner),
        )


@dataclass(frozen=True, slots=True)
class JobCentreScope:
    """Where an offer belongs: its job centre, that centre's region and, for a sub-job-centre, its parent."""

    job_centre: str
    region: str
    parent_job_centre: str | None = None


def is_visible(marker: PersonGroupMarker, scope: JobCentreScope) -> bool:
    """R-4: may a member of staff at ``scope`` see (and use) ``marker``?"""
    if marker.level is MarkerLevel.STATE:
        return True
    if marker.level is MarkerLevel.REGION:
        return marker.owner == scope.region
    return marker.owner in (scope.job_centre, scope.parent_job_centre)


def visible_markers(markers: Iterable[PersonGroupMarker], scope: JobCentreScope) -> tuple[PersonGroupMarker, ...]:
    """The markers ``scope`` sees, in their given order."""
    return tuple(marker for marker in markers if is_visible(marker, scope))


def allowed_advisors(
    offer_advisors: Collection[A],
    routes: Mapping[str, Collection[A]],
    citizen_markers: Collection[str],
) -> frozenset[A]:
    """R-5: the advisors of an offer a citizen may book.

    ``routes`` maps a marker code to the advisors linked to it on this offer. A citizen who has
    one or more routed markers may book the advisors linked to any of them (only those that are
    advisors of the offer; possibly none); any other citizen may book every advisor of the offer.
    """
    routed = [routes[code] for code in citizen_markers if code in routes]
    if not routed:
        return frozenset(offer_advisors)
    linked = frozenset(advisor for advisors in routed for advisor in advisors)
    return linked & frozenset(offer_advisors)


def route_problems(
    offer_advisors: Collection[A],
    routes: Mapping[str, Collection[A]],
    markers: Iterable[PersonGroupMarker],
    scope: JobCentreScope | None = None,
) -> list[Problem]:
    """Check an offer's routes (marker code -> advisors); paths point into ``{"routes": {...}}``."""
    known = {marker.code: marker for marker in markers}
    problems: list[Problem] = []
    for code, advisors in routes.items():
        path = pointer("routes", code)
        marker = known.get(code)
        if marker is None:
            problems.append(Problem(path, "unknown_value", f"Persongruppemarkeringen '{code}' findes ikke."))
        elif scope is not None and not is_visible(marker, scope):
            problems.append(
                Problem(
                    path, "marker_not_visible", f"Jobcentret kan ikke bruge persongruppemarkeringen '{marker.name}'."
                )
            )
        if not advisors:
            problems.append(Problem(path, "empty_route", "Vælg mindst én vejleder til persongruppemarkeringen."))
        elif any(advisor not in offer_advisors for advisor in advisors):
            problems.append(
                Problem(
                    path, "advisor_not_on_offer", "Markeringen kan kun føre til vejledere, der er tilknyttet tilbuddet."
                )
            )
    return problems
