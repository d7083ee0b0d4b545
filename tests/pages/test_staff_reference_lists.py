"""The reference lists on the staff pages (A-5): everyone with a role reads every list and
the person-group markers; an administrator of every job centre (Nina) replaces a list, a
value in use is refused with the offers named, and a renamed value kept as a former name
takes the offers using it along; a centre's administrator (Ada) only reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.pages.staff_site import PIA, SICK_PAY, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_job_centres import ADA, post
from tests.pages.test_staff_offer_pages import page, texts

NINA = "staff-nina"  # administrator at every job centre


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    yield build_staff_site(build_browser_service)


def values(site: StaffSite, kind: str) -> dict[str, Any]:
    return dict(site.api.client.get(f"/api/v1/reference-lists/{kind}").get_json())


def test_everyone_with_a_role_reads_the_lists_and_only_national_administrators_change_them(site: StaffSite) -> None:
    for who in (PIA, ADA):
        html = texts(page(site.logged_in(who).get("/referencelister")))
        assert "Kontaktgrupper" in html and "Sygedagpengemodtager" in html and "Persongruppemarkeringer" in html
        assert "Kun administratorer for alle jobcentre kan ændre listerne." in html and "Ret listen" not in html
    ada = site.logged_in(ADA)
    assert ada.get("/referencelister/contact_groups").status_code == 403
    assert post(site, ada, "/referencelister/contact_groups", values="Kun dette").status_code == 403
    assert "Ret listen" in texts(page(site.logged_in(NINA).get("/referencelister")))


def test_a_national_administrator_adds_a_value_and_renames_one(site: StaffSite) -> None:
    nina = site.logged_in(NINA)
    form = page(nina.get("/referencelister/sick_pay_categories"))
    assert ">1\n2\n3</textarea>" in form
    saved = post(site, nina, "/referencelister/sick_pay_categories", values="1\n2\n3\n4", aliases="")
    assert saved.status_code == 303
    assert "Listen er gemt." in texts(page(nina.get(saved.headers["Location"])))
    assert values(site, "sick_pay_categories")["values"] == ["1", "2", "3", "4"]

    offer = site.offer("10101", rules=SICK_PAY)  # uses Sygedagpengemodtager
    listed = values(site, "contact_groups")["values"]
    renamed = [("Sygedagpenge" if v == "Sygedagpengemodtager" else v) for v in listed]
    refused = page(post(site, nina, "/referencelister/contact_groups", values="\n".join(renamed), aliases=""), 409)
    assert 'id="values-fejl"' in refused and "Sygedagpengemodtager" in texts(refused)
    assert "Sygedagpenge\n" in refused  # the text typed is kept
    kept = post(site, nina, "/referencelister/contact_groups", values="\n".join(renamed),
                aliases="Sygedagpengemodtager = Sygedagpenge")  # fmt: skip
    assert kept.status_code == 303
    rule = site.api.client.get(f"/api/v1/offers/{offer['id']}").get_json()["rules"]["groups"][0]["rules"][0]
    assert rule["value"] == "Sygedagpenge"  # the offer followed the new name


def test_a_wrong_list_is_explained_at_its_field(site: StaffSite) -> None:
    nina = site.logged_in(NINA)
    refused = page(post(site, nina, "/referencelister/sick_pay_categories", values="1\n1", aliases=""), 422)
    assert 'id="values-fejl"' in refused and 'aria-invalid="true"' in refused
    assert "Linje 2: '1' står flere gange i listen." in texts(refused)  # the line, counted as staff count
    markers = page(post(site, nina, "/referencelister/person_group_markers", markers="X1; Navn; planet"), 422)
    assert 'id="markers-fejl"' in markers
    assert "Listen findes ikke. Brug en af: contact_groups" in texts(page(nina.get("/referencelister/farver"), 404))
    assert values(site, "sick_pay_categories")["values"] == ["1", "2", "3"]  # nothing changed


def test_the_reference_lists_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    base = serve(site.app)
    page.goto(base + "/referencelister")
    page.get_by_role("button", name=NINA).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referencelister")
    check(page, "staff-22-referencelister")
    page.get_by_role("link", name="Ret listen Sygedagpengekategorier").click()
    page.get_by_label("Værdier").fill("1\n1")
    page.get_by_role("button", name="Gem listen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "staff-23-referenceliste-fejl")
