"""Person-group markers at 3 levels (R-4), routing to advisors (R-5) and the seeded reference lists (A-5, R-6)."""

from __future__ import annotations

import pytest

from shared.eligibility import (
    DEFAULT_REFERENCE,
    JobCentreScope,
    MarkerLevel,
    PersonGroupMarker,
    ReferenceData,
    ReferenceList,
    allowed_advisors,
    is_visible,
    route_problems,
    visible_markers,
)
from shared.eligibility.model import RuleType

GLOSTRUP = JobCentreScope("16101", "AMK Øst")
GLOSTRUP_SUB = JobCentreScope("16102", "AMK Øst", parent_job_centre="16101")
ODENSE = JobCentreScope("46101", "AMK Syd")

STATE = PersonGroupMarker("STAT-1", "Statsprojekt", MarkerLevel.STATE)
EAST = PersonGroupMarker("OEST-1", "Projekt i AMK Øst", MarkerLevel.REGION, "AMK Øst")
SOUTH = PersonGroupMarker("SYD-1", "Projekt i AMK Syd", MarkerLevel.REGION, "AMK Syd")
OWN = PersonGroupMarker("JC-16101", "Glostrups eget projekt", MarkerLevel.JOB_CENTRE, "16101")
OTHER = PersonGroupMarker("JC-46101", "Odenses projekt", MarkerLevel.JOB_CENTRE, "46101")
ALL = (STATE, EAST, SOUTH, OWN, OTHER)


def test_the_guides_glostrup_example() -> None:
    assert visible_markers(ALL, GLOSTRUP) == (STATE, EAST, OWN)
    assert visible_markers(ALL, ODENSE) == (STATE, SOUTH, OTHER)


def test_a_sub_job_centre_sees_its_parents_markers() -> None:
    assert visible_markers(ALL, GLOSTRUP_SUB) == (STATE, EAST, OWN)
    assert not is_visible(PersonGroupMarker("JC-16102", "x", MarkerLevel.JOB_CENTRE, "16102"), GLOSTRUP)
    assert is_visible(PersonGroupMarker("JC-16102", "x", MarkerLevel.JOB_CENTRE, "16102"), GLOSTRUP_SUB)


@pytest.mark.parametrize(
    ("level", "owner"),
    [
        (MarkerLevel.STATE, "AMK Øst"),
        (MarkerLevel.REGION, None),
        (MarkerLevel.REGION, " "),
        (MarkerLevel.JOB_CENTRE, "AMK Øst"),
    ],
)
def test_a_marker_names_the_owner_its_level_needs(level: MarkerLevel, owner: str | None) -> None:
    with pytest.raises(ValueError, match="marker"):
        PersonGroupMarker("X", "X", level, owner)


ANNE, BENT, CARL = "anne", "bent", "carl"


@pytest.mark.parametrize(
    ("citizen_markers", "expected"),
    [
        ((), {ANNE, BENT, CARL}),  # no marker: every advisor of the offer
        (("STAT-9",), {ANNE, BENT, CARL}),  # a marker that does not route on this offer
        (("STAT-1",), {ANNE}),
        (("STAT-1", "OEST-1"), {ANNE, BENT}),  # two routed markers: either advisor
        (("JC-16101",), set()),  # routed only to someone who is not on the offer
    ],
)
def test_routing_by_marker(citizen_markers: tuple[str, ...], expected: set[str]) -> None:
    routes = {"STAT-1": [ANNE], "OEST-1": [BENT], "JC-16101": ["dora"]}
    assert allowed_advisors([ANNE, BENT, CARL], routes, citizen_markers) == expected


def test_route_problems() -> None:
    routes = {"STAT-1": [ANNE], "SYD-1": [BENT], "UKENDT": [ANNE], "OEST-1": [], "JC-16101": ["dora"]}
    problems = route_problems([ANNE, BENT], routes, ALL, GLOSTRUP)
    assert [(p.path, p.code) for p in problems] == [
        ("/routes/SYD-1", "marker_not_visible"),
        ("/routes/UKENDT", "unknown_value"),
        ("/routes/OEST-1", "empty_route"),
        ("/routes/JC-16101", "advisor_not_on_offer"),
    ]
    assert all(p.message[0].isupper() for p in problems)


def test_the_seed_holds_the_guides_lists() -> None:
    ref = DEFAULT_REFERENCE
    assert len(ref.contact_groups) == 17
    assert {"Dagpengemodtager", "Rehabilitand", "Uden ydelse", "Sygedagpengemodtager fra ledighed"} <= set(
        ref.contact_groups
    )
    assert list(ref.assessment_groups) == [
        "Aktivitetsparat",
        "Ikke visiteret",
        "Jobparat",
        "Uddannelsesparat",
        "Åbenlyst uddannelsesparat",
    ]
    assert list(ref.sick_pay_categories) == ["1", "2", "3"]
    assert len(ref.other_actors) == 0
    assert len(ref.unemployment_funds) >= 20 and "3F A-kasse" in ref.unemployment_funds
    assert ref.person_group_markers and all(m.level is MarkerLevel.STATE for m in ref.person_group_markers)
    assert ref.job_centres is None
    assert ref.list_for(RuleType.AGE) is None and ref.list_for(RuleType.CONTACT_GROUP) is ref.contact_groups


def test_lists_match_loosely_and_keep_their_own_spelling() -> None:
    groups = ReferenceList(["Åbenlyst uddannelsesparat"], {"Åbenlyst udd.parat": "Åbenlyst uddannelsesparat"})
    assert groups.canonical("  åbenlyst   UDDANNELSESPARAT ") == "Åbenlyst uddannelsesparat"
    assert groups.canonical("åbenlyst udd.parat") == "Åbenlyst uddannelsesparat"
    assert groups.canonical("Uddannelsesparat") is None
    assert "åbenlyst uddannelsesparat" in groups and 3 not in groups
    with pytest.raises(ValueError, match="alias"):
        ReferenceList(["A"], {"B": "C"})


def test_an_administrator_edits_the_lists_as_data() -> None:
    after_reform = DEFAULT_REFERENCE.with_changes(
        contact_groups=[*DEFAULT_REFERENCE.contact_groups, "Ny kontaktgruppe"],
        other_actors=["Karriereværkstedet"],
        person_group_markers=[*DEFAULT_REFERENCE.person_group_markers, EAST],
        job_centres=["16101", "16102"],
    )
    assert "Ny kontaktgruppe" in after_reform.contact_groups
    assert "Ny kontaktgruppe" not in DEFAULT_REFERENCE.contact_groups, "the seed stays as it was"
    assert after_reform.marker("oest-1") == EAST
    assert after_reform.markers_visible_to(ODENSE) == DEFAULT_REFERENCE.person_group_markers
    stored = after_reform.to_json()
    assert ReferenceData.from_json(stored) == after_reform
    assert stored["contact_groups"]["aliases"] == {"Rehabilient": "Rehabilitand"}
    assert ReferenceData.from_json({}) == DEFAULT_REFERENCE
