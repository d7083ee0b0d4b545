"""The citizen's booking pages (``services.booking.pages``): Mine mødetilbud, Vælg tidspunkt,
Tjek og bekræft and the receipt, through the Flask test client and in Debian's Chromium
(axe-core at 320 and 1280 px, with and without JavaScript). The citizen's day is fixed
(Monday 7 December 2026, or 20 October for the daylight-saving week); the browser login
runs on the real clock."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth.conftest import ANNA_CPR, BuildBrowserService, cookie_of
from tests.booking.conftest import at, fictitious_cpr
from tests.identities import ItClient
from tests.pages.citizen_site import NOT_ANNAS, CitizenSite, book_through_pages, build_citizen_site, hold_through_pages
from tests.pages.test_start_page import axe_violations

TODAY = date(2026, 12, 7)  # a Monday
A, B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
SHOTS = Path(os.environ.get("PLANNER_SCREENSHOTS_DIR") or Path(__file__).parents[2] / "var" / "screenshots")
"""Where each checked page's screenshots go (.ci/run keeps them as the run's artefacts)."""
CPR_SHAPES = (ANNA_CPR, f"{ANNA_CPR[:6]}-{ANNA_CPR[6:]}")


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, dict[str, str]]]:
    """Anna may book "Jobsamtale" (two advisors, free in weeks 50 and 51) and "Telefonsamtale"
    (no free times); "Sygesamtale" is for others."""
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    job = built.publish(name="Jobsamtale", description="Vi taler om dit næste job.", advisor_ids=[A, B])
    built.publish(name="Sygesamtale", rules=NOT_ANNAS)
    phone = built.publish(
        name="Telefonsamtale", channel="phone", place=None, phone=None, citizen_may_choose_advisor=False
    )
    wednesday, thursday, next_tuesday = TODAY.replace(day=9), TODAY.replace(day=10), TODAY.replace(day=15)
    starts = {
        A: [at(wednesday, 9), at(wednesday, 9, 30), at(next_tuesday, 9)],
        B: [at(thursday, 10), at(wednesday, 9, 30)],
    }
    built.compute(job, starts, TODAY, date(2027, 2, 1))
    built.compute(phone, {}, TODAY, date(2027, 2, 1))
    yield built, {"job": job.offer_id, "phone": phone.offer_id}


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    body = str(response.get_data(as_text=True))
    assert all(cpr not in body for cpr in CPR_SHAPES)
    return body


def texts(page: str) -> str:
    """The page's words without tags and extra spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_an_anonymous_visitor_logs_in_and_comes_back(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = built.service.client()
    week = f"/mine-moedetilbud/{ids['job']}/tider?uge=2026-W51"
    answer = client.get(week)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Fmine-moedetilbud%2F" + ids["job"] + "%2Ftider%3Fuge%3D2026-W51"
    landed = built.service.log_in(client, "citizen-anna", next_path=week)
    assert landed.status_code == 303 and landed.headers["Location"].endswith(week)
    assert "Tirsdag 15. december" in html(client.get(week))
    assert 'href="/mine-moedetilbud"' in html(client.get("/"))  # the start page links the list


def test_the_list_shows_only_the_offers_the_citizen_may_book(
    site: tuple[CitizenSite, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    built, _ = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    caplog.set_level(logging.DEBUG)
    page = texts(html(client.get("/mine-moedetilbud")))
    assert all(cpr not in caplog.text for cpr in CPR_SHAPES)
    assert all(cpr not in (cookie_of(client) or "") for cpr in CPR_SHAPES)
    assert "Jobsamtale" in page and "Vi taler om dit næste job." in page and "Telefonsamtale" in page
    assert "Sygesamtale" not in page
    assert "Fremmøde på Torvet 1." in page and "Telefonmøde. Din rådgiver ringer til dig" in page
    assert "30 minutter" in page and page.count("Book tid") == 2


def test_the_week_has_a_fieldset_per_day_and_the_advisor_filter(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    page = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider"))  # the first free time's week
    assert "Uge 50: 7.-13. december 2026" in page and texts(page).count("Alle tider er dansk tid") == 1
    legends = re.findall(r"<legend>(.*?)</legend>", page)
    assert legends == ["Mandag 7. december", "Tirsdag 8. december", "Onsdag 9. december", "Torsdag 10. december",
                       "Fredag 11. december"]  # fmt: skip
    labels = re.findall(r'<label for="tid-[^"]+">([^<]+)<', page)
    assert labels == ["09.00-09.30", "09.30-10.00", "10.00-10.30"]  # 09.30 once: either advisor
    assert "Ingen præference" in page and "Forrige uge" not in page and "?uge=2026-W51" in page
    only_b = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider", query_string={"uge": "2026-W50", "raadgiver": B}))
    assert re.findall(r'<label for="tid-[^"]+">([^<]+)<', only_b) == ["09.30-10.00", "10.00-10.30"]
    assert f'<option value="{B}" selected>' in only_b and f"raadgiver={B}" in only_b  # week links keep it
    later = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider?uge=2027-W02"))
    assert "Der er ingen ledige tider i denne uge." in later and "?uge=2026-W50" in later
    empty = html(client.get(f"/mine-moedetilbud/{ids['phone']}/tider"))
    assert "Der er ingen ledige tider til dette møde lige nu." in empty and "Rådgiver" not in empty


def test_a_citizen_without_offers_is_told_so_kindly(build_browser_service: BuildBrowserService) -> None:
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    built.publish(name="Sygesamtale", rules=NOT_ANNAS)
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    page = texts(html(client.get("/mine-moedetilbud")))
    assert "Du har ingen mødetilbud at booke lige nu." in page and "Book tid" not in page


def test_a_continue_without_a_time_asks_for_one(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    form = {"raadgiver": "", "uge": "2026-W50", "csrf_token": built.service.csrf_token(client)}
    page = html(client.post(f"/mine-moedetilbud/{ids['job']}/tider", data=form), 400)
    assert "<title>Fejl: Vælg tidspunkt" in page and 'role="alert"' in page
    assert '<a href="#tid-20261209-0900">Vælg et tidspunkt</a>' in page


def test_staff_and_strangers_get_pages_not_problem_documents(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    unknown = html(client.get("/mine-moedetilbud/00000000-0000-4000-8000-000000000000/tider"), 404)
    assert "Siden findes ikke" in unknown
    not_hers = html(client.get(f"/mine-moedetilbud/{built.publish(rules=NOT_ANNAS).offer_id}/tider"), 403)
    assert "Du har ikke adgang til siden" in not_hers
    assert html(client.get("/mine-moedetilbud/kvittering/00000000-0000-4000-8000-000000000000"), 404)
    assert html(client.get("/mine-moedetilbud/kvittering/00000000-0000-4000-8000-000000000000/moede.ics"), 404)
    forged = client.post(
        f"/mine-moedetilbud/{ids['job']}/tider", data={"start": at(TODAY.replace(day=9), 9).isoformat()}
    )
    assert "Formularen er udløbet" in html(forged, 403) and built.bookings() == []  # no CSRF token
    machine = ItClient(built.app).get("/mine-moedetilbud")
    assert machine.status_code == 403 and machine.mimetype == "text/html"


def test_the_calendar_file_is_the_bookers_only(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    assert book_through_pages(built, client, ids["job"], at(TODAY.replace(day=9), 9)).status_code == 303
    [booking] = built.bookings()
    receipt = html(client.get(f"/mine-moedetilbud/kvittering/{booking.id}"))
    link = f'href="/mine-moedetilbud/kvittering/{booking.id}/moede.ics"'
    assert link in receipt and "Hent mødet som kalenderfil (.ics)" in receipt
    got = client.get(f"/mine-moedetilbud/kvittering/{booking.id}/moede.ics")
    assert got.status_code == 200 and got.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert got.headers["Content-Disposition"] == f'attachment; filename="moede-{booking.reference}.ics"'
    assert got.headers["Cache-Control"] == "no-store"
    assert all(cpr not in got.get_data(as_text=True) for cpr in CPR_SHAPES)
    other = ItClient(built.app)
    assert other.post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(2), "contact_group": "Dagpengemodtager",
                                                  "name": "Borger 2"}]).status_code == 200  # fmt: skip
    body = {"offer_id": ids["job"], "start": at(TODAY.replace(day=10), 10).isoformat(),
            "citizen": {"cpr": fictitious_cpr(2)}}  # fmt: skip
    theirs = other.post("/api/v1/bookings", json=body)
    assert theirs.status_code == 201, theirs.get_data(as_text=True)
    their_id = theirs.get_json()["id"]
    assert html(client.get(f"/mine-moedetilbud/kvittering/{their_id}/moede.ics"), 404)
    assert html(client.get(f"/mine-moedetilbud/kvittering/{their_id}"), 404)


def test_a_week_across_the_october_change_shows_danish_times(build_browser_service: BuildBrowserService) -> None:
    built = build_citizen_site(build_browser_service, at(date(2026, 10, 20), 9))
    offer = built.publish(
        name="Jobsamtale", first_meeting_date=date(2026, 10, 1), opens_on=date(2026, 10, 1), advisor_ids=[A]
    )
    friday, sunday, monday = date(2026, 10, 23), date(2026, 10, 25), date(2026, 10, 26)  # summer time ends Sunday
    built.compute(offer, {A: [at(friday, 9), at(sunday, 9), at(sunday, 14), at(monday, 9)]}, friday, date(2026, 12, 1))
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    week = html(client.get(f"/mine-moedetilbud/{offer.offer_id}/tider?uge=2026-W43"))
    assert re.findall(r"<legend>(.*?)</legend>", week)[-2:] == ["Fredag 23. oktober", "Søndag 25. oktober"]
    assert re.findall(r'<label for="tid-[^"]+">([^<]+)<', week) == ["09.00-09.30", "09.00-09.30", "14.00-14.30"]
    assert 'value="2026-10-23T09:00:00+02:00"' in week and 'value="2026-10-25T09:00:00+01:00"' in week
    after = html(client.get(f"/mine-moedetilbud/{offer.offer_id}/tider?uge=2026-W44"))
    assert re.findall(r'<label for="tid-[^"]+">([^<]+)<', after) == ["09.00-09.30"]
    held = hold_through_pages(built, client, offer.offer_id, at(sunday, 9))
    confirm = texts(html(client.get(held.headers["Location"])))
    assert "søndag 25. oktober 2026 kl. 09.00-09.30 (dansk tid)" in confirm


# --- In Chromium ---------------------------------------------------------------------------------


def check(page: Page, name: str) -> None:
    """axe-core finds nothing at 1280 and 320 px, nothing scrolls sideways at 320 px, no CPR
    number is on the page; a screenshot of each width goes to ``SHOTS``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], f"{name} at {width} px"
        if width == 320:
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    assert all(cpr not in page.content() for cpr in CPR_SHAPES)
    page.set_viewport_size({"width": 1280, "height": 900})


def log_in_to_the_list(page: Page, base: str) -> None:
    page.goto(base + "/mine-moedetilbud")
    page.get_by_role("button", name="citizen-anna").click()  # the provider's login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine mødetilbud")


def test_a_citizen_books_a_time_in_chromium(page: Page, site: tuple[CitizenSite, dict[str, str]], serve: Any) -> None:
    built, ids = site
    base = serve(built.app)
    log_in_to_the_list(page, base)
    expect(page.get_by_role("heading", name="Sygesamtale")).to_have_count(0)
    check(page, "1-mine-moedetilbud")
    page.get_by_role("link", name="Book tid til Jobsamtale").click()
    expect(page.get_by_role("heading", level=2, name="Uge 50")).to_be_visible()
    check(page, "2-uge")
    page.get_by_role("link", name="Næste uge").click()
    expect(page.get_by_role("group", name="Tirsdag 15. december")).to_be_visible()
    page.get_by_role("link", name="Forrige uge").click()
    page.get_by_label("Rådgiver").select_option(label="Rådgiver 2")
    page.get_by_role("button", name="Vis tider").click()
    expect(page.get_by_role("radio")).to_have_count(2)
    page.get_by_role("group", name="Torsdag 10. december").get_by_role("radio", name="10.00-10.30").check()
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek og bekræft")
    expect(page.get_by_text("torsdag 10. december 2026 kl. 10.00-10.30 (dansk tid)")).to_be_visible()
    check(page, "3-bekraeft")
    page.get_by_role("button", name="Book mødet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødet er booket")
    check(page, "4-kvittering")
    [booking] = built.bookings()
    assert str(booking.advisor_id) == B and booking.start_at == at(TODAY.replace(day=10), 10)
    expect(page.locator(".reference")).to_have_text(booking.reference)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tilføj til kalender").click()
    download = download_info.value
    assert download.suggested_filename == f"moede-{booking.reference}.ics"
    text = Path(download.path()).read_text(encoding="utf-8")
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert event["DTSTART"].dt == booking.start_at and event["DTEND"].dt == booking.end_at
    assert all(cpr not in text.replace("\r\n ", "") for cpr in CPR_SHAPES)
    page.goto(f"{base}/mine-moedetilbud/{ids['phone']}/tider")
    expect(page.get_by_text("Der er ingen ledige tider til dette møde lige nu.")).to_be_visible()
    check(page, "5-ingen-tider")


def test_a_time_taken_meanwhile_brings_the_citizen_back_to_the_week(
    page: Page, site: tuple[CitizenSite, dict[str, str]], serve: Any
) -> None:
    built, ids = site
    base = serve(built.app)
    log_in_to_the_list(page, base)
    page.goto(f"{base}/mine-moedetilbud/{ids['job']}/tider?uge=2026-W50&raadgiver={A}")
    page.get_by_role("radio", name="09.00-09.30").check()
    other = ItClient(built.app)
    assert other.post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(2), "contact_group": "Dagpengemodtager",
                                                  "name": "Borger 2"}]).status_code == 200  # fmt: skip
    body = {
        "offer_id": ids["job"],
        "start": at(TODAY.replace(day=9), 9).isoformat(),
        "citizen": {"cpr": fictitious_cpr(2)},
    }
    assert other.post("/api/v1/bookings", json=body).status_code == 201  # while Anna reads the week
    page.get_by_role("button", name="Fortsæt").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Tiden er desværre ikke ledig længere. Vælg en anden tid.")
    expect(alert).to_be_focused()  # the error summary takes focus (autofocus: no script needed)
    expect(page).to_have_title(re.compile("^Fejl: "))
    expect(page.get_by_role("heading", level=2, name="Uge 50")).to_be_visible()
    expect(page.get_by_label("Rådgiver")).to_have_value(A)
    expect(page.get_by_role("radio")).to_have_count(0)  # A is busy until 09.45 (reporting time)
    expect(page.get_by_text("Der er ingen ledige tider i denne uge.")).to_be_visible()
    check(page, "6-fejl-optaget")
    alert.get_by_role("link").click()
    expect(page.locator("#tider")).to_be_focused()
    page.get_by_role("link", name="Gå til den første ledige tid").click()
    expect(page.get_by_role("group", name="Tirsdag 15. december")).to_be_visible()
    expect(page.get_by_label("Rådgiver")).to_have_value(A)
    assert len(built.bookings()) == 1


def test_the_booking_works_without_javascript_and_by_keyboard(
    browser: Browser, site: tuple[CitizenSite, dict[str, str]], serve: Any
) -> None:
    built, _ = site
    base = serve(built.app)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_to_the_list(page, base)
        page.get_by_role("link", name="Book tid til Jobsamtale").focus()
        page.keyboard.press("Enter")
        page.get_by_role("radio", name="09.30-10.00").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Fortsæt").focus()
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Book mødet").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mødet er booket")
    finally:
        context.close()
    [booking] = built.bookings()
    assert booking.start_at == at(TODAY.replace(day=9), 9, 30)
