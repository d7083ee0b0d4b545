"""Live times on the week page (``shared/pages/static/live-times.js``), in Chromium: a time
someone else takes while the citizen looks at the week stops being offered without a reload,
and the citizen is told; the time the citizen has chosen is left alone. Without JavaScript
the page is the same and the summary step refuses the taken time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import at, fictitious_cpr
from tests.identities import ItClient
from tests.pages.citizen_site import CitizenSite, build_citizen_site
from tests.pages.test_citizen_booking_pages import check, log_in_to_the_list

TODAY = date(2026, 12, 7)
WEDNESDAY = TODAY + timedelta(days=2)
A = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, str]]:
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    offer = built.publish(name="Jobsamtale", advisor_ids=[A])
    built.compute(offer, {A: [at(WEDNESDAY, 9), at(WEDNESDAY, 10), at(WEDNESDAY, 11)]}, TODAY, date(2027, 2, 1))
    staff = ItClient(built.app)
    others = [{"cpr": fictitious_cpr(n), "contact_group": "Dagpengemodtager", "name": f"Borger {n}"} for n in (2, 3)]
    assert staff.post("/api/v1/citizens", json=others).status_code == 200
    yield built, offer.offer_id


def someone_books(built: CitizenSite, offer_id: str, hour: int, n: int) -> None:
    """Citizen ``n`` (2 or 3) books ``hour`` on Wednesday through the API."""
    body = {"offer_id": offer_id, "start": at(WEDNESDAY, hour).isoformat(), "citizen": {"cpr": fictitious_cpr(n)}}
    assert ItClient(built.app).post("/api/v1/bookings", json=body).status_code == 201


def test_a_time_taken_meanwhile_is_no_longer_offered_without_a_reload(
    page: Page, site: tuple[CitizenSite, str], serve: Any
) -> None:
    built, offer_id = site
    base = serve(built.app)
    log_in_to_the_list(page, base)
    page.goto(f"{base}/mine-moedetilbud/{offer_id}/tider?uge=2026-W50")
    page.get_by_role("radio", name="11.00-11.30").check()  # her choice, not yet sent
    someone_books(built, offer_id, 10, 2)
    someone_books(built, offer_id, 11, 3)
    gone = page.evaluate("window.plannerLiveTimes.refresh()")  # what the page does every few seconds
    assert gone == 1
    expect(page.get_by_role("radio", name="10.00-10.30 (optaget)")).to_be_disabled()
    expect(page.get_by_role("radio", name="09.00-09.30")).to_be_enabled()
    expect(page.get_by_role("radio", name="11.00-11.30")).to_be_checked()  # left for the server to refuse
    expect(page.get_by_role("status")).to_have_text("Nogle tider er blevet booket, mens du så på ugen.")
    check(page, "13-uge-optaget")
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.get_by_role("alert")).to_contain_text("Tiden er desværre ikke ledig længere.")
