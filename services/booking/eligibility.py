"""Which offers a citizen may see and book (B-1), whose advisors (R-5) and until when (B-2).

The rules of every active offer are compiled once per process into a
``shared.eligibility.EligibilityIndex``. The consumer bumps ``catalogue_version`` whenever
an offer changes; each request reads that number (one primary-key lookup) and the index is
rebuilt only when it moved. An offer without rules (from before rules existed) is shown to
no citizen: its job centre must add rules first.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.booking.models import CatalogueVersion, OfferView
from services.booking.queries import bookable_offers, offer_zone
from shared.eligibility import (
    DEFAULT_REFERENCE,
    CitizenProfile,
    EligibilityIndex,
    InvalidRules,
    ReferenceData,
    RuleSet,
    RuleType,
    allowed_advisors,
    explain,
    parse_rules,
)
from shared.errors import Forbidden, UserError
from shared.i18n import N_
from shared.timeutil import local_midnight, today_in

log = logging.getLogger(__name__)

CATALOGUE = "offers"


@dataclass(frozen=True)
class _Snapshot:
    version: int
    index: EligibilityIndex[uuid.UUID]


class EligibilityCache:
    """The compiled rules of every active offer, rebuilt when the catalogue version moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self.builds = 0

    def index(self, session: Session) -> EligibilityIndex[uuid.UUID]:
        version = session.scalar(select(CatalogueVersion.version).where(CatalogueVersion.name == CATALOGUE)) or 0
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot.index
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.version != version:
                snapshot = _Snapshot(version, _build(session))
                self._snapshot = snapshot
                self.builds += 1
        return snapshot.index


def _build(session: Session) -> EligibilityIndex[uuid.UUID]:
    entries: list[tuple[uuid.UUID, RuleSet]] = []
    rows = session.execute(
        select(OfferView.id, OfferView.rules).where(OfferView.active.is_(True), OfferView.rules.is_not(None))
    )
    for offer_id, rules in rows:
        try:
            entries.append((offer_id, parse_rules(rules, None)))
        except InvalidRules:  # the consumer checks every event, so only a hand-edited row gets here
            log.error("offer %s has broken rules; it is shown to no citizen", offer_id)
    return EligibilityIndex(entries)


def eligible_offers(
    session: Session,
    cache: EligibilityCache,
    citizen: CitizenProfile,
    now: datetime,
    day: date,
    *,
    job_centres: Collection[str] | None = None,
) -> list[OfferView]:
    """The active, opened offers whose rules the citizen satisfies on ``day``, by name; only
    those of ``job_centres`` when given (what a staff member may read)."""
    visible = set(cache.index(session).eligible(citizen.facts_on(day)))
    return [
        offer
        for offer in bookable_offers(session, now)
        if offer.id in visible and (job_centres is None or offer.job_centre_code in job_centres)
    ]


def require_eligible(offer: OfferView, citizen: CitizenProfile, day: date) -> None:
    """Forbidden (403) with the Danish reason and the failed groups and rules, unless the
    citizen satisfies the offer's rules on ``day``."""
    if offer.rules is None:
        raise Forbidden(N_("Tilbuddet har endnu ingen regler for deltagere og kan ikke bookes."), code="not_eligible")
    decision = explain(parse_rules(offer.rules, None), citizen.facts_on(day), DEFAULT_REFERENCE)
    if not decision.eligible:
        raise Forbidden(decision.message, code="not_eligible", extra=decision.to_json())


def allowed_advisor_ids(offer: OfferView, citizen: CitizenProfile) -> list[uuid.UUID]:
    """R-5: the offer's advisors the citizen may book, in the offer's order."""
    allowed = allowed_advisors(offer.advisor_ids, offer.marker_routes or {}, citizen.person_group_markers)
    return [advisor for advisor in offer.advisor_uuids() if str(advisor) in allowed]


def personal_deadline(citizen: CitizenProfile) -> date | None:
    """The last day the citizen's meeting may take place: the earlier of the personal booking
    deadline and the last allowed meeting date (None: no personal limit)."""
    days = [d for d in (citizen.booking_deadline, citizen.last_meeting_date) if d is not None]
    return min(days) if days else None


def personal_end(offer: OfferView, citizen: CitizenProfile) -> datetime | None:
    """Starts must lie before this instant (midnight after the personal deadline, offer's zone)."""
    deadline = personal_deadline(citizen)
    return None if deadline is None else local_midnight(deadline + timedelta(days=1), offer_zone(offer))


@dataclass(frozen=True, slots=True)
class CitizenBounds:
    """What narrows an offer's free times to one citizen's (B-2, R-5)."""

    until: datetime | None
    """Starts lie before this instant: the earlier of the asked end and the personal deadline."""
    advisors: list[uuid.UUID]
    """The offer's advisors the citizen may book."""


def citizen_bounds(offer: OfferView, citizen: CitizenProfile, now: datetime, until: datetime | None) -> CitizenBounds:
    """What narrows the offer's times to the ones ``citizen`` may book (B-2): eligible on today's
    date (Forbidden otherwise), before ``until`` and the personal deadline, and only with the
    advisors R-5 allows."""
    require_eligible(offer, citizen, today_in(offer_zone(offer), now))
    ends = [t for t in (until, personal_end(offer, citizen)) if t is not None]
    return CitizenBounds(min(ends) if ends else None, allowed_advisor_ids(offer, citizen))


def require_before_deadline(offer: OfferView, citizen: CitizenProfile, start: datetime) -> None:
    end = personal_end(offer, citizen)
    if end is not None and start >= end:
        deadline = personal_deadline(citizen)
        raise UserError(
            N_("Tiden ligger efter din frist. Vælg en tid senest den %(deadline)s.", deadline=deadline),
            code="after_deadline",
        )


_LISTED = {
    RuleType.CONTACT_GROUP: "contact_groups",
    RuleType.ASSESSMENT_GROUP: "assessment_groups",
    RuleType.SICK_PAY_CATEGORY: "sick_pay_categories",
}


def booking_reference(session: Session) -> ReferenceData:
    """The lists a citizen import is checked against: the guide's, plus every value an offer's
    rules name (the offers service checked those against its administrator's lists, so a value
    added there in a reform is importable here as soon as an offer uses it)."""
    extra: dict[str, list[str]] = {name: [] for name in _LISTED.values()}
    for rules in session.scalars(select(OfferView.rules).where(OfferView.rules.is_not(None))):
        for group in rules.get("groups", []) if isinstance(rules, dict) else []:
            for rule in group.get("rules", []):
                name = _LISTED.get(rule.get("type"))
                if name is not None and isinstance(rule.get("value"), str):
                    extra[name].append(rule["value"])
    changes = {}
    for name, values in extra.items():
        current = getattr(DEFAULT_REFERENCE, name)
        new = [v for v in dict.fromkeys(values) if v not in current]
        if new:
            changes[name] = [*current.values, *new]
    return DEFAULT_REFERENCE.with_changes(**changes) if changes else DEFAULT_REFERENCE
