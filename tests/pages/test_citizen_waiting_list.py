"""The waiting list (afventerliste) on the citizen's pages: Anna finds the meeting she wants
full, puts herself on its list with her e-mail, sees her place in line, is offered the seat
someone gives back, and takes it; or leaves the list. axe at 320 and 1280 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared import events as ev
from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import TODAY, at, fictitious_cpr
from tests.identities import ItClient
from tests.pages.citizen_site import CitizenSite, build_citizen_site
from tests.pages.test_citizen_booking_pages import check, texts
from tests.pages.test_citizen_changes_pages import logged_in
from tests.pages.test_citizen_group_meetings import meeting, post


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, ev.OfferPayload, list[str]]]:
    """An information meeting in 3 days with one seat, taken by someone else (their booking ids)."""
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    offer = built.publish(name="Informationsmøde", meeting_form="group", start_minutes=[], duration_minutes=60,
                          citizen_may_choose_advisor=False, meetings=[meeting(3, 1)])  # fmt: skip
    ItClient(built.app).post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(1), "contact_group": "Dagpengemodtager"}])
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{offer.meetings[0].meeting_id}/seats"
    answer = ItClient(built.app).post(path, json={"citizen": {"cpr": fictitious_cpr(1)}})
    assert answer.status_code == 201, answer.get_json()
    yield built, offer, [answer.get_json()["id"]]


def give_back(built: CitizenSite, booking_id: str) -> None:
    """The other citizen cancels their seat (through staff)."""
    body = {"citizen": {"cpr": fictitious_cpr(1)}}
    answer = ItClient(built.app).post(f"/api/v1/bookings/{booking_id}/cancel", json=body)
    assert answer.status_code == 200, answer.get_json()


def test_anna_waits_is_offered_the_freed_seat_and_takes_it(
    site: tuple[CitizenSite, ev.OfferPayload, list[str]],
) -> None:
    built, offer, [other] = site
    client = logged_in(built)
    path = f"/mine-moedetilbud/{offer.offer_id}/moeder"
    full = texts(client.get(path).get_data(as_text=True))
    assert "Alle møder er fulde lige nu." in full and "Skriv dig på venteliste" in full
    assert "Book pladsen" not in full
    [m] = offer.meetings
    no_address = post(built, client, f"/mine-moedetilbud/{offer.offer_id}/venteliste", venteliste_moede=m.meeting_id,
                      venteliste_email="")  # fmt: skip
    assert no_address.status_code == 400
    assert "Skriv din e-mailadresse." in texts(no_address.get_data(as_text=True))
    joined = post(built, client, f"/mine-moedetilbud/{offer.offer_id}/venteliste", venteliste_moede=m.meeting_id,
                  venteliste_email="anna@example.org")  # fmt: skip
    assert joined.status_code == 303
    waiting = texts(client.get(joined.headers["Location"]).get_data(as_text=True))
    assert "Du står nu på ventelisten." in waiting and "er nummer 1 i køen" in waiting
    assert "fuldt – du står på ventelisten" in waiting and "Skriv mig på ventelisten" not in waiting
    mine = texts(client.get("/mine-moedetilbud/aftaler").get_data(as_text=True))
    assert "Ventelister Informationsmøde Du står på ventelisten til mødet" in mine and "nummer 1 i køen" in mine

    give_back(built, other)
    offered = texts(client.get(path).get_data(as_text=True))
    assert (
        "Der er en plads til dig" in offered
        and "Den er holdt til dig til tirsdag 8. december 2026 kl. 09.00" in offered
    )
    mine = texts(client.get("/mine-moedetilbud/aftaler").get_data(as_text=True))
    assert "Der er en plads til dig ved mødet" in mine and "Tag pladsen" in mine
    took = client.post(
        offered_form(client.get(path).get_data(as_text=True), "tag-pladsen"),
        data={"csrf_token": built.service.csrf_token(client)},
    )
    assert took.status_code == 303 and "/kvittering/" in took.headers["Location"]
    [mine] = [b for b in built.bookings() if b.status == "active"]
    assert mine.email == "anna@example.org"


def offered_form(page: str, action: str) -> str:
    """The path of the page's form that ends in ``action``."""
    start = page.index(f'/{action}"') if f'/{action}"' in page else -1
    assert start > 0, action
    return page[page.rindex('action="', 0, start) + len('action="') : start + len(action) + 1]


def test_anna_leaves_the_list(site: tuple[CitizenSite, ev.OfferPayload, list[str]]) -> None:
    built, offer, _ = site
    client = logged_in(built)
    [m] = offer.meetings
    post(built, client, f"/mine-moedetilbud/{offer.offer_id}/venteliste", venteliste_moede=m.meeting_id,
         venteliste_email="anna@example.org")  # fmt: skip
    page = client.get(f"/mine-moedetilbud/{offer.offer_id}/moeder").get_data(as_text=True)
    left = client.post(offered_form(page, "forlad"), data={"csrf_token": built.service.csrf_token(client)})
    assert left.status_code == 303
    after = texts(client.get(left.headers["Location"]).get_data(as_text=True))
    assert "Du er meldt af ventelisten." in after and "Skriv mig på ventelisten" in after


def test_the_waiting_list_in_chromium(page: Page, site: tuple[CitizenSite, ev.OfferPayload, list[str]],
                                      serve: Any) -> None:  # fmt: skip
    built, offer, [other] = site
    base = serve(built.app)
    page.goto(f"{base}/mine-moedetilbud/{offer.offer_id}/moeder")
    page.get_by_role("button", name="citizen-anna").click()
    expect(page.get_by_role("heading", name="Skriv dig på venteliste")).to_be_visible()
    page.get_by_label("E-mail til besked om en ledig plads").fill("")
    page.get_by_role("button", name="Skriv mig på ventelisten").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "17-venteliste-fejl")
    page.get_by_label("E-mail til besked om en ledig plads").fill("anna@example.org")
    page.get_by_role("button", name="Skriv mig på ventelisten").click()
    expect(page.get_by_role("heading", name="Du står på ventelisten")).to_be_visible()
    check(page, "18-venteliste")
    page.goto(f"{base}/mine-moedetilbud/aftaler")
    expect(page.get_by_role("heading", name="Ventelister")).to_be_visible()
    check(page, "20-aftaler-venteliste")
    give_back(built, other)
    page.goto(f"{base}/mine-moedetilbud/{offer.offer_id}/moeder")
    expect(page.get_by_role("heading", name="Der er en plads til dig")).to_be_visible()
    check(page, "19-venteliste-plads")
    page.get_by_role("button", name="Tag pladsen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("booket")


def test_the_forms_are_the_logged_in_citizens_own(site: tuple[CitizenSite, ev.OfferPayload, list[str]]) -> None:
    built, offer, _ = site
    [m] = offer.meetings
    staff = ItClient(built.app)
    staff.post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(2), "contact_group": "Dagpengemodtager"}])
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{m.meeting_id}/waiting-list"
    theirs = staff.post(path, json={"citizen": {"cpr": fictitious_cpr(2)}, "email": "bo@example.org"}).get_json()["id"]
    forms = [f"/mine-moedetilbud/{offer.offer_id}/venteliste"] + [
        f"/mine-moedetilbud/{offer.offer_id}/venteliste/{theirs}/{action}" for action in ("tag-pladsen", "forlad")
    ]
    anonymous = built.service.client()
    for form in forms:  # no login: to the login first, nothing done
        answer = anonymous.post(form, data={"venteliste_moede": m.meeting_id, "venteliste_email": "x@example.org"})
        assert answer.status_code in (302, 403), (form, answer.status_code)
    client = logged_in(built)
    for form in forms[1:]:  # another citizen's place on the list is unknown to Anna
        assert post(built, client, form).status_code == 404, form
    answer = staff.get(path)
    assert [item["email"] for item in answer.get_json()["items"]] == ["bo@example.org"]
