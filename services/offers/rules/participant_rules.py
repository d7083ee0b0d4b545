"""Wizard step 3 of an offer: who may see and book it (R-1 to R-5), and why a citizen may not.

The rules are checked by ``shared.eligibility`` against the reference lists the offer's job
centre may use; each problem keeps its JSON pointer, English code and Danish message, and
they are reported together under ``errors["rules"]``. Marker routes (R-5) map a marker the
centre can see to advisors of the offer; their problems go under ``errors["marker_routes"]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.lookup import get_or_404
from services.offers.models import CprAccessLog, JobCentre, Offer
from services.offers.rules.reference import reference_for, scope_of
from shared.audit import record_cpr_access
from shared.eligibility import (
    InvalidCitizen,
    JobCentreScope,
    Problem,
    ReferenceData,
    check_rules,
    explain,
    parse_citizen,
    parse_rules,
    route_problems,
)
from shared.eligibility.problems import pointer
from shared.errors import ValidationFailed
from shared.timeutil import today_in, zone

NO_RULES = "Der skal altid være mindst 1 regel knyttet til et online tilbud."
LEGACY = "Tilbuddet har endnu ingen regler for deltagere, så ingen borger kan se eller booke det."


def check_participants(
    problems: check.Problems,
    session: Session,
    centre: JobCentre,
    values: Mapping[str, Any],
    advisor_ids: Sequence[uuid.UUID],
    *,
    keep_missing_rules: bool = False,
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The canonical rules and marker routes in ``values`` for an offer of ``centre``.

    ``keep_missing_rules`` lets an edit leave an offer from before rules existed without
    rules (it stays hidden from citizens); everywhere else the rules are required.
    """
    reference = reference_for(session, centre)
    scope = scope_of(session, centre)
    raw = values.get("rules")
    rules: dict[str, Any] | None = None
    if raw is None:
        if not keep_missing_rules:
            problems.add_problems("rules", [Problem("", "missing_field", NO_RULES)])
    else:
        parsed, found = check_rules(raw, reference, scope=scope)
        if parsed is None:
            problems.add_problems("rules", found)
        else:
            rules = parsed.to_json()
    routes = marker_routes(problems, values.get("marker_routes"), advisor_ids, reference, scope)
    return rules, routes


def marker_routes(
    problems: check.Problems,
    raw: Any,
    advisor_ids: Sequence[uuid.UUID],
    reference: ReferenceData,
    scope: JobCentreScope,
) -> dict[str, list[str]]:
    """R-5 routes as ``{marker code: [advisor id, ...]}``, codes and ids in canonical form."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        message = 'Skal være et objekt som {"MARKERING": ["vejleder-id", ...]}.'
        problems.add_problems("marker_routes", [Problem("", "not_an_object", message)])
        return {}
    found: list[Problem] = []
    routes: dict[str, list[str]] = {}
    for code, advisors in raw.items():
        marker = reference.marker(str(code))
        canonical = marker.code if marker else str(code)
        if not isinstance(advisors, list):
            found.append(Problem(pointer(code), "not_a_list", "Angiv vejlederne som en liste af id'er."))
            continue
        ids: list[str] = routes.setdefault(canonical, [])
        for position, advisor in enumerate(advisors):
            try:
                ident = str(uuid.UUID(str(advisor)))
            except ValueError:
                found.append(Problem(pointer(code, position), "invalid_id", "Skal være et gyldigt id (UUID)."))
                continue
            if ident not in ids:
                ids.append(ident)
    offer_advisors = [str(a) for a in advisor_ids]
    for problem in route_problems(offer_advisors, routes, reference.person_group_markers, scope):
        found.append(Problem(problem.path.removeprefix("/routes"), problem.code, problem.message))
    if found:
        problems.add_problems("marker_routes", found)
    order = {advisor: i for i, advisor in enumerate(offer_advisors)}
    return {code: sorted(ids, key=lambda a: order.get(a, len(order))) for code, ids in routes.items()}


def explain_for_citizen(
    session: Session, offer_id: uuid.UUID, body: Any, *, actor: str, route: str, today: date | None = None
) -> dict[str, Any]:
    """Why the citizen in ``body["citizen"]`` (the profile import's fields) may or may not see
    and book the offer on ``body["day"]`` (default today in the centre's zone).

    The CPR number, when given, is written to the CPR access log with ``actor`` (the
    authenticated caller, ``shared.auth.web.actor_id``) and ``route``. The route has checked
    that the caller may read the participants of the offer's job centre.
    """
    offer = get_or_404(session, Offer, offer_id, "Tilbuddet findes ikke.")
    centre = offer.job_centre
    if not isinstance(body, Mapping):
        raise ValidationFailed("Send et objekt med 'citizen'.", extra={"errors": {"citizen": [check.REQUIRED]}})
    problems = check.Problems()
    for key in sorted(set(body) - {"citizen", "day"}):
        problems.add(key, "Ukendt felt.")
    day = check.date_value(problems, body, "day", required=False)
    problems.raise_if_any()
    reference = reference_for(session, centre)
    try:
        citizen = parse_citizen(body.get("citizen"), reference, path="")
    except InvalidCitizen as exc:
        raise ValidationFailed(str(exc), code=exc.code, extra={"errors": {"citizen": exc.problems_json()}}) from None
    if citizen.cpr is not None:
        record_cpr_access(session, CprAccessLog, actor=actor, purpose="explain", cpr=citizen.cpr, route=route)
    day = day or today or today_in(zone(centre.timezone))
    result: dict[str, Any] = {"offer_id": offer.id, "day": day}
    if offer.rules is None:
        return result | {"eligible": False, "failed": [], "message": LEGACY}
    decision = explain(parse_rules(offer.rules, None), citizen.facts_on(day), reference)
    return result | decision.to_json() | {"message": decision.message}
