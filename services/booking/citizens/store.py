"""The booking database's own citizen profiles: imported from CSV or JSON, read by CPR.

Imports use ``shared.eligibility.citizen`` (the field names of the profile import; CSV lists
separated by ';'). Every profile of an import must carry a CPR number, each only once; the
whole import is refused when any row is wrong, listing every problem. A profile that exists
is replaced (the registry's newest word wins).

A profile is found by the CPR number's keyed index under any configured key and stores the
number sealed (``shared.cpr_vault``); a replaced profile is re-indexed under the current key.
Without a ``vault`` the running service's is used (``shared.audit.current_cpr_vault``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.booking.eligibility import booking_reference
from services.booking.models import CitizenProfileRow
from shared.audit import current_cpr_vault
from shared.cpr import Cpr
from shared.cpr_vault import CprVault
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

    def __init__(self, db: Database, vault: CprVault | None = None):
        self.db = db
        self.vault = vault

    def find(self, cpr: Cpr) -> CitizenProfile | None:
        with self.db.transaction() as session:
            return self.find_in(session, cpr)

    def find_in(self, session: Session, cpr: Cpr) -> CitizenProfile | None:
        """The profile, read in the caller's transaction (``access.look_up_citizen``)."""
        row = find_profile_row(session, self.vault or current_cpr_vault(), cpr)
        return to_profile(row, cpr) if row is not None else None


def find_profile_row(session: Session, vault: CprVault, cpr: Cpr) -> CitizenProfileRow | None:
    """The profile row of ``cpr``, indexed under any of ``vault``'s keys (the current one first)."""
    indexes = vault.indexes(cpr)
    rows = {
        row.cpr_index: row
        for row in session.scalars(select(CitizenProfileRow).where(CitizenProfileRow.cpr_index.in_(indexes)))
    }
    return next((rows[index] for index in indexes if index in rows), None)


def to_profile(row: CitizenProfileRow, cpr: Cpr) -> CitizenProfile:
    """The profile in ``row``, which was found by ``cpr``."""
    return CitizenProfile(
        cpr=cpr,
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
        email=row.email,
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
        "email": profile.email,
    }


def save_profiles(
    session: Session, profiles: Iterable[CitizenProfile], vault: CprVault | None = None
) -> tuple[int, int]:
    """Insert or replace each profile by its CPR number; returns (created, replaced)."""
    vault = vault or current_cpr_vault()
    created = replaced = 0
    now = utcnow()
    for profile in profiles:
        assert profile.cpr is not None, "parse_import guarantees a CPR number"
        index = vault.index(profile.cpr)
        row = find_profile_row(session, vault, profile.cpr)
        if row is None:
            row = CitizenProfileRow(cpr_index=index, cpr_sealed=vault.seal(profile.cpr))
            session.add(row)
            created += 1
        else:
            if row.cpr_index != index:  # written under an older key: under the current one now
                row.cpr_index, row.cpr_sealed = index, vault.seal(profile.cpr)
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


def import_profiles(
    db: Database, data: str | Any, *, csv: bool = False, vault: CprVault | None = None
) -> dict[str, int]:
    """Check every profile in ``data`` and store them all, or none: ValidationFailed (422)
    with ``errors["citizens"]`` listing every problem. ``vault`` indexes and seals the CPR
    numbers (default: the running service's, ``current_cpr_vault``)."""
    vault = vault or current_cpr_vault()
    with db.transaction() as session:
        try:
            profiles = parse_import(data, booking_reference(session), csv=csv)
        except InvalidCitizen as exc:
            errors = {"citizens": exc.problems_json()}
            raise ValidationFailed(str(exc), code=exc.code, extra={"errors": errors}) from None
        created, replaced = save_profiles(session, profiles, vault)
    return {"created": created, "replaced": replaced}
