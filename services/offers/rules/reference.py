"""Reference lists as data (A-5) and what one job centre may use of them (R-3, R-4).

The lists (contact groups, assessment groups, sick-pay categories, other actors,
unemployment funds, regions and person-group markers) live in ``reference_value``,
``reference_alias`` and ``person_group_marker``, seeded by the migration from the guide and
edited by an administrator. ``reference_for`` turns them into the ``ReferenceData`` an
offer's rules are validated against: the national lists plus the job-centre codes the
offer's centre may target (itself and its sub-job-centres); ``scope_of`` gives the centre's
place for marker visibility (its region and its parent).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from services.offers.models import JobCentre, PersonGroupMarkerRow, ReferenceAlias, ReferenceValue
from shared.eligibility import JobCentreScope, MarkerLevel, PersonGroupMarker, ReferenceData, ReferenceList
from shared.i18n import N_

VALUE_KINDS = (
    "contact_groups",
    "assessment_groups",
    "sick_pay_categories",
    "other_actors",
    "unemployment_funds",
    "regions",
)
MARKERS = "person_group_markers"
RULE_LIST_KINDS = VALUE_KINDS[:-1]
"""The lists ``ReferenceData`` checks rule criteria against (regions only place job centres)."""

LABELS = {
    "contact_groups": N_("Kontaktgrupper"),
    "assessment_groups": N_("Visitationsgrupper"),
    "sick_pay_categories": N_("Sygedagpengekategorier"),
    "other_actors": N_("Andre aktører"),
    "unemployment_funds": N_("A-kasser"),
    "regions": N_("Regioner (arbejdsmarkedskontorer)"),
    MARKERS: N_("Persongruppemarkeringer"),
}
"""The Danish names of the lists, as an administrator knows them."""


REFERENCE_LOCK_KEY = 0x5245_4653  # "REFS"


def lock_reference_lists(session: Session, *, exclusive: bool) -> None:
    """Serialise list edits (``exclusive``) against offers starting to use a value (shared).

    Without it an offer could be saved with a value in the moment an administrator removes
    it. PostgreSQL: a transaction-scoped advisory lock, taken before any row lock. SQLite
    (the demo) runs one writing transaction at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:key)"), {"key": REFERENCE_LOCK_KEY})


@dataclass(frozen=True)
class StoredLists:
    """Every reference list as stored: ``reference`` holds the national lists and the markers."""

    reference: ReferenceData
    regions: ReferenceList

    def values_of(self, kind: str) -> ReferenceList:
        return self.regions if kind == "regions" else getattr(self.reference, kind)  # type: ignore[no-any-return]


def load_lists(session: Session) -> StoredLists:
    """Read every reference list (a few small tables)."""
    values: dict[str, list[str]] = defaultdict(list)
    for row in session.scalars(select(ReferenceValue).order_by(ReferenceValue.kind, ReferenceValue.position)):
        values[row.kind].append(row.value)
    aliases: dict[str, dict[str, str]] = defaultdict(dict)
    for alias in session.scalars(select(ReferenceAlias).order_by(ReferenceAlias.kind, ReferenceAlias.alias)):
        aliases[alias.kind][alias.alias] = alias.target
    markers = tuple(
        PersonGroupMarker(row.code, row.name, MarkerLevel(row.level), row.owner)
        for row in session.scalars(select(PersonGroupMarkerRow).order_by(PersonGroupMarkerRow.position))
    )
    lists = {kind: ReferenceList(values[kind], aliases[kind]) for kind in VALUE_KINDS}
    reference = ReferenceData(
        **{kind: lists[kind] for kind in RULE_LIST_KINDS}, person_group_markers=markers, job_centres=None
    )
    return StoredLists(reference, lists["regions"])


def store_values(session: Session, kind: str, values: ReferenceList) -> None:
    """Replace the values and aliases of the list ``kind``."""
    session.execute(delete(ReferenceAlias).where(ReferenceAlias.kind == kind))
    session.execute(delete(ReferenceValue).where(ReferenceValue.kind == kind))
    if values.values:
        rows = [{"kind": kind, "value": value, "position": i} for i, value in enumerate(values.values)]
        session.execute(insert(ReferenceValue), rows)
    if values.aliases:
        rows = [{"kind": kind, "alias": alias, "target": target} for alias, target in values.aliases.items()]
        session.execute(insert(ReferenceAlias), rows)


def store_markers(session: Session, markers: tuple[PersonGroupMarker, ...]) -> None:
    """Replace every person-group marker."""
    session.execute(delete(PersonGroupMarkerRow))
    if markers:
        rows = [
            {"code": m.code, "name": m.name, "level": m.level.value, "owner": m.owner, "position": i}
            for i, m in enumerate(markers)
        ]
        session.execute(insert(PersonGroupMarkerRow), rows)


def scope_of(session: Session, centre: JobCentre) -> JobCentreScope:
    """Where ``centre`` belongs for marker visibility (R-4); a sub-job-centre without a region
    of its own is in its parent's."""
    parent = session.get(JobCentre, centre.parent_id) if centre.parent_id else None
    region = centre.region or (parent.region if parent else None) or ""
    return JobCentreScope(centre.code, region, parent.code if parent else None)


def reference_for(session: Session, centre: JobCentre, lists: StoredLists | None = None) -> ReferenceData:
    """The lists an offer of ``centre`` is checked against; job-centre rules may name the centre
    itself and its sub-job-centres."""
    lists = lists or load_lists(session)
    subs = session.scalars(select(JobCentre.code).where(JobCentre.parent_id == centre.id).order_by(JobCentre.code))
    return lists.reference.with_changes(job_centres=ReferenceList([centre.code, *subs]))
