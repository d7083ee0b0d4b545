"""Who booked, on the staff's offer page (V-3, V-4): the offers service asks a real booking
service over HTTP. Numbers are masked until "Vis", each shown number is logged with the
person who saw it, the search by name or CPR number goes by POST, and the Excel file holds
CPR numbers as text and a name that looks like a formula as harmless text."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from services.offers.participants.booking_api import BookingApi
from services.offers.participants.view import BOOKING_API
from shared.cpr_vault import vault_for_settings
from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import TODAY, at, fictitious_cpr
from tests.identities import IT_KEY
from tests.pages.citizen_site import build_citizen_site
from tests.pages.staff_site import PIA, WithBooking, build_staff_site, with_booking
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_offer_pages import page, texts

FORMULA = '=HYPERLINK("http://x","y")'
PEOPLE = {0: "Anne Hansen", 1: FORMULA, 2: "Bo Nielsen"}


@pytest.fixture
def world(build_browser_service: BuildBrowserService, serve: Any) -> Iterator[WithBooking]:
    site = build_staff_site(build_browser_service)
    booking = build_citizen_site(build_browser_service, at(TODAY, 9))
    yield with_booking(site, booking, serve(booking.app), PEOPLE)


def shown_log(world: WithBooking) -> list[tuple[str, str, str]]:
    opened = vault_for_settings(world.site.service.context.settings)
    rows = world.site.service.rows("cpr_access_log", "purpose LIKE 'participant_%'")
    return [
        (r["actor"], r["purpose"], opened.unseal(r["subject_cpr_sealed"]).digits)
        for r in sorted(rows, key=lambda r: r["id"])
    ]


def post(world: WithBooking, client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": world.site.service.csrf_token(client), **form})


def test_the_offer_page_lists_who_booked_with_numbers_masked(world: WithBooking) -> None:
    client = world.site.logged_in()
    raw = page(client.get(f"/tilbud/{world.offer['id']}"))
    html = texts(raw)
    assert "3 borgere har booket." in html
    for n, name in PEOPLE.items():
        assert f"{name} {fictitious_cpr(n)[:6]}-XXXX Dagpengemodtager 36" in html, name
    assert "kl. 09.00-09.30" in html and fictitious_cpr(0) not in html
    assert shown_log(world) == []
    weeks = texts(re.search(r'<table class="table">\s*<caption id="uger-caption">.*?</table>', raw, re.S)[0])
    assert "Uge 50: 7.-13. december 2026 4 3 1" in weeks and "Uge 51: 14.-20. december 2026 1 0 1" in weeks
    chart = re.search(r'<svg class="week-chart" role="img".*?</svg>', raw, re.S)[0]
    assert "<title" in chart and "<desc" in chart and "3 booket, 1 ledige" in chart


def test_vis_shows_one_number_and_logs_who_saw_it(world: WithBooking) -> None:
    client = world.site.logged_in()
    answer = post(world, client, f"/tilbud/{world.offer['id']}/deltagere", vis=world.booking_ids["Bo Nielsen"])
    html = texts(page(answer))
    assert "Bo Nielsen 010190-4002" in html and "Anne Hansen 010190-XXXX" in html
    assert answer.headers["Cache-Control"] == "no-store"
    [(actor, purpose, digits)] = shown_log(world)
    assert actor.startswith("staff:") and purpose == "participant_shown" and digits == fictitious_cpr(2)


def test_the_search_finds_a_name_or_a_cpr_number_by_post(world: WithBooking) -> None:
    client = world.site.logged_in()
    path = f"/tilbud/{world.offer['id']}/deltagere"
    by_name = texts(page(post(world, client, path, search="anne")))
    assert "1 borger har booket." in by_name and "Bo Nielsen" not in by_name
    for written in (fictitious_cpr(2), f"{fictitious_cpr(2)[:6]}-{fictitious_cpr(2)[6:]}"):
        found = texts(page(post(world, client, path, search=written)))
        assert "Bo Nielsen" in found and "Anne Hansen" not in found, written
    nobody = texts(page(post(world, client, path, search="0101909999")))
    assert "Ingen deltagere passer til søgningen." in nobody
    assert [purpose for _, purpose, _ in shown_log(world)] == ["participant_search"] * 3
    too_long = page(post(world, client, path, search="x" * 201))
    assert "Skriv højst 200 tegn." in too_long


def test_the_excel_file_keeps_numbers_as_text_and_runs_no_formula(world: WithBooking) -> None:
    client = world.site.logged_in()
    answer = post(world, client, f"/tilbud/{world.offer['id']}/deltagere.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="deltagere-jobsamtale.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == ("Navn", "CPR-nummer", "Kontaktgruppe", "Alder")
    assert [row[:2] for row in rows[1:]] == [
        ("Anne Hansen", "010190-4000"), ("'" + FORMULA, "010190-4001"), ("Bo Nielsen", "010190-4002"),
    ]  # fmt: skip
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=3, max_col=3) for cell in row)
    assert [purpose for _, purpose, _ in shown_log(world)] == ["participant_export"] * 3


def test_a_booking_service_that_does_not_answer_leaves_the_page_working(world: WithBooking) -> None:
    world.site.app.extensions[BOOKING_API] = BookingApi("http://127.0.0.1:9", IT_KEY.key, 2)  # nobody listens
    client = world.site.logged_in()
    html = texts(page(client.get(f"/tilbud/{world.offer['id']}")))
    assert "Deltagerlisten kan ikke hentes lige nu. Prøv igen om lidt." in html and "Jobsamtale" in html
    refused = post(world, client, f"/tilbud/{world.offer['id']}/deltagere.xlsx")
    assert "Deltagerlisten kan ikke hentes lige nu." in page(refused, 503)


def test_pia_finds_a_participant_and_shows_the_number_in_chromium(page: Page, world: WithBooking, serve: Any) -> None:
    base = serve(world.site.app)
    page.goto(f"{base}/tilbud/{world.offer['id']}")
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_role("heading", level=2, name="Deltagere", exact=True)).to_be_visible()
    check(page, "staff-5-deltagere")
    page.get_by_label("Søg på navn eller CPR-nummer").fill("010190-4002")
    page.get_by_role("button", name="Søg", exact=True).click()
    expect(page.get_by_role("table", name=re.compile("Borgere med en booket tid")).locator("tbody tr")).to_have_count(1)
    assert "4002" not in page.url
    page.get_by_role("button", name="Vis CPR-nummer for Bo Nielsen").click()
    expect(page.locator("td.cpr")).to_have_text("010190-4002")
    check(page, "staff-6-vis-cpr")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Download \\(Excel\\)")).click()
    assert download_info.value.suggested_filename == "deltagere-jobsamtale.xlsx"


def test_a_new_end_date_lists_the_bookings_left_outside_it_and_drops_none(world: WithBooking) -> None:
    client = world.site.logged_in()
    offer_id = world.offer["id"]
    started = post(world, client, f"/tilbud/{offer_id}/rediger")
    draft = started.headers["Location"].rsplit("/trin/", 1)[0]
    fields = {"handling": "naeste", "team_id": world.site.teams["10101"]["id"],
              "advisor_ids": world.site.advisors["10101"]["id"], "citizen_may_choose_advisor": "ja",
              "place": "Torvet 1", "duration_minutes": "30", "reporting_minutes": "15", "start_minutes": ["0", "30"],
              "first_meeting_date": TODAY.isoformat(), "end_date": (TODAY + timedelta(days=1)).isoformat(),
              "rolling_weeks": "4", "opens_on": TODAY.isoformat(), "accept_cancellation": "ja", "rebooking": "ja",
              "rebooking_days_before": "2"}  # fmt: skip
    assert post(world, client, f"{draft}/trin/2", **fields).status_code == 303
    summary = texts(page(client.get(f"{draft}/trin/4")))
    assert "3 bookinger kommer til at ligge efter den nye slutdato" in summary and "Bo Nielsen" in summary
    assert post(world, client, f"{draft}/gem", handling="aendringer").status_code == 303
    html = texts(page(client.get(f"/tilbud/{offer_id}")))
    assert "3 bookinger ligger efter slutdatoen" in html and "3 borgere har booket." in html
    assert "Fast slutdato Løbende slutdato" not in html and "Fast slutdato 8. december 2026" in html
