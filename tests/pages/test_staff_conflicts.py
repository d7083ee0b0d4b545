"""The staff's conflicts page: each booked meeting an advisor's own calendar now overlaps,
named by offer, time, advisor and citizen (name and e-mail asked of booking over HTTP), and
"Markér som håndteret" by whoever may write calendars at the advisor's centre."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from services.offers import consumer
from shared import events as ev
from shared.timeutil import utcnow
from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import TODAY, at
from tests.offers.test_group_meeting_times import announce, next_monday
from tests.offers.test_group_meeting_times import at as cph
from tests.pages.citizen_site import build_citizen_site
from tests.pages.staff_site import PIA, WithBooking, build_staff_site, with_booking
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_offer_pages import page, texts

PEOPLE = {0: "Anne Hansen", 2: "Bo Nielsen"}


@pytest.fixture
def world(build_browser_service: BuildBrowserService, serve: Any) -> Iterator[WithBooking]:
    site = build_staff_site(build_browser_service)
    booking = build_citizen_site(build_browser_service, at(TODAY, 9))
    yield with_booking(site, booking, serve(booking.app), PEOPLE)


def report(world: WithBooking, name: str, *, resolved: bool = False, advisor: str | None = None) -> None:
    """The calendar worker's report that Bo's (or Anne's) meeting is overlapped (or no longer)."""
    start = at(TODAY + timedelta(days=2), 9 + list(PEOPLE.values()).index(name))
    payload = ev.BookingConflictPayload(
        booking_id=world.booking_ids[name], advisor_id=advisor or world.site.advisors["10101"]["id"], start=start,
        end=start + timedelta(minutes=30), resolved=resolved, detected_at=utcnow(),
    )  # fmt: skip
    assert consumer.handle(world.site.service.context, payload.envelope(ev.BOOKING_CONFLICT_DETECTED))


def test_a_conflict_names_the_offer_time_advisor_and_citizen_and_can_be_marked_handled(world: WithBooking) -> None:
    report(world, "Bo Nielsen")
    client = world.site.logged_in()
    html = page(client.get("/kalenderkonflikter"))
    row = texts(html)
    assert "Jobsamtale onsdag 9. december 2026 kl. 10.00-10.30" in row and "Vejleder 10101 Bo Nielsen" in row
    assert '<a href="mailto:borger2@example.org">borger2@example.org</a>' in html  # from the citizen's profile
    assert "Anne Hansen" not in row
    token = world.site.service.csrf_token(client)
    done = client.post(f"/kalenderkonflikter/{world.booking_ids['Bo Nielsen']}/haandteret", data={"csrf_token": token})
    assert done.status_code == 303
    after = texts(page(client.get(done.headers["Location"])))
    assert "Konflikten er markeret som håndteret." in after and "Der er ingen åbne konflikter." in after
    everything = texts(page(client.get("/kalenderkonflikter?vis=alle")))
    assert "Håndteret af Pia Planlægger" in everything
    report(world, "Bo Nielsen", resolved=True)
    report(world, "Bo Nielsen")  # back again: open again
    assert "Markér som håndteret" in page(client.get("/kalenderkonflikter"))


def test_another_centres_conflicts_are_not_shown_and_cannot_be_handled(world: WithBooking) -> None:
    report(world, "Anne Hansen", advisor=world.site.advisors["30303"]["id"])
    client = world.site.logged_in()
    assert "Der er ingen åbne konflikter." in texts(page(client.get("/kalenderkonflikter")))
    token = world.site.service.csrf_token(client)
    refused = client.post(
        f"/kalenderkonflikter/{world.booking_ids['Anne Hansen']}/haandteret", data={"csrf_token": token}
    )
    assert "Konflikten findes ikke." in page(refused, 404)


def test_the_conflicts_page_in_chromium(page: Page, world: WithBooking, serve: Any) -> None:
    report(world, "Bo Nielsen")
    base = serve(world.site.app)
    page.goto(base + "/kalenderkonflikter")
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalenderkonflikter")
    check(page, "staff-7-konflikter")
    page.get_by_role("button", name="Markér som håndteret").click()
    expect(page.get_by_role("status").first).to_contain_text("Konflikten er markeret som håndteret.")
    check(page, "staff-8-konflikter-tom")


def test_a_conflict_over_a_group_meeting_names_its_offer(world: WithBooking) -> None:
    site, advisor = world.site, world.site.advisors["10101"]
    monday = next_monday()
    announce(site.service.context, advisor["id"], [(cph(monday, 9), cph(monday, 15))])
    body = site.api.offer_body(site.teams["10101"], [advisor], name="Informationsmøde", meeting_form="group",
                               duration_minutes=60)  # fmt: skip
    for key in ("start_minutes", "first_meeting_date", "citizen_may_choose_advisor"):
        body.pop(key)
    offer = site.api.post("/offers", body)
    meeting = site.api.post(f"/offers/{offer['id']}/meetings", {"start": cph(monday, 10).isoformat(), "seats": 20})
    payload = ev.BookingConflictPayload(
        booking_id=ev.group_event_id(meeting["id"], advisor["id"]), advisor_id=advisor["id"], start=cph(monday, 10),
        end=cph(monday, 11), resolved=False, detected_at=utcnow(),
    )  # fmt: skip
    assert consumer.handle(site.service.context, payload.envelope(ev.BOOKING_CONFLICT_DETECTED))
    row = texts(page(site.logged_in().get("/kalenderkonflikter")))
    assert "Informationsmøde" in row and "Vejleder 10101 Fællesmøde" in row
