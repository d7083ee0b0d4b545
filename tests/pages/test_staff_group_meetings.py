"""Group meetings (fællesmøder) on the staff pages: a planner creates one in the wizard
(step 2 asks no start minutes or dates), adds meetings on its page from the times when all
its advisors are free, with the room's seats plus extra seats, changes the seats (refused
below those booked, with the number), and cancels a meeting. axe at 320 and 1280 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from services.offers import consumer
from shared import events as ev
from tests.auth.conftest import BuildBrowserService
from tests.offers.test_group_meeting_times import announce, next_monday
from tests.offers.test_group_meeting_times import at as cph
from tests.pages.staff_site import PIA, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_job_centres import ADA, post
from tests.pages.test_staff_offer_pages import page, texts
from tests.pages.test_staff_wizard import Wizard, located


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    built = build_staff_site(build_browser_service)
    built.room = built.api.room(built.centres["10101"], name="Store sal", capacity=25)  # type: ignore[attr-defined]
    monday = next_monday()
    announce(built.service.context, built.advisors["10101"]["id"], [(cph(monday, 9), cph(monday, 15))])
    yield built


def group_offer(site: StaffSite) -> dict[str, Any]:
    body = site.api.offer_body(
        site.teams["10101"], [site.advisors["10101"]], name="Informationsmøde", meeting_form="group",
        conversation_type=9, duration_minutes=60, room_id=site.room["id"], place=None,  # type: ignore[attr-defined]
    )  # fmt: skip
    for key in ("start_minutes", "first_meeting_date", "citizen_may_choose_advisor"):
        body.pop(key)
    return site.api.post("/offers", body)


def test_a_planner_creates_a_group_meeting_in_the_wizard(site: StaffSite) -> None:
    client = site.logged_in(PIA)
    wizard = Wizard(site, client)
    located(wizard.step(1, job_centre_id=site.centres["10101"]["id"], name="Informationsmøde", description="",
                        conversation_type="9", meeting_form="group", channel="in_person"), 2)  # fmt: skip
    step2 = page(client.get(f"{wizard.path}/trin/2"))
    assert 'name="start_minutes"' not in step2 and 'name="first_meeting_date"' not in step2
    assert "tilføjer du på tilbuddets side" in texts(step2)
    fields = wizard.time_fields(room_id=site.room["id"], place="")  # type: ignore[attr-defined]
    for key in ("start_minutes", "first_meeting_date", "end_date", "citizen_may_choose_advisor"):
        fields.pop(key)
    located(wizard.step(2, **fields), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager")), 4)
    summary = texts(page(client.get(f"{wizard.path}/trin/4")))
    assert "Fællesmøde" in summary and "Mulige starttider" not in summary
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "gem"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#moeder")
    shown = texts(page(client.get(saved.headers["Location"])))
    assert "Fællesmødet er gemt. Tilføj nu møderne" in shown and "Fællesmødet har ingen møder endnu" in shown


def test_a_planner_adds_a_meeting_changes_its_seats_and_cancels_it(site: StaffSite) -> None:
    offer, monday, client = group_offer(site), next_monday(), site.logged_in(PIA)
    new_path = f"/tilbud/{offer['id']}/moeder/nyt"
    choose = page(client.get(new_path, query_string={"dag": monday.isoformat()}))
    assert f'value="{cph(monday, 10).isoformat()}"' in choose and "Lokalets pladser: 25 (Store sal)" in texts(choose)
    assert f'value="{cph(monday, 14, 30).isoformat()}"' not in choose  # 60 + 15 minutes do not fit before 15
    refused = page(post(site, client, new_path, dag=monday.isoformat(), start="", seats_from="lokalet"), 422)
    assert 'id="start-fejl"' in refused
    added = post(site, client, new_path, dag=monday.isoformat(), start=cph(monday, 10).isoformat(),
                 seats_from="lokalet", extra_seats="5")  # fmt: skip
    assert added.status_code == 303
    shown = texts(page(client.get(added.headers["Location"])))
    assert "Mødet er tilføjet" in shown and "25 (lokalets) 5 0 25 Planlagt" in shown
    assert "Mulige starttider" not in shown and "Første mødedato" not in shown  # a group offer has none
    [meeting] = site.api.client.get(f"/api/v1/offers/{offer['id']}/meetings").get_json()["items"]

    seats = ev.GroupSeatsPayload(offer_id=offer["id"], meeting_id=meeting["id"], taken=12, changed_at=datetime.now(UTC))
    assert consumer.handle(site.service.context, seats.envelope(ev.GROUP_SEATS_CHANGED))
    meeting_path = f"/tilbud/{offer['id']}/moeder/{meeting['id']}"
    too_few = page(post(site, client, meeting_path, seats_from="antal", seats="10", extra_seats="1"), 422)
    assert "12 borgere har allerede booket en plads" in texts(too_few) and 'id="seats-fejl"' in too_few
    assert post(site, client, meeting_path, seats_from="antal", seats="20", extra_seats="0").status_code == 303
    assert "20 0 12 8 Planlagt" in texts(page(client.get(f"/tilbud/{offer['id']}")))
    cancelled = post(site, client, f"{meeting_path}/aflys")
    assert cancelled.status_code == 303
    after = texts(page(client.get(cancelled.headers["Location"])))
    assert "Mødet er aflyst" in after and "Aflyst" in after and "Fællesmøde" in after  # and in the log


def test_only_the_centres_planners_plan_meetings(site: StaffSite) -> None:
    offer = group_offer(site)
    assert site.logged_in(ADA).get(f"/tilbud/{offer['id']}/moeder/nyt").status_code == 403
    assert "Tilføj møde" not in texts(page(site.logged_in(ADA).get(f"/tilbud/{offer['id']}")))
    individual = site.offer("10101")
    assert site.logged_in(PIA).get(f"/tilbud/{individual['id']}/moeder/nyt").status_code == 409


def test_the_meeting_pages_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    offer, monday = group_offer(site), next_monday()
    base = serve(site.app)
    page.goto(f"{base}/tilbud/{offer['id']}/moeder/nyt?dag={monday.isoformat()}")
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tilføj møde")
    page.get_by_role("button", name="Tilføj mødet").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "staff-28-tilfoej-moede-fejl")
    page.get_by_label("Starttidspunkt").select_option(label="10.00")
    page.get_by_label("Ekstrapladser til borgere, der ombooker").fill("5")
    page.get_by_role("button", name="Tilføj mødet").click()
    expect(page.get_by_role("status")).to_contain_text("Mødet er tilføjet")
    check(page, "staff-29-faellesmoede")
    page.get_by_role("link", name=re.compile(r"^Ret ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Møde")
    check(page, "staff-30-ret-moede")
