"""The demo's people at its identity provider: every citizen with a CPR claim, every staff
member with a group the demo maps to a role, and no CPR number in any login name."""

from __future__ import annotations

from datetime import date

from services.demo.data import DEMO_STAFF_GROUPS, demo_citizens
from services.demo.run import demo_identity_users, login_name
from shared.config import Settings

TODAY = date(2026, 12, 7)


def test_citizens_log_in_with_their_cpr_number_in_the_claim_and_never_in_their_name() -> None:
    users = {user.sub: user.claims for user in demo_identity_users(TODAY)}
    claim = Settings.model_fields["citizen_oidc_cpr_claim"].default
    numbers = {str(citizen["cpr"]) for citizen in demo_citizens(TODAY)}
    assert {str(claims[claim]) for claims in users.values() if claim in claims} == numbers
    assert not [sub for sub in users if any(number[:6] in sub or number[6:] in sub for number in numbers)]
    assert login_name("Søren Senior") == "soeren.senior"


def test_every_staff_member_has_a_role() -> None:
    staff = [user.claims for user in demo_identity_users(TODAY) if "groups" in user.claims]
    assert len(staff) == 4  # planner, reader and administrator at Demokøbing; an administrator of all centres
    assert all(set(claims["groups"]) <= set(DEMO_STAFF_GROUPS) for claims in staff)
