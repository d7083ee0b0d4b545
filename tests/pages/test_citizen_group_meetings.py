"""Group meetings (fællesmøder) on the citizen's pages: Anna sees the meetings of an
information meeting with their free seats ("2 ledige pladser", "fuldt"), books a seat with
her e-mail, and moves it to a meeting whose ordinary seats are taken, onto an extra seat
(O-13); a full meeting is said at its field. axe at 320 and 1280 px."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
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


def meeting(days: int, seats: int, extra: int = 0) -> ev.GroupMeetingPayload:
    day = TODAY + timedelta(days=days)
    return ev.GroupMeetingPayload(meeting_id=str(uuid.uuid4()), start=at(day, 10), end=at(day, 11), seats=seats,
                                  extra_seats=extra)  # fmt: skip


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, ev.OfferPayload]]:
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    offer = built.publish(name="Informationsmøde", meeting_form="group", start_minutes=[], duration_minutes=60,
                          citizen_may_choose_advisor=False, meetings=[meeting(3, 2), meeting(10, 1, 1)])  # fmt: skip
    yield built, offer


def take(built: CitizenSite, offer: ev.OfferPayload, meeting_id: str, n: int) -> None:
    """Someone else (``fictitious_cpr(n)``, booked by staff) takes a seat."""
    ItClient(built.app).post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(n), "contact_group": "Dagpengemodtager"}])
    body = {"citizen": {"cpr": fictitious_cpr(n)}}
    answer = ItClient(built.app).post(f"/api/v1/offers/{offer.offer_id}/meetings/{meeting_id}/seats", json=body)
    assert answer.status_code == 201, answer.get_json()


def post(built: CitizenSite, client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": built.service.csrf_token(client), **form})


def test_anna_books_a_seat_and_moves_it_onto_an_extra_seat(site: tuple[CitizenSite, ev.OfferPayload]) -> None:
    built, offer = site
    soon, later = offer.meetings
    client = logged_in(built)
    listing = texts(client.get("/mine-moedetilbud").get_data(as_text=True))
    assert "Informationsmøde" in listing and "Book plads" in listing
    take(built, offer, later.meeting_id, 1)  # "later" has no ordinary seat left
    path = f"/mine-moedetilbud/{offer.offer_id}/moeder"
    shown = texts(client.get(path).get_data(as_text=True))
    assert "kl. 10.00-11.00 – 2 ledige pladser" in shown and "kl. 10.00-11.00 – fuldt" in shown
    booked = post(built, client, path, meeting_id=soon.meeting_id, email="anna@example.org")
    assert booked.status_code == 303 and "/kvittering/" in booked.headers["Location"]
    receipt = texts(client.get(booked.headers["Location"]).get_data(as_text=True))
    assert "Informationsmøde" in receipt
    [mine] = [b for b in built.bookings() if b.group_meeting_id == uuid.UUID(soon.meeting_id)]
    assert mine.email == "anna@example.org"

    moving = texts(client.get(path, query_string={"flyt": str(mine.id)}).get_data(as_text=True))
    assert "din plads nu" in moving and "1 ledig plads" in moving  # the extra seat is open to a mover
    moved = post(built, client, path, meeting_id=later.meeting_id, flyt=str(mine.id))
    assert moved.status_code == 303
    seats = sorted((str(b.group_meeting_id), b.status) for b in built.bookings())
    assert seats == sorted([(soon.meeting_id, "rebooked"), (later.meeting_id, "active"), (later.meeting_id, "active")])


def test_a_full_meeting_is_said_at_its_field(site: tuple[CitizenSite, ev.OfferPayload]) -> None:
    built, offer = site
    soon, _later = offer.meetings
    client = logged_in(built)
    path = f"/mine-moedetilbud/{offer.offer_id}/moeder"
    page = client.get(path).get_data(as_text=True)  # Anna sees a free seat ...
    take(built, offer, soon.meeting_id, 1)
    take(built, offer, soon.meeting_id, 2)  # ... which two others take before she presses
    full = post(built, client, path, meeting_id=soon.meeting_id, email="")
    assert full.status_code == 409 and 'id="meeting_id-fejl"' in full.get_data(as_text=True)
    assert "Mødet er desværre fuldt. Vælg et andet møde." in texts(full.get_data(as_text=True))
    nothing = post(built, client, path, email="ikke-en-adresse")
    assert nothing.status_code == 400 and "Vælg et møde." in texts(nothing.get_data(as_text=True))
    assert "2 ledige pladser" in texts(page)


def test_the_meeting_page_in_chromium(page: Page, site: tuple[CitizenSite, ev.OfferPayload], serve: Any) -> None:
    built, offer = site
    base = serve(built.app)
    page.goto(f"{base}/mine-moedetilbud/{offer.offer_id}/moeder")
    page.get_by_role("button", name="citizen-anna").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vælg møde")
    check(page, "14-vaelg-moede")
    page.get_by_role("button", name="Book pladsen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "15-vaelg-moede-fejl")
    page.get_by_label("2 ledige pladser").first.check()
    page.get_by_role("button", name="Book pladsen").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check(page, "16-kvittering-plads")
