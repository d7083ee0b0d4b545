"""Templates of offers on the staff pages (A-4, O-2): Pia saves an offer as a template, the
wizard's step 1 fills its fields from it (every field still editable, the dates left to
the new offer), and the templates page lists and removes them; a reader only reads them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.offers.conftest import today
from tests.pages.staff_site import PIA, SICK_PAY, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_job_centres import ADA, post
from tests.pages.test_staff_offer_pages import page, texts
from tests.pages.test_staff_wizard import STEP1, Wizard, located


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    yield build_staff_site(build_browser_service)


def saved_template(site: StaffSite, client: Any, offer: dict[str, Any], name: str) -> Any:
    return post(site, client, f"/tilbud/{offer['id']}/skabelon", name=name)


def test_an_offer_saved_as_a_template_fills_the_wizard(site: StaffSite) -> None:
    offer = site.offer("10101", name="Jobsamtale for nyledige", duration_minutes=45, rules=SICK_PAY,
                       end_date=(today() + timedelta(days=200)).isoformat())  # fmt: skip
    pia = site.logged_in(PIA)
    form = page(pia.get(f"/tilbud/{offer['id']}/skabelon"))
    assert 'value="Jobsamtale for nyledige"' in form and "undtagen datoerne" in texts(form)
    refused = page(saved_template(site, pia, offer, ""), 422)
    assert 'id="name-fejl"' in refused
    saved = saved_template(site, pia, offer, "Nyledige")
    assert saved.status_code == 303
    listing = texts(page(pia.get(saved.headers["Location"])))
    assert "Skabelonen er gemt." in listing and "Nyledige Jobcenter 10101 Pia Planlægger" in listing
    taken = page(saved_template(site, pia, offer, "Nyledige"), 409)
    assert "Jobcentret har allerede en skabelon, der hedder Nyledige." in texts(taken)

    wizard = Wizard(site, pia)
    step1 = page(pia.get(f"{wizard.path}/trin/1"))
    assert "Udfyld fra skabelonen" in step1 and ">Nyledige</option>" in step1
    [template_id] = [t["id"] for t in site.api.client.get("/api/v1/offer-templates").get_json()["items"]]
    used = wizard.step(1, "use_template", **(STEP1 | {"name": ""}), template_id=template_id)
    assert used.headers["Location"].endswith("/trin/1?besked=skabelon")
    filled = page(pia.get(used.headers["Location"]))
    assert "Felterne er udfyldt fra skabelonen Nyledige." in texts(filled)
    assert 'value="Jobsamtale for nyledige"' in filled
    located(wizard.step(1, **(STEP1 | {"name": "Jobsamtale for nyledige, forår"})), 2)
    step2 = page(pia.get(f"{wizard.path}/trin/2"))
    assert 'id="duration_minutes" name="duration_minutes" type="text" value="45"' in step2
    assert 'name="end_date" type="date" value=""' in step2  # the dates are the new offer's own
    located(wizard.step(2, **wizard.time_fields(duration_minutes="45")), 3)
    assert "Sygedagpengemodtager" in page(pia.get(f"{wizard.path}/trin/3"))  # the rules came too


def test_a_template_of_another_centre_fills_nothing_and_a_reader_cannot_save_one(site: StaffSite) -> None:
    theirs = site.api.post("/offer-templates", {"job_centre_id": site.centres["30303"]["id"], "name": "Deres",
                                                "fields": {"name": "Fremmed"}})  # fmt: skip
    pia = site.logged_in(PIA)
    assert "Deres" not in texts(page(pia.get("/tilbud/skabeloner")))
    wizard = Wizard(site, pia)
    wizard.step(1, "use_template", **STEP1, template_id=theirs["id"])
    assert "Fremmed" not in page(pia.get(f"{wizard.path}/trin/1"))
    assert post(site, pia, f"/tilbud/skabeloner/{theirs['id']}/slet").status_code == 404
    offer = site.offer("10101")
    ada = site.logged_in(ADA)  # no planner: may read offers, not save templates
    assert ada.get(f"/tilbud/{offer['id']}/skabelon").status_code == 403
    assert saved_template(site, ada, offer, "Adas").status_code == 403
    assert site.api.client.get("/api/v1/offer-templates").get_json()["items"] == [theirs]


def test_a_template_is_removed_and_the_offers_made_from_it_stay(site: StaffSite) -> None:
    offer = site.offer("10101", name="Jobsamtale")
    pia = site.logged_in(PIA)
    saved_template(site, pia, offer, "Jobsamtale")
    [template] = site.api.client.get("/api/v1/offer-templates").get_json()["items"]
    removed = post(site, pia, f"/tilbud/skabeloner/{template['id']}/slet")
    assert "Skabelonen er fjernet." in texts(page(pia.get(removed.headers["Location"])))
    assert "Der er ingen skabeloner endnu." in texts(page(pia.get("/tilbud/skabeloner")))
    assert site.api.client.get(f"/api/v1/offers/{offer['id']}").status_code == 200


def test_templates_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    offer = site.offer("10101", name="Jobsamtale for nyledige")
    base = serve(site.app)
    page.goto(f"{base}/tilbud/{offer['id']}")
    page.get_by_role("button", name=PIA).click()
    page.get_by_role("link", name="Gem som skabelon").click()
    page.get_by_label("Skabelonens navn").fill("")
    page.get_by_role("button", name="Gem skabelonen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "staff-19-skabelon-fejl")
    page.get_by_label("Skabelonens navn").fill("Nyledige")
    page.get_by_role("button", name="Gem skabelonen").click()
    expect(page.get_by_role("status")).to_contain_text("Skabelonen er gemt.")
    check(page, "staff-20-skabeloner")
    page.get_by_role("link", name="Opret tilbud").click()
    page.get_by_role("button", name="Start et nyt tilbud").click()
    page.get_by_label("Udfyld felterne fra en skabelon (valgfrit)").select_option(label="Nyledige")
    page.get_by_role("button", name="Udfyld fra skabelonen").click()
    expect(page.get_by_role("status")).to_contain_text("Felterne er udfyldt fra skabelonen Nyledige.")
    expect(page.get_by_label("Navn", exact=True)).to_have_value("Jobsamtale for nyledige")
    check(page, "staff-21-trin-1-skabelon")
