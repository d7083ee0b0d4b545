"""Reference lists behind the rule criteria (A-5), seeded from the guide. Pure.

The lists are data: Danish reforms in 2025-2027 change them, so an administrator edits them
and the services build a ``ReferenceData`` from their stored rows. ``DEFAULT_REFERENCE`` holds
the seed: the guide's contact groups, assessment groups and sick-pay categories 1-3, the
unemployment funds (a-kasser) as commonly listed, no other actors (each job centre registers
its own) and a few state-level person-group markers as examples until DFDG's list is loaded.

Values are matched case-insensitively and with runs of white space collapsed; a list may
carry aliases (an old or misspelt name -> the current one) so renamed values keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from shared.eligibility.markers import JobCentreScope, MarkerLevel, PersonGroupMarker, is_visible
from shared.eligibility.model import RuleType

CONTACT_GROUPS = (
    "Dagpengemodtager",
    "Fleksjobansat",
    "Fleksjobvisiteret",
    "For-revalidering",
    "Integrationsydelsesmodtager",
    "Integrationsydelsesmodtager med uddannelsespålæg",
    "Integrationsydelsesmodtager omfattet af integrationsprogrammet",
    "Jobafklaring",
    "Kontanthjælpsmodtager",
    "Kontanthjælpsmodtager omfattet af integrationsprogrammet",
    "Modtager af uddannelseshjælp",
    "Rehabilitand",
    "Revalidering",
    "Sygedagpengemodtager",
    "Sygedagpengemodtager fra beskæftigelse",
    "Sygedagpengemodtager fra ledighed",
    "Uden ydelse",
)
# The guide's table spells it "Rehabilient"; DOMAIN.md and Danish usage say "Rehabilitand".
CONTACT_GROUP_ALIASES = {"Rehabilient": "Rehabilitand"}

ASSESSMENT_GROUPS = ("Aktivitetsparat", "Ikke visiteret", "Jobparat", "Uddannelsesparat", "Åbenlyst uddannelsesparat")

SICK_PAY_CATEGORIES = ("1", "2", "3")

UNEMPLOYMENT_FUNDS = (
    "3F A-kasse",
    "Akademikernes A-kasse",
    "ASE",
    "BUPL A-kasse",
    "CA A-kasse",
    "Dana A-kasse",
    "Det Faglige Hus A-kasse",
    "DSA - Din Sundhedsfaglige A-kasse",
    "El-fagets A-kasse",
    "FOA A-kasse",
    "Frie A-kasse",
    "FTF A-kasse",
    "Fødevareforbundet NNF's A-kasse",
    "HK Danmarks A-kasse",
    "Journalistik, Kommunikation og Sprog A-kasse",
    "Krifa A-kasse",
    "Ledernes A-kasse",
    "Lærernes A-kasse",
    "Magistrenes A-kasse",
    "Metal A-kasse",
    "Min A-kasse",
    "Socialpædagogernes A-kasse",
    "Teknikernes A-kasse",
)

# The three regional labour-market offices (arbejdsmarkedskontorer) that region-level markers belong to.
REGIONS = ("AMK Øst", "AMK Syd", "AMK Midt-Nord")

STATE_MARKERS = (
    PersonGroupMarker("STAT-FLERE-SKAL-MED", "Flere skal med", MarkerLevel.STATE),
    PersonGroupMarker("STAT-SENIOR", "Særlig indsats for ledige seniorer", MarkerLevel.STATE),
    PersonGroupMarker("STAT-UNGE", "Særlig indsats for unge under 30 år", MarkerLevel.STATE),
)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class ReferenceList:
    """An ordered list of allowed values (their canonical spelling) with optional aliases."""

    __slots__ = ("_index", "aliases", "values")

    def __init__(self, values: Iterable[str], aliases: Mapping[str, str] | None = None):
        self.values: tuple[str, ...] = tuple(values)
        self.aliases: dict[str, str] = dict(aliases or {})
        self._index = {_key(value): value for value in self.values}
        for alias, target in self.aliases.items():
            if _key(target) not in self._index:
                raise ValueError(f"alias {alias!r} points at {target!r}, which is not in the list")
            self._index.setdefault(_key(alias), self._index[_key(target)])

    def canonical(self, value: str) -> str | None:
        """The list's own spelling of ``value``, or None when it is not in the list."""
        return self._index.get(_key(value))

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.canonical(value) is not None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReferenceList) and (self.values, self.aliases) == (other.values, other.aliases)

    def __hash__(self) -> int:
        return hash((self.values, tuple(sorted(self.aliases.items()))))

    def __repr__(self) -> str:
        return f"ReferenceList({list(self.values)!r})"

    def to_json(self) -> list[str] | dict[str, Any]:
        if not self.aliases:
            return list(self.values)
        return {"values": list(self.values), "aliases": dict(self.aliases)}

    @classmethod
    def from_json(cls, data: object) -> ReferenceList:
        """From a list of values, or ``{"values": [...], "aliases": {...}}``."""
        if isinstance(data, Mapping):
            return cls(
                (str(v) for v in data.get("values", [])), {str(k): str(v) for k, v in data.get("aliases", {}).items()}
            )
        if isinstance(data, list | tuple):
            return cls(str(value) for value in data)
        raise ValueError("a reference list is a list of values")


@dataclass(frozen=True)
class ReferenceData:
    """Every list a rule's criterion is checked against.

    ``job_centres`` lists the codes the offer's job centre may target (itself and its
    sub-job-centres); None accepts any 5-digit code. ``other_actors`` are the job centre's
    registered other actors (empty in the seed).
    """

    contact_groups: ReferenceList = field(default_factory=lambda: ReferenceList(CONTACT_GROUPS, CONTACT_GROUP_ALIASES))
    assessment_groups: ReferenceList = field(default_factory=lambda: ReferenceList(ASSESSMENT_GROUPS))
    sick_pay_categories: ReferenceList = field(default_factory=lambda: ReferenceList(SICK_PAY_CATEGORIES))
    unemployment_funds: ReferenceList = field(default_factory=lambda: ReferenceList(UNEMPLOYMENT_FUNDS))
    other_actors: ReferenceList = field(default_factory=lambda: ReferenceList(()))
    person_group_markers: tuple[PersonGroupMarker, ...] = STATE_MARKERS
    job_centres: ReferenceList | None = None

    def list_for(self, rule_type: RuleType) -> ReferenceList | None:
        """The list a rule type's criterion comes from (None for numbers, yes/no, markers)."""
        match rule_type:
            case RuleType.CONTACT_GROUP:
                return self.contact_groups
            case RuleType.ASSESSMENT_GROUP:
                return self.assessment_groups
            case RuleType.SICK_PAY_CATEGORY:
                return self.sick_pay_categories
            case RuleType.UNEMPLOYMENT_FUND:
                return self.unemployment_funds
            case RuleType.OTHER_ACTOR_REFERRAL:
                return self.other_actors
            case RuleType.JOB_CENTRE:
                return self.job_centres
        return None

    def marker(self, code: str) -> PersonGroupMarker | None:
        """The marker with ``code`` (case-insensitive), or None."""
        wanted = _key(code)
        return next((marker for marker in self.person_group_markers if _key(marker.code) == wanted), None)

    def markers_visible_to(self, scope: JobCentreScope) -> tuple[PersonGroupMarker, ...]:
        return tuple(marker for marker in self.person_group_markers if is_visible(marker, scope))

    def with_changes(self, **changes: Any) -> ReferenceData:
        """A copy with some lists replaced.

        A plain iterable of strings becomes a ReferenceList that keeps the old list's aliases
        whose target is still in it (so a renamed value keeps answering to its old name).
        """
        converted: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "person_group_markers":
                converted[name] = tuple(value)
            elif value is None or isinstance(value, ReferenceList):
                converted[name] = value
            else:
                values = tuple(value)
                old = getattr(self, name)
                aliases = {a: t for a, t in old.aliases.items() if t in values} if old is not None else {}
                converted[name] = ReferenceList(values, aliases)
        return replace(self, **converted)

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_groups": self.contact_groups.to_json(),
            "assessment_groups": self.assessment_groups.to_json(),
            "sick_pay_categories": self.sick_pay_categories.to_json(),
            "unemployment_funds": self.unemployment_funds.to_json(),
            "other_actors": self.other_actors.to_json(),
            "person_group_markers": [marker.to_json() for marker in self.person_group_markers],
            "job_centres": None if self.job_centres is None else self.job_centres.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferenceData:
        """From ``to_json``'s form; a missing key keeps the seed."""
        changes: dict[str, Any] = {}
        for name in (
            "contact_groups",
            "assessment_groups",
            "sick_pay_categories",
            "unemployment_funds",
            "other_actors",
        ):
            if name in data:
                changes[name] = ReferenceList.from_json(data[name])
        if "person_group_markers" in data:
            changes["person_group_markers"] = tuple(
                PersonGroupMarker.from_json(m) for m in data["person_group_markers"]
            )
        if data.get("job_centres") is not None:
            changes["job_centres"] = ReferenceList.from_json(data["job_centres"])
        return replace(cls(), **changes)


DEFAULT_REFERENCE = ReferenceData()
