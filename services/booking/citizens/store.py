"""The booking database's own citizen profiles: imported from CSV or JSON, read by CPR.

Imports use ``shared.eligibility.citizen`` (the field names of the profile import; CSV lists
separated by ';'). Every profile of an import must carry a CPR number, each only once; the
whole import is refused when any row is wrong, listing every problem. A profile that exists
is replaced (the registry's newest word wins).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from services.booking.eligibility import booking_reference
from services.booking.models import CitizenProfileRow
from shared.cpr import Cpr, parse_cpr
from shared.db import Database
from shared.eligibility import (
    CitizenProfile,
    InvalidCitizen,
    Problem,
    ReferenceData,
    citizens_from_csv,
    citizens_from_json,
)
from shared.eligibility.problems import pointer
from shared.errors import ValidationFailed
from shared.timeutil import utcnow


class StoreProvider:
    """Profiles from the ``citizen_profile`` table, each lookup in a short transaction of its own."""

    def __init__(self, db: Database):
        self.db = db

    def find(self, cpr: Cpr) -> CitizenProfile | None:
        with self.db.transaction() as session:
            row = session.get(CitizenProfileRow, cpr.digits)
            return to_profile(row) if row is not None else None


def to_profile(row: CitizenProfileRow) -> CitizenProfile:
    return CitizenProfile(
        cpr=parse_cpr(row.cpr),
        name=row.name,
        contact_group=row.contact_group,
        assessment_group=row.assessment_group,
        sick_pay_category=row.sick_pay_category,
        person_group_markers=frozenset(row.person_group_markers),
        job_centre=row.job_centre,
        other_actor=row.other_actor,
        other_actor_referrals=frozenset(row.other_actor_referrals),
        registration_date=row.registration_date,
        in_activation=row.in_activation,
        unemployment_fund=row.unemployment_fund,
        booking_deadline=row.booking_deadline,
        last_meeting_date=row.last_meeting_date,
    )


def _columns(profile: CitizenProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "contact_group": profile.contact_group,
        "assessment_group": profile.assessment_group,
        "sick_pay_category": profile.sick_pay_category,
        "person_group_markers": sorted(profile.person_group_markers),
        "job_centre": profile.job_centre,
        "other_actor": profile.other_actor,
        "other_actor_referrals": sorted(profile.other_actor_referrals),
        "registration_date": profile.registration_date,
        "in_activation": profile.in_activation,
        "unemployment_fund": profile.unemployment_fund,
        "booking_deadline": profile.booking_deadline,
        "last_meeting_date": profile.last_meeting_date,
    }


def save_profiles(session: Session, profiles: Iterable[CitizenProfile]) -> tuple[int, int]:
    """Insert or replace each profile by its CPR number; returns (created, replaced)."""
    created = replaced = 0
    now = utcnow()
    for profile in profiles:
        assert profile.cpr is not None, "parse_import guarantees a CPR number"
        row = session.get(CitizenProfileRow, profile.cpr.digits)
        if row is None:
            row = CitizenProfileRow(cpr=profile.cpr.digits)
            session.add(row)
            created += 1
        else:
            replaced += 1
        for name, value in _columns(profile).items():
            setattr(row, name, value)
        row.updated_at = now
    session.flush()
    return created, replaced


def parse_import(data: str | Any, reference: ReferenceData, *, csv: bool = False) -> list[CitizenProfile]:
    """The profiles in ``data``: CSV or JSON text, or already parsed JSON (a list of objects or
    one object). ``InvalidCitizen`` lists every problem of every row."""
    if csv:
        profiles = citizens_from_csv(data, reference)
    else:
        text = data if isinstance(data, str) else json.dumps(data)
        profiles = citizens_from_json(text, reference)
    indexed = csv or isinstance(data, list) or (isinstance(data, str) and data.lstrip().startswith("["))
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, profile in enumerate(profiles):
        row = pointer(index) if indexed else ""
        if profile.cpr is None:
            problems.append(Problem(row + "/cpr", "missing_field", f"Borger nr. {index + 1} mangler et CPR-nummer."))
        elif profile.cpr.digits in seen:
            message = f"Borger nr. {index + 1} har samme CPR-nummer som en borger før i filen."
            problems.append(Problem(row + "/cpr", "duplicate", message))
        else:
            seen.add(profile.cpr.digits)
    if problems:
        raise InvalidCitizen(problems)
    return profiles


def import_profiles(db: Database, data: str | Any, *, csv: bool = False) -> dict[str, int]:
    """Check every profile in ``data`` and store them all, or none: ValidationFailed (422)
    with ``errors["citizens"]`` listing every problem."""
    with db.transaction() as session:
        try:
            profiles = parse_import(data, booking_reference(session), csv=csv)
        except InvalidCitizen as exc:
            errors = {"citizens": exc.problems_json()}
            raise ValidationFailed(str(exc), code=exc.code, extra={"errors": errors}) from None
        created, replaced = save_profiles(session, profiles)
    return {"created": created, "replaced": replaced}
