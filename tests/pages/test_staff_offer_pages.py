"""The staff's offer list and offer page (V-1 to V-3, V-5, V-7) as a browser sees them, through
the Flask test client: what Pia (planner at 10101, reader at 20202) sees and may do, the
filters and sorting over every page, activation with its line in the revision log, and
refusals as pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.pages.staff_site import PIA, SICK_PAY, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    yield build_staff_site(build_browser_service)


def page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    assert response.mimetype == "text/html"
    return str(response.get_data(as_text=True))


def texts(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def listed(html: str) -> list[str]:
    """The offers' names in the table, in its order."""
    return [unescape(name) for name in re.findall(r'<td><a href="/tilbud/[0-9a-f-]+">([^<]+)</a></td>', html)]


def test_anonymous_visitors_log_in_first(site: StaffSite) -> None:
    response = site.service.client().get("/tilbud?channel=phone")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Ftilbud%3Fchannel%3Dphone"


def test_the_list_shows_the_offers_of_the_centres_pia_may_read(site: StaffSite) -> None:
    site.offer("10101", name="Jobsamtale Øst")
    site.offer("20202", name="Jobsamtale Vest")
    site.offer("30303", name="Jobsamtale Syd")
    html = page(site.logged_in().get("/tilbud"))
    assert listed(html) == ["Jobsamtale Vest", "Jobsamtale Øst"]  # Danish order: Æ, Ø, Å come last
    assert 'aria-sort="ascending"' in html and "Viser 1-2 af 2 tilbud" in texts(html)


def test_filters_and_sorting_cover_every_page(site: StaffSite) -> None:
    for number in range(1, 28):
        site.offer("10101", name=f"Samtale {number:02d}", channel="video", place=None)
    site.offer("10101", name="Sygesamtale", rules=SICK_PAY)
    site.offer("10101", name="Telefonsamtale", channel="phone", place=None)
    client = site.logged_in()
    first = page(client.get("/tilbud"))
    assert len(listed(first)) == 25 and "Side 1 af 2" in texts(first)
    assert listed(page(client.get("/tilbud?page=2"))) == ["Samtale 26", "Samtale 27", "Sygesamtale", "Telefonsamtale"]
    newest_first = listed(page(client.get("/tilbud?sort=name&order=desc")))
    assert newest_first[:2] == ["Telefonsamtale", "Sygesamtale"]
    assert listed(page(client.get("/tilbud?channel=phone"))) == ["Telefonsamtale"]
    assert listed(page(client.get("/tilbud?contact_group=Sygedagpengemodtager"))) == ["Sygesamtale"]
    assert listed(page(client.get("/tilbud?name=SAMTALE+1&sort=name"))) == [f"Samtale {n}" for n in range(10, 20)]
    assert listed(page(client.get(f"/tilbud?team_id={site.teams['20202']['id']}"))) == []
    assert listed(page(client.get("/tilbud?active=false"))) == []
    kept = page(client.get("/tilbud?channel=video&sort=name&order=desc"))
    assert "channel=video" in unescape(re.search(r'href="([^"]*page=2[^"]*)"', kept)[1])  # type: ignore[index]


def test_a_filter_that_cannot_be_used_is_said_at_its_field(site: StaffSite) -> None:
    site.offer("10101", name="Jobsamtale")
    html = page(site.logged_in().get("/tilbud?conversation_type=999&channel=phone"), 422)
    assert "<title>Fejl: Tilbud" in html and "Der er problemer" in html
    assert 'href="#filter-conversation_type">Ukendt samtaletype.</a>' in html
    assert "Ingen tilbud passer til søgningen." in html  # the channel filter still applies


def test_the_offer_page_shows_details_rules_and_who_changed_it(site: StaffSite) -> None:
    offer = site.offer("10101", name="Jobsamtale", channel="phone", place=None, phone="70 11 22 33")
    client = site.logged_in()
    html = texts(page(client.get(f"/tilbud/{offer['id']}")))
    for words in (
        "Jobsamtale", "Aktiv", "Samtaletype 7 Jobsamtale", "Afholdelsesform Telefon", "Telefonnummer 70 11 22 33",
        "Varighed 30 minutter", "Afrapportering 15 minutter", "Mulige starttider :00, :30", "Team Team Øst",
        "Vejledere Vejleder 10101", "Alle af disse regler skal være opfyldt: Kontaktgruppe lig med Dagpengemodtager",
        "Senest ændret", "af tests (IT)", "Tilbuddet er oprettet",
    ):  # fmt: skip
        assert words in html, words
    answer = client.post(
        f"/tilbud/{offer['id']}/status", data={"active": "false", "csrf_token": site.service.csrf_token(client)}
    )
    assert answer.status_code == 303
    after = texts(page(client.get(answer.headers["Location"])))
    assert "Tilbuddet er deaktiveret: borgerne kan ikke længere se det." in after and "Inaktiv" in after
    assert "af Pia Planlægger" in after and "Pia Planlægger Aktiv Ja Nej" in after
    assert site.api.client.get(f"/api/v1/offers/{offer['id']}").get_json()["active"] is False


def test_a_reader_sees_but_cannot_change_and_others_offers_do_not_exist(site: StaffSite) -> None:
    west, south = site.offer("20202", name="Vest"), site.offer("30303", name="Syd")
    client = site.logged_in()
    html = page(client.get(f"/tilbud/{west['id']}"))
    assert "Deaktivér tilbuddet" not in html
    token = site.service.csrf_token(client)
    refused = client.post(f"/tilbud/{west['id']}/status", data={"active": "false", "csrf_token": token})
    assert "Du har ikke adgang til siden" in page(refused, 403)
    assert "Tilbuddet findes ikke." in page(client.get(f"/tilbud/{south['id']}"), 404)
    assert site.api.client.get(f"/api/v1/offers/{west['id']}").get_json()["active"] is True


# --- In Chromium ---------------------------------------------------------------------------------


def test_pia_finds_sorts_and_deactivates_an_offer_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    site.offer("10101", name="Jobsamtale", channel="in_person")
    site.offer("10101", name="Telefonsamtale", channel="phone", place=None)
    site.offer("20202", name="Cafémøde", channel="video", place=None)
    base = serve(site.app)
    page.goto(base + "/tilbud")
    page.get_by_role("button", name=PIA).click()  # the provider's login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Tilbud")
    expect(page.get_by_role("link", name="Tilbud", exact=True)).to_have_attribute("aria-current", "page")
    check(page, "staff-1-tilbudsliste")
    page.get_by_role("link", name="Navn (sortér faldende)").click()
    expect(page.get_by_role("columnheader", name="Navn")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("tbody tr").first).to_contain_text("Telefonsamtale")
    page.get_by_label("Kanal").select_option(label="Telefon")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("columnheader", name="Navn")).to_have_attribute("aria-sort", "descending")  # kept
    page.get_by_role("link", name="Nulstil filtre").click()
    page.get_by_role("link", name="Jobsamtale").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobsamtale")
    check(page, "staff-2-tilbudsside")
    page.get_by_role("button", name="Deaktivér tilbuddet").click()
    expect(page.get_by_role("status")).to_have_text("Tilbuddet er deaktiveret: borgerne kan ikke længere se det.")
    log = page.get_by_role("table", name="Alle ændringer af tilbuddet, nyeste først")
    expect(log.locator("tbody tr").first).to_contain_text("Pia Planlægger")
    expect(log.locator("tbody tr").first).to_contain_text("Aktiv")
    check(page, "staff-3-deaktiveret")
    page.goto(base + "/tilbud?conversation_type=999")
    expect(page).to_have_title(re.compile("^Fejl: Tilbud"))
    expect(page.get_by_role("alert")).to_be_focused()
    check(page, "staff-4-filterfejl")
