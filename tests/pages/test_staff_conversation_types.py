"""The conversation types on the staff pages (A-2): everyone with a role reads the national
list with each type's status and offers; an administrator of every job centre (Nina) adds a
type, renames one and retires one, which the centres' variant forms then no longer offer; a
centre's administrator (Ada) only reads. Wrong input is explained at its field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.pages.staff_site import PIA, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_job_centres import ADA, centre_path, post
from tests.pages.test_staff_offer_pages import page, texts
from tests.pages.test_staff_reference_lists import NINA
from tests.pages.test_staff_wizard import Wizard


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    yield build_staff_site(build_browser_service)


def names(site: StaffSite) -> dict[int, str]:
    return {t["code"]: t["name"] for t in site.api.client.get("/api/v1/conversation-types").get_json()["items"]}


def test_everyone_reads_the_types_and_only_national_administrators_change_them(site: StaffSite) -> None:
    site.offer("10101")  # a Jobsamtale (7)
    for who in (PIA, ADA):
        shown = texts(page(site.logged_in(who).get("/samtaletyper")))
        assert "7 Jobsamtale I brug 1 Fra kodelisten" in shown
        assert "19 Fælles jobsamtale med dagpengemodtager I brug 0" in shown
        assert "Kun administratorer for alle jobcentre kan ændre samtaletyperne." in shown
        assert "Tilføj samtaletype" not in shown
    ada = site.logged_in(ADA)
    assert ada.get("/samtaletyper/7").status_code == 403
    assert post(site, ada, "/samtaletyper/7", name="Ny", retired="nej").status_code == 403
    assert post(site, ada, "/samtaletyper", code="21", name="Ny").status_code == 403
    assert names(site)[7] == "Jobsamtale" and 21 not in names(site)
    assert "Tilføj samtaletype" in texts(page(site.logged_in(NINA).get("/samtaletyper")))


def test_a_national_administrator_adds_renames_and_retires_a_type(site: StaffSite) -> None:
    nina = site.logged_in(NINA)
    added = post(site, nina, "/samtaletyper", code="21", name="Jobsamtale med virksomhed")
    assert added.status_code == 303
    assert "Samtaletypen er tilføjet." in texts(page(nina.get(added.headers["Location"])))
    form = texts(page(nina.get("/samtaletyper/7")))
    assert "Ret samtaletypen 7 Jobsamtale" in form and "Ingen tilbud har samtaletypen endnu." in form
    assert post(site, nina, "/samtaletyper/7", name="Jobsamtale i jobcentret", retired="nej").status_code == 303
    assert post(site, nina, "/samtaletyper/8", name="Henvisning", retired="ja").status_code == 303
    assert names(site)[21] == "Jobsamtale med virksomhed" and names(site)[7] == "Jobsamtale i jobcentret"
    assert "8 Henvisning Udgået" in texts(page(nina.get("/samtaletyper")))
    variant_form = page(site.logged_in(ADA).get(centre_path(site)))  # the centre's "Tilføj en variant"
    assert ">21 Jobsamtale med virksomhed</option>" in variant_form
    assert ">7 Jobsamtale i jobcentret</option>" in variant_form
    assert ">8 Henvisning</option>" not in variant_form


def test_the_wizard_offers_a_retired_type_only_to_the_offer_that_has_it(site: StaffSite) -> None:
    kept = site.offer("10101", conversation_type=8, name="Henvisning til forløb")
    retired = site.api.client.put("/api/v1/conversation-types/8", json={"name": "Henvisning", "retired": True})
    assert retired.status_code == 200
    pia = site.logged_in(PIA)
    new = page(pia.get(f"{Wizard(site, pia).path}/trin/1"))
    assert ">7 Jobsamtale</option>" in new and "8 Henvisning" not in new
    editing = Wizard(site, pia, f"/tilbud/{kept['id']}/rediger")
    edited = page(pia.get(f"{editing.path}/trin/1"))
    assert "8 Henvisning (udgået)</option>" in edited


def test_wrong_input_is_explained_at_its_field_and_changes_nothing(site: StaffSite) -> None:
    nina = site.logged_in(NINA)
    not_a_code = page(post(site, nina, "/samtaletyper", code="syv", name="Ny type"), 422)
    assert 'id="code-fejl"' in not_a_code and "Koden skal være et helt tal fra 1 til 999." in texts(not_a_code)
    assert 'value="Ny type"' in not_a_code  # what was typed stays
    taken = texts(page(post(site, nina, "/samtaletyper", code="7", name="Ny type"), 422))
    assert "Koden 7 bruges allerede af Jobsamtale; ret den i tabellen i stedet." in taken
    same_name = texts(page(post(site, nina, "/samtaletyper/4", name="jobsamtale", retired="nej"), 422))
    assert "Navnet bruges allerede af samtaletype 7 Jobsamtale." in same_name
    empty = texts(page(post(site, nina, "/samtaletyper/4", name=" ", retired="nej"), 422))
    assert "Navn skal udfyldes." in empty
    assert "Samtaletypen findes ikke." in texts(page(nina.get("/samtaletyper/998"), 404))
    assert names(site)[4] == "Opfølgningssamtale" and set(names(site)) == {4, 7, 8, 9, 10, 11, 12, 13, 15, 17, 19}


def test_the_conversation_types_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    base = serve(site.app)
    page.goto(base + "/samtaletyper")
    page.get_by_role("button", name=NINA).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samtaletyper")
    page.get_by_label("Kode").fill("7")
    page.get_by_label("Navn", exact=True).fill("Ny type")
    page.get_by_role("button", name="Tilføj samtaletype").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "staff-25-samtaletyper-fejl")
    page.get_by_role("link", name="Ret 8 Henvisning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ret samtaletypen 8 Henvisning")
    page.get_by_label("Udgået").check()
    check(page, "staff-26-ret-samtaletype")
    page.get_by_role("button", name="Gem samtaletypen").click()
    expect(page.get_by_role("status")).to_have_text("Samtaletypen er gemt.")
    expect(page.locator("#type-8")).to_contain_text("Udgået")
    check(page, "staff-27-samtaletyper")
