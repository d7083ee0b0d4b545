"""What the wizard's fields offer to choose from, for one job centre: the centres the person
may create offers at, the centre's teams, rooms and advisors, the conversation types, the
rule types and their conditions and values (the centre's reference lists and markers, R-4),
and the phone number a phone meeting will have (O-4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.admin.conversation_types import choosable_types, type_names
from services.offers.admin.variants import variants_of
from services.offers.models import Advisor, JobCentre, OfferTemplate, Room, Team
from services.offers.offers.fields import default_phone
from services.offers.offers.offer_templates import templates_at
from services.offers.rules.reference import reference_for, scope_of
from shared.auth.access import Action
from shared.auth.web import job_centres_allowed
from shared.availability import ALLOWED_START_MINUTES
from shared.eligibility.model import (
    ALLOWED_CONDITIONS,
    CONDITION_LABELS,
    TYPE_LABELS,
    VALUE_KINDS,
    Condition,
    RuleType,
    ValueKind,
)  # fmt: skip
from shared.i18n import N_


def writable_centres(session: Session) -> list[JobCentre]:
    """The job centres where the person may create offers, by code."""
    allowed = job_centres_allowed(Action.WRITE_OFFERS)
    query = select(JobCentre).order_by(JobCentre.code)
    if allowed is not None:
        query = query.where(JobCentre.code.in_(sorted(allowed)))
    return list(session.scalars(query))


def _uuid(text: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


@dataclass
class Choices:
    centres: list[JobCentre]
    centre: JobCentre | None
    teams: list[Team]
    rooms: list[Room]
    advisors: list[Advisor]
    conversation_types: dict[int, str]
    """Every conversation type's name by code, the retired ones too (A-2)."""
    retired_types: frozenset[int]
    start_minutes: list[int]
    rule_types: list[tuple[str, str]]
    reference: Any
    markers: list[tuple[str, str]]
    variants: dict[int, list[str]]
    """The centre's conversation type variants by type code (A-2)."""
    templates: list[OfferTemplate]
    """The centre's templates of offers (A-4)."""

    def conditions(self, rule_type: str) -> list[tuple[str, str]]:
        """The conditions a rule type allows (all of them for a type not known)."""
        try:
            allowed = ALLOWED_CONDITIONS[RuleType(rule_type)]
        except ValueError:
            allowed = tuple(Condition)
        return [(c.value, CONDITION_LABELS[c]) for c in allowed]

    def value_kind(self, rule_type: str) -> str:
        try:
            return VALUE_KINDS[RuleType(rule_type)].value
        except ValueError:
            return ValueKind.NUMBER.value

    def values(self, rule_type: str) -> list[tuple[str, str]] | None:
        """The criteria to choose from (None: typed in, a number or a job-centre code)."""
        try:
            kind, typed = VALUE_KINDS[RuleType(rule_type)], RuleType(rule_type)
        except ValueError:
            return None
        if kind is ValueKind.BOOLEAN:
            return [("ja", "Ja"), ("nej", "Nej")]
        if kind is ValueKind.MARKER:
            return self.markers
        listed = self.reference.list_for(typed) if kind is ValueKind.REFERENCE else None
        return [(value, value) for value in listed.values] if listed is not None else None

    def team(self, ident: Any) -> Team | None:
        wanted = _uuid(ident)
        return next((t for t in self.teams if t.id == wanted), None)

    def room(self, ident: Any) -> Room | None:
        wanted = _uuid(ident)
        return next((r for r in self.rooms if r.id == wanted), None)

    def chosen_advisors(self, ids: list[str]) -> list[Advisor]:
        by_id = {str(a.id): a for a in self.advisors}
        return [by_id[i] for i in ids if i in by_id]

    def phone_fallback(self, data: dict[str, Any]) -> tuple[str | None, str]:
        """The number a phone meeting gets when staff leave the field empty, and whose it is."""
        advisors = self.chosen_advisors(list(data.get("advisor_ids") or []))
        team = self.team(data.get("team_id"))
        number = default_phone("phone", advisors, team)
        if number is None:
            return None, ""
        whose = N_("den første vejleders nummer") if advisors and advisors[0].phone == number else N_("teamets nummer")
        return number, whose


def choices_for(session: Session, job_centre_id: Any) -> Choices:
    """The choices of the wizard for the draft's job centre (the only one, if the person may
    create offers at one centre only)."""
    centres = writable_centres(session)
    wanted = _uuid(job_centre_id)
    centre = next((c for c in centres if c.id == wanted), centres[0] if len(centres) == 1 else None)
    teams: list[Team] = []
    rooms: list[Room] = []
    advisors: list[Advisor] = []
    markers: list[tuple[str, str]] = []
    variants: dict[int, list[str]] = {}
    templates: list[OfferTemplate] = []
    reference = None
    if centre is not None:
        teams = list(session.scalars(select(Team).where(Team.job_centre_id == centre.id).order_by(Team.name)))
        rooms = list(session.scalars(select(Room).where(Room.job_centre_id == centre.id).order_by(Room.name)))
        advisors = list(
            session.scalars(select(Advisor).where(Advisor.job_centre_id == centre.id).order_by(Advisor.name))
        )
        templates = list(templates_at(session, centre.id))
        for variant in variants_of(session, centre.id):
            variants.setdefault(variant.conversation_type, []).append(variant.name)
        reference = reference_for(session, centre)
        markers = [(m.code, m.name) for m in reference.markers_visible_to(scope_of(session, centre))]
    return Choices(
        centres=centres,
        centre=centre,
        teams=teams,
        rooms=rooms,
        advisors=advisors,
        conversation_types=type_names(session),
        retired_types=frozenset(type_names(session).keys() - choosable_types(session).keys()),
        start_minutes=sorted(ALLOWED_START_MINUTES),
        rule_types=[(t.value, TYPE_LABELS[t]) for t in RuleType],
        reference=reference,
        variants=variants,
        templates=templates,
        markers=markers,
    )
