"""The staff's job-centre pages (A-1, A-3): the centres a person may read, with their
sub-centres, and a centre's closing days, added and removed by its administrator (Ada) and
only read by its planner (Pia)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from services.offers.models import ClosingDay, JobCentre
from shared import formatting as fmt
from tests.auth.conftest import BuildBrowserService
from tests.offers.conftest import today
from tests.pages.staff_site import PIA, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_offer_pages import page, texts

ADA = "staff-ada"  # administrator at 10101, reader at 20202


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> StaffSite:
    site = build_staff_site(build_browser_service)
    with site.service.context.db.transaction() as session:  # 20202 is a sub-centre of 10101 here
        session.execute(
            update(JobCentre).where(JobCentre.code == "20202").values(parent_id=site.centres["10101"]["id"])
        )
    return site


def centre_path(site: StaffSite, code: str = "10101") -> str:
    return f"/jobcentre/{site.centres[code]['id']}"


def shown(day: date) -> str:
    return f"{fmt.day_title(day)} {day.year}"


def closing_days(site: StaffSite, code: str = "10101") -> list[tuple[date, str]]:
    with site.service.context.db.transaction() as session:
        rows = session.execute(
            select(ClosingDay.day, ClosingDay.reason)
            .join(JobCentre)
            .where(JobCentre.code == code)
            .order_by(ClosingDay.day)
        )
        return [(day, reason) for day, reason in rows]


def post(site: StaffSite, client: Any, path: str, **form: Any) -> Any:
    return client.post(path, data={"csrf_token": site.service.csrf_token(client), **form})


def test_the_centres_a_person_reads_are_listed_with_their_sub_centres(site: StaffSite) -> None:
    listing = texts(page(site.logged_in(ADA).get("/jobcentre")))
    assert "lukkedage. Jobcenter 10101 (10101) Jobcenter 20202 (20202) Tilgængelighedserklæring" in listing
    assert "30303" not in listing
    centre = texts(page(site.logged_in(ADA).get(centre_path(site))))
    assert "Underjobcentre Jobcenter 20202 (20202)" in centre and "Jobcenterkode 10101" in centre
    sub = texts(page(site.logged_in(ADA).get(centre_path(site, "20202"))))
    assert "Underjobcenter af Jobcenter 10101" in sub


def test_an_administrator_adds_and_removes_a_closing_day(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    day = today() + timedelta(days=20)
    added = post(site, client, centre_path(site) + "/lukkedage", day=day.isoformat(), reason="Personaledag")
    assert added.status_code == 303
    after = texts(page(client.get(added.headers["Location"])))
    assert "Lukkedagen er tilføjet." in after and f"{shown(day)} Personaledag Fjern" in after
    assert closing_days(site) == [(day, "Personaledag")]

    removed = post(site, client, f"{centre_path(site)}/lukkedage/{day.isoformat()}/fjern")
    assert removed.status_code == 303
    after = texts(page(client.get(removed.headers["Location"])))
    assert "Lukkedagen er fjernet." in after and "ingen kommende lukkedage" in after
    assert closing_days(site) == []
    again = post(site, client, f"{centre_path(site)}/lukkedage/{day.isoformat()}/fjern")
    assert f"Jobcentret har ingen lukkedag den {day:%d-%m-%Y}." in page(again, 404)


@pytest.mark.parametrize(
    ("day", "status", "message"),
    [
        (lambda: (today() - timedelta(days=1)).isoformat(), 422, "Lukkedagen ligger i fortiden."),
        (lambda: "", 422, "Lukkedag skal udfyldes."),
        (lambda: "24-12-2026", 422, "Skal være en dato (ÅÅÅÅ-MM-DD)."),
        (lambda: (today() + timedelta(days=5)).isoformat(), 409, "Jobcentret har allerede en lukkedag den"),
    ],
    ids=["past", "missing", "not-iso", "taken"],
)
def test_a_refused_closing_day_is_explained_at_its_field_and_the_text_kept(
    site: StaffSite, day: Any, status: int, message: str
) -> None:
    client = site.logged_in(ADA)
    post(site, client, centre_path(site) + "/lukkedage", day=(today() + timedelta(days=5)).isoformat())
    refused = page(post(site, client, centre_path(site) + "/lukkedage", day=day(), reason="Flytning"), status)
    assert '<p class="error-message" id="day-fejl">' in refused and message in texts(refused)
    assert 'aria-invalid="true"' in refused and 'value="Flytning"' in refused
    assert closing_days(site) == [(today() + timedelta(days=5), "Lukkedag")]


def test_the_optional_closing_days_are_chosen_by_the_administrator(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    saved = post(site, client, centre_path(site) + "/faste-lukkedage", closed=["christmas_eve", "unknown"])
    assert saved.status_code == 303
    html = page(client.get(saved.headers["Location"]))
    assert "De faste lukkedage er gemt." in html
    with site.service.context.db.transaction() as session:
        centre = session.scalar(select(JobCentre).where(JobCentre.code == "10101"))
        assert centre is not None and centre.closed_optional_days == ["christmas_eve"]
    assert 'value="christmas_eve" checked' in html and 'value="new_years_eve">' in html


def test_a_planner_reads_the_closing_days_but_cannot_change_them(site: StaffSite) -> None:
    admin = site.logged_in(ADA)
    day = today() + timedelta(days=9)
    post(site, admin, centre_path(site) + "/lukkedage", day=day.isoformat())
    pia = site.logged_in(PIA)
    html = texts(page(pia.get(centre_path(site))))
    assert f"{shown(day)} Lukkedag" in html and "Kun jobcentrets administratorer kan ændre lukkedagene." in html
    assert "Tilføj lukkedag" not in html and "Fjern" not in html
    assert "Grundlovsdag (5. juni): lukket" in html
    for path in ("/lukkedage", f"/lukkedage/{day.isoformat()}/fjern", "/faste-lukkedage"):
        assert post(site, pia, centre_path(site) + path, day=day.isoformat()).status_code == 403
    assert "Jobcentret findes ikke." in page(pia.get(centre_path(site, "30303")), 404)
    assert closing_days(site) == [(day, "Lukkedag")]


def test_the_closing_days_page_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    base = serve(site.app)
    page.goto(base + "/jobcentre")
    page.get_by_role("button", name=ADA).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobcentre")
    check(page, "staff-9-jobcentre")
    page.get_by_role("link", name="Jobcenter 10101", exact=True).click()
    page.get_by_label("Dato").fill((today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Tilføj lukkedag").click()
    expect(page.get_by_role("alert")).to_contain_text("Lukkedagen ligger i fortiden.")
    check(page, "staff-10-lukkedage-fejl")
    day = today() + timedelta(days=30)
    page.get_by_label("Dato").fill(day.isoformat())
    page.get_by_label("Årsag (valgfri)").fill("Personaledag")
    page.get_by_role("button", name="Tilføj lukkedag").click()
    expect(page.get_by_role("status")).to_contain_text("Lukkedagen er tilføjet.")
    check(page, "staff-11-lukkedage")
    page.get_by_role("button", name=f"Fjern lukkedagen {shown(day)}").click()
    expect(page.get_by_role("status")).to_contain_text("Lukkedagen er fjernet.")
    page.get_by_role("button", name="Log af").click()
    page.goto(base + centre_path(site))  # the planner's read-only view
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_text("Kun jobcentrets administratorer kan ændre lukkedagene.")).to_be_visible()
    check(page, "staff-12-lukkedage-laes")


def test_an_administrator_keeps_the_centres_list_of_variants(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    refused = page(post(site, client, centre_path(site) + "/varianter", conversation_type="", name="Opstart"), 422)
    assert 'id="conversation_type-fejl"' in refused and 'value="Opstart"' in refused
    added = post(site, client, centre_path(site) + "/varianter", conversation_type="7", name="Opstart")
    assert added.status_code == 303
    after = texts(page(client.get(added.headers["Location"])))
    assert "Varianten er tilføjet." in after and "7 Jobsamtale Opstart Fjern varianten Opstart" in after
    again = page(post(site, client, centre_path(site) + "/varianter", conversation_type="7", name="Opstart"), 409)
    assert "Jobcentret har allerede varianten Opstart af Jobsamtale." in texts(again)
    [variant] = site.api.client.get(
        f"/api/v1/job-centres/{site.centres['10101']['id']}/conversation-variants"
    ).get_json()["items"]
    removed = post(site, client, f"{centre_path(site)}/varianter/{variant['id']}/fjern")
    assert "Varianten er fjernet." in texts(page(client.get(removed.headers["Location"])))
    assert "Jobcentret har ingen varianter endnu." in texts(page(client.get(centre_path(site))))
    pia = site.logged_in(PIA)
    assert "Tilføj variant" not in texts(page(pia.get(centre_path(site))))
    assert post(site, pia, centre_path(site) + "/varianter", conversation_type="7", name="Opstart").status_code == 403


def test_an_administrator_of_every_centre_creates_a_centre_and_a_sub_centre(site: StaffSite) -> None:
    nina = site.logged_in("staff-nina")
    assert "Opret jobcenter" in texts(page(nina.get("/jobcentre")))
    made = post(site, nina, "/jobcentre/nyt", code="40404", name="Jobcenter Nordby", region="AMK Øst",
                timezone="Europe/Copenhagen", parent_id="")  # fmt: skip
    assert made.status_code == 303
    assert "Jobcentret er oprettet." in texts(page(nina.get(made.headers["Location"])))
    parent = made.headers["Location"].split("/jobcentre/")[1].split("?")[0]
    sub = post(site, nina, "/jobcentre/nyt", code="40405", name="Nordby Syd", parent_id=parent, region="",
               timezone="Europe/Copenhagen")  # fmt: skip
    html = texts(page(nina.get(sub.headers["Location"])))
    assert "Underjobcenter af Jobcenter Nordby" in html and "Region AMK Øst" in html  # the parent's region
    taken = page(post(site, nina, "/jobcentre/nyt", code="40404", name="Igen", timezone="Europe/Copenhagen"), 409)
    assert "Der findes allerede et jobcenter med koden 40404." in texts(taken) and 'id="code-fejl"' in taken
    wrong = page(post(site, nina, "/jobcentre/nyt", code="4040", name="Kort", timezone="Europe/Copenhagen"), 422)
    assert "Jobcenterkoden skal være 5 cifre" in texts(wrong) and 'value="Kort"' in wrong


def test_a_centres_administrator_may_create_no_other_centre(site: StaffSite) -> None:
    ada = site.logged_in(ADA)
    refused = page(post(site, ada, "/jobcentre/nyt", code="40404", name="Nyt", timezone="Europe/Copenhagen"), 403)
    assert 'id="code-fejl"' in refused and "du er ikke administrator for den" in texts(refused)
    assert "Opret jobcenter" not in texts(page(ada.get("/jobcentre")))  # her one code has its centre
    assert site.logged_in(PIA).get("/jobcentre/nyt").status_code == 403
    assert "Opret jobcenter" not in texts(page(site.logged_in(PIA).get("/jobcentre")))


def test_the_new_centre_page_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    base = serve(site.app)
    page.goto(base + "/jobcentre")
    page.get_by_role("button", name="staff-nina").click()
    page.get_by_role("link", name="Opret jobcenter").click()
    page.get_by_role("button", name="Opret jobcentret").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "staff-24-opret-jobcenter-fejl")
