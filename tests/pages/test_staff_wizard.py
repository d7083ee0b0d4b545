"""The offer wizard (O-1 to O-10, R-1 to R-3) through the Flask test client, as a browser
without JavaScript uses it: a draft kept between steps and logins, every message in Danish at
its field, the phone number's fallback shown as it will apply, the rule builder's buttons,
and saving through the same operation as the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth.conftest import BuildBrowserService
from tests.pages.staff_site import PIA, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_english import in_english
from tests.pages.test_staff_offer_pages import page, texts

STEP1 = {"name": "Jobsamtale i Øst", "description": "Vi taler om dit næste job.", "conversation_type": "7",
         "variant": "", "meeting_form": "individual", "channel": "in_person"}  # fmt: skip


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[StaffSite]:
    yield build_staff_site(build_browser_service)


class Wizard:
    """One person's way through the wizard."""

    def __init__(self, site: StaffSite, client: Any, start: str = "/tilbud/ny") -> None:
        """Start a new offer (or, with ``start`` = ``/tilbud/{id}/rediger``, an edit)."""
        self.site, self.client = site, client
        self.started = self.post(start)
        assert self.started.status_code == 303, self.started.get_data(as_text=True)
        self.path = self.started.headers["Location"].rsplit("/trin/", 1)[0]

    def post(self, path: str, data: Any = None) -> Any:
        form = dict(data or {})
        form["csrf_token"] = self.site.service.csrf_token(self.client)
        return self.client.post(path, data=form)

    def step(self, number: int, action: str = "naeste", **fields: Any) -> Any:
        return self.post(f"{self.path}/trin/{number}", {**fields, "handling": action})

    def time_fields(self, **overrides: Any) -> dict[str, Any]:
        values = {
            "team_id": self.site.teams["10101"]["id"], "advisor_ids": [self.site.advisors["10101"]["id"]],
            "citizen_may_choose_advisor": "nej", "room_id": "", "place": "Torvet 1", "phone": "", "caller": "advisor",
            "duration_minutes": "45", "reporting_minutes": "15", "start_minutes": ["0", "30"],
            "first_meeting_date": "2027-01-04", "end_date": "", "rolling_weeks": "6", "opens_on": "",
            "accept_cancellation": "ja", "rebooking": "ja", "rebooking_days_before": "2",
        }  # fmt: skip
        return values | overrides

    def rules(self, *rules: tuple[str, str, str], action: str = "naeste", **extra: str) -> Any:
        fields = {"groups": "1", "g0-match": "all", "g0-rules": str(len(rules)), "join": "and", **extra}
        for i, (rule_type, condition, value) in enumerate(rules):
            fields |= {f"g0-r{i}-type": rule_type, f"g0-r{i}-condition": condition, f"g0-r{i}-value": value}
        return self.step(3, action, **fields)


def located(response: Any, step: int) -> None:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith(f"/trin/{step}"), response.headers["Location"]


def error_at(html: str, field: str) -> str:
    """The message shown at ``field`` (and linked from the summary)."""
    match = re.search(rf'<p class="error-message" id="{re.escape(field)}-fejl">(.*?)</p>', html, re.S)
    assert match, f"no message at {field}"
    message = texts(match[1]).replace("Fejl: ", "").strip()
    assert f'href="#{field}">{message}</a>' in unescape(html) or f"#{field}" in html
    return message


def test_a_planner_creates_an_offer_in_four_steps(site: StaffSite) -> None:
    wizard = Wizard(site, site.logged_in())
    assert 'aria-current="step">1. Type' in page(wizard.client.get(f"{wizard.path}/trin/1"))
    located(wizard.step(1, **STEP1), 2)
    located(wizard.step(2, **wizard.time_fields()), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager"), ("age", "gte", "25")), 4)
    summary = texts(page(wizard.client.get(f"{wizard.path}/trin/4")))
    for words in ("Navn Jobsamtale i Øst Redigér navn", "Mødested Torvet 1", "Varighed 45 minutter",
                  "Løbende slutdato 6 uger fra bookingen", "Accepter ombooking Indtil 2 dage før mødet",
                  "Kontaktgruppe lig med Dagpengemodtager", "Alder større end eller lig med 25"):  # fmt: skip
        assert words in summary, words
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "aktiv"})
    assert saved.status_code == 303 and "besked=oprettet" in saved.headers["Location"]
    offer_id = saved.headers["Location"].split("/tilbud/")[1].split("?")[0]
    offer = site.api.client.get(f"/api/v1/offers/{offer_id}").get_json()
    assert offer["name"] == "Jobsamtale i Øst" and offer["duration_minutes"] == 45 and offer["active"] is True
    assert offer["rules"]["groups"][0]["rules"][1] == {"type": "age", "condition": "gte", "value": 25}
    assert offer["start_minutes"] == [0, 30] and offer["rebooking_days_before"] == 2
    assert "Pia Planlægger" in texts(page(wizard.client.get(saved.headers["Location"])))
    assert "Du har ingen kladder" in page(wizard.client.get("/tilbud/ny"))  # the draft became the offer


def test_every_problem_is_said_in_danish_at_its_field_and_nothing_typed_is_lost(site: StaffSite) -> None:
    wizard = Wizard(site, site.logged_in())
    refused = page(wizard.step(1, **(STEP1 | {"name": "", "description": "x" * 501})), 422)
    assert "<title>Fejl: Trin 1: Type" in refused and "Der er problemer" in refused
    assert error_at(refused, "name") == "Skriv tilbuddets navn."
    assert "500" in error_at(refused, "description")
    assert "x" * 501 in refused  # kept as typed
    located(wizard.step(1, **STEP1), 2)
    time = page(wizard.step(2, **wizard.time_fields(advisor_ids=[], duration_minutes="0", start_minutes=["7"])), 422)
    assert error_at(time, "advisor_ids") == "Vælg mindst én vejleder."
    assert error_at(time, "duration_minutes") == "Varigheden skal være mindst 1 minut."
    assert "start_minutes" in re.findall(r'id="([a-z_]+)-fejl"', time)
    back = wizard.step(2, "tilbage", **wizard.time_fields(duration_minutes="50"))
    located(back, 1)  # back without checking, and the step kept
    assert 'value="50"' in page(wizard.client.get(f"{wizard.path}/trin/2"))
    assert wizard.client.get(f"{wizard.path}/trin/4").headers["Location"].endswith("/trin/2")  # not reached yet


def test_a_phone_meeting_shows_the_number_it_will_use(site: StaffSite) -> None:
    team, advisor = site.teams["10101"], site.advisors["10101"]
    silent = site.api.advisor(site.centres["10101"], team, name="Uden Telefon", phone=None, caldav_url=None,
                              caldav_username=None, caldav_password=None)  # fmt: skip
    wizard = Wizard(site, site.logged_in())
    located(wizard.step(1, **(STEP1 | {"channel": "phone"})), 2)
    located(wizard.step(2, "gem", **wizard.time_fields(place="")), 2)
    assert "Tomt: 70000001 (den første vejleders nummer)." in texts(page(wizard.client.get(f"{wizard.path}/trin/2")))
    wizard.step(2, "gem", **wizard.time_fields(advisor_ids=[silent["id"], advisor["id"]]))
    assert "Tomt: 70000000 (teamets nummer)." in texts(page(wizard.client.get(f"{wizard.path}/trin/2")))
    located(wizard.step(2, **wizard.time_fields(advisor_ids=[silent["id"]], phone="70 11 22 33")), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager")), 4)
    assert "Telefonnummer 70 11 22 33" in texts(page(wizard.client.get(f"{wizard.path}/trin/4")))


def test_the_rule_builder_adds_and_removes_rules_and_groups_without_javascript(site: StaffSite) -> None:
    wizard = Wizard(site, site.logged_in())
    located(wizard.step(1, **STEP1), 2)
    located(wizard.step(2, **wizard.time_fields()), 3)
    added = wizard.rules(("contact_group", "eq", "Dagpengemodtager"), action="add_rule:0")
    assert added.headers["Location"].endswith("/trin/3#regler")
    html = page(wizard.client.get(f"{wizard.path}/trin/3"))
    assert 'name="g0-r1-type"' in html and 'name="g0-rules" value="2"' in html
    wizard.rules(("contact_group", "eq", "Dagpengemodtager"), ("age", "gte", "18"), action="add_group")
    html = page(wizard.client.get(f"{wizard.path}/trin/3"))
    assert 'name="g1-r0-type"' in html and "Grupperne forbindes med" in html
    assert 'value="18"' in html  # the age typed before the button was kept
    refused = page(wizard.rules(("age", "gte", "ung"), ("contact_group", "eq", "Ukendt gruppe")), 422)
    assert error_at(refused, "g0-r0-value")
    assert error_at(refused, "g0-r1-value")
    wizard.rules(("contact_group", "eq", "Dagpengemodtager"), ("age", "gte", "18"), action="remove_rule:0:1")
    html = page(wizard.client.get(f"{wizard.path}/trin/3"))
    assert 'name="g0-r1-type"' not in html and 'name="groups" value="1"' in html


def test_a_draft_survives_a_new_login_and_is_its_owners_only(site: StaffSite) -> None:
    first = Wizard(site, site.logged_in())
    first.step(1, "gem", **(STEP1 | {"name": "Halvfærdigt tilbud"}))
    again = site.logged_in()  # a closed browser: a new login
    drafts = page(again.get("/tilbud/ny"))
    assert "Halvfærdigt tilbud" in drafts and "Trin 1: Type" in texts(drafts)
    assert 'value="Halvfærdigt tilbud"' in page(again.get(f"{first.path}/trin/1"))
    site.service.oidc.put_user("staff-other", {"name": "Anden Planlægger", "groups": ["grp-planners-x"]})
    other = site.logged_in("staff-other")
    assert "Kladden findes ikke." in page(other.get(f"{first.path}/trin/1"), 404)


# --- In Chromium ---------------------------------------------------------------------------------


def test_pia_creates_a_phone_offer_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    base = serve(site.app)
    page.goto(base + "/tilbud")
    page.get_by_role("button", name=PIA).click()
    page.get_by_role("link", name="Opret tilbud").first.click()
    check(page, "wizard-0-start")
    page.get_by_role("button", name="Start et nyt tilbud").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("1. Type")
    page.get_by_role("button", name="Næste").click()  # nothing filled in
    expect(page).to_have_title(re.compile("^Fejl: Trin 1"))
    expect(page.get_by_role("alert")).to_be_focused()
    check(page, "wizard-1-fejl")
    page.get_by_label("Navn", exact=True).fill("Telefonsamtale")
    page.get_by_label("Samtaletype", exact=True).select_option(label="7 Jobsamtale")
    page.get_by_role("radio", name="Telefon").check()
    check(page, "wizard-1-type")
    page.get_by_role("button", name="Næste").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("2. Tid")
    page.get_by_label("Team", exact=True).select_option(label="Team Øst")
    page.get_by_role("checkbox", name=re.compile("^Vejleder 10101")).check()
    page.get_by_label("Første mødedato").fill("2027-01-04")
    page.get_by_label(re.compile("^Løbende slutdato")).fill("4")
    check(page, "wizard-2-tid")
    page.get_by_role("button", name="Næste").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("3. Deltagere")
    page.get_by_label("Kriterie").select_option("Dagpengemodtager")
    page.get_by_role("button", name="Tilføj regel i gruppe 1").click()
    expect(page.get_by_role("group", name="Regel 2 i gruppe 1")).to_be_visible()
    page.get_by_role("button", name="Fjern reglen 2 i gruppe 1").click()
    check(page, "wizard-3-deltagere")
    page.get_by_role("button", name="Næste").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("4. Opsummering")
    expect(page.get_by_text("70000001")).to_be_visible()  # the first advisor's number, as it will apply
    check(page, "wizard-4-opsummering")
    page.get_by_role("button", name="Gem tilbud").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefonsamtale")
    expect(page.get_by_role("status").first).to_contain_text("Tilbuddet er gemt og aktivt")


def test_a_video_meeting_asks_for_no_place_or_number(site: StaffSite) -> None:
    wizard = Wizard(site, site.logged_in())
    located(wizard.step(1, **(STEP1 | {"channel": "video", "name": "Videomøde"})), 2)
    time = page(wizard.client.get(f"{wizard.path}/trin/2"))
    assert 'name="place"' not in time and 'name="phone"' not in time
    located(wizard.step(2, **wizard.time_fields(place="")), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager")), 4)
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "inaktiv"})
    assert "besked=oprettet-inaktivt" in saved.headers["Location"]
    [offer] = [o for o in site.api.client.get("/api/v1/offers").get_json()["items"] if o["name"] == "Videomøde"]
    assert offer["channel"] == "video" and offer["place"] is None and offer["phone"] is None
    assert offer["active"] is False


def test_an_edit_goes_through_the_wizard_and_the_log_shows_old_and_new(site: StaffSite) -> None:
    offer = site.offer("10101", name="Jobsamtale")
    client = site.logged_in()
    wizard = Wizard(site, client, f"/tilbud/{offer['id']}/rediger")
    located(wizard.started, 4)
    summary = page(client.get(wizard.started.headers["Location"]))
    assert "Gem ændringer" in summary and "Gem som inaktivt" not in summary and "Redigér tilbud" in summary
    step1 = page(client.get(f"{wizard.path}/trin/1"))
    assert 'value="Jobsamtale"' in step1
    fields = dict(STEP1, name="Jobsamtale om dit næste job")
    located(wizard.step(1, **fields), 2)
    assert site.api.client.get(f"/api/v1/offers/{offer['id']}").get_json()["name"] == "Jobsamtale"  # a draft
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "aendringer"})
    assert saved.status_code == 303 and "besked=aendret" in saved.headers["Location"]
    after = texts(page(client.get(saved.headers["Location"])))
    assert "Ændringerne er gemt." in after
    assert "Pia Planlægger Navn Jobsamtale Jobsamtale om dit næste job" in after
    assert site.api.client.get(f"/api/v1/offers/{offer['id']}").get_json()["name"] == "Jobsamtale om dit næste job"
    assert "Kladden findes ikke." in page(client.get(f"{wizard.path}/trin/4"), 404)


def test_pia_edits_an_offer_and_reads_the_revision_log_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    offer = site.offer("10101", name="Jobsamtale")
    base = serve(site.app)
    page.goto(f"{base}/tilbud/{offer['id']}")
    page.get_by_role("button", name=PIA).click()
    page.get_by_role("button", name="Redigér tilbuddet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Opsummering")
    check(page, "wizard-5-rediger")
    page.get_by_role("link", name="Redigér navn").click()
    page.get_by_label("Navn", exact=True).fill("Jobsamtale om job")
    page.get_by_role("button", name="Næste").click()
    page.get_by_role("link", name="4. Opsummering").click()
    page.get_by_role("button", name="Gem ændringer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobsamtale om job")
    row = page.get_by_role("table", name="Alle ændringer af tilbuddet, nyeste først").locator("tbody tr").first
    expect(row).to_contain_text("Pia Planlægger")
    expect(row).to_contain_text("Jobsamtale om job")
    check(page, "wizard-6-revisionslog")


def test_the_variant_is_chosen_from_the_centres_list_of_the_type(site: StaffSite) -> None:
    variants = f"/job-centres/{site.centres['10101']['id']}/conversation-variants"
    site.api.post(variants, {"conversation_type": 7, "name": "Opstart"})
    site.api.post(variants, {"conversation_type": 4, "name": "Opfølgning"})
    wizard = Wizard(site, site.logged_in())
    html = page(wizard.client.get(f"{wizard.path}/trin/1"))
    assert '<optgroup label="4 Opfølgningssamtale">' in html and '<option value="Opstart">Opstart</option>' in html
    refused = page(wizard.step(1, **(STEP1 | {"variant": "Opfølgning"})), 422)
    assert error_at(refused, "variant") == "Ukendt variant af Jobsamtale; jobcentrets varianter er: Opstart."
    assert '<option value="Opfølgning" selected>' in refused  # the choice kept
    located(wizard.step(1, **(STEP1 | {"variant": "Opstart"})), 2)
    located(wizard.step(2, **wizard.time_fields()), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager")), 4)
    assert "Samtaletypevariant Opstart" in texts(page(wizard.client.get(f"{wizard.path}/trin/4")))
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "aktiv"})
    offer_id = saved.headers["Location"].split("/tilbud/")[1].split("?")[0]
    assert site.api.client.get(f"/api/v1/offers/{offer_id}").get_json()["variant"] == "Opstart"


def test_without_variants_the_wizard_says_where_they_are_made(site: StaffSite) -> None:
    wizard = Wizard(site, site.logged_in())
    html = texts(page(wizard.client.get(f"{wizard.path}/trin/1")))
    assert "Jobcentret har ingen varianter af samtaletyperne. En administrator kan oprette dem" in html


def test_the_conversation_types_read_as_plain_text_in_english(site: StaffSite) -> None:
    site.api.post(
        f"/job-centres/{site.centres['10101']['id']}/conversation-variants", {"conversation_type": 7, "name": "Opstart"}
    )
    wizard = Wizard(site, site.logged_in())
    in_english(wizard.client)
    for path in (f"{wizard.path}/trin/1", "/tilbud"):
        html = page(wizard.client.get(path))
        assert '<option value="7">7 Jobsamtale</option>' in html and "&lt;span" not in html, path
    assert '<optgroup label="7 Jobsamtale">' in page(wizard.client.get(f"{wizard.path}/trin/1"))


def test_a_phone_meeting_asks_who_calls(site: StaffSite) -> None:
    silent_team = site.api.team(site.centres["10101"], name="Team Uden Nummer", phone=None)
    silent = site.api.advisor(site.centres["10101"], silent_team, name="Uden Telefon", phone=None, caldav_url=None,
                              caldav_username=None, caldav_password=None)  # fmt: skip
    wizard = Wizard(site, site.logged_in())
    located(wizard.step(1, **(STEP1 | {"channel": "phone"})), 2)
    fields = wizard.time_fields(team_id=silent_team["id"], advisor_ids=[silent["id"]], place="")
    located(wizard.step(2, "gem", **fields), 2)
    html = page(wizard.client.get(f"{wizard.path}/trin/2"))
    assert 'value="advisor" checked' in html and "Valgfrit, når vejlederen ringer op" in texts(html)
    refused = page(wizard.step(2, **(fields | {"caller": "citizen"})), 422)
    assert error_at(refused, "phone").startswith("Angiv det nummer, borgeren skal ringe til")
    assert 'value="citizen" checked' in refused
    located(wizard.step(2, **(fields | {"caller": "advisor"})), 3)
    located(wizard.rules(("contact_group", "eq", "Dagpengemodtager")), 4)
    assert "Hvem ringer op Vejlederen ringer til borgeren" in texts(page(wizard.client.get(f"{wizard.path}/trin/4")))
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "aktiv"})
    offer_id = saved.headers["Location"].split("/tilbud/")[1].split("?")[0]
    offer = site.api.client.get(f"/api/v1/offers/{offer_id}").get_json()
    assert (offer["caller"], offer["phone"]) == ("advisor", None)
    shown = texts(page(wizard.client.get(f"/tilbud/{offer_id}")))
    assert "Hvem ringer op Vejlederen ringer til borgeren" in shown


def test_a_marker_routes_its_citizens_to_chosen_advisors(site: StaffSite) -> None:
    anne = site.advisors["10101"]
    bo = site.api.advisor(site.centres["10101"], site.teams["10101"], name="Bo Nielsen", caldav_url=None,
                          caldav_username=None, caldav_password=None)  # fmt: skip
    wizard = Wizard(site, site.logged_in())
    located(wizard.step(1, **STEP1), 2)
    located(wizard.step(2, **wizard.time_fields(advisor_ids=[anne["id"], bo["id"]])), 3)
    rules = {"groups": "1", "g0-match": "all", "g0-rules": "1", "join": "and", "g0-r0-type": "contact_group",
             "g0-r0-condition": "eq", "g0-r0-value": "Dagpengemodtager"}  # fmt: skip
    html = page(wizard.client.get(f"{wizard.path}/trin/3"))
    assert "Persongruppemarkeringer med egne vejledere" in html and '<option value="STAT-SENIOR">' in html
    added = wizard.step(3, "add_route", **rules, routes="0", **{"new-route-marker": "STAT-SENIOR",
                        "new-route-advisors": [bo["id"]]})  # fmt: skip
    assert added.headers["Location"].endswith("/trin/3#ruter")
    html = page(wizard.client.get(f"{wizard.path}/trin/3"))
    assert f'name="route-0-advisors" value="{bo["id"]}" checked' in html
    assert 'name="route-0-marker" value="STAT-SENIOR"' in html and '<option value="STAT-SENIOR">' not in html
    route = {"routes": "1", "route-0-marker": "STAT-SENIOR"}
    wizard.step(3, "opdater", **rules, **route, **{"route-0-advisors": []})  # every advisor unticked
    assert 'name="route-0-marker"' not in page(wizard.client.get(f"{wizard.path}/trin/3"))  # the route went
    wizard.step(3, "add_route", **rules, routes="0", **{"new-route-marker": "STAT-SENIOR", "new-route-advisors": []})
    assert 'name="route-0-marker"' not in page(wizard.client.get(f"{wizard.path}/trin/3"))  # no advisors: no route
    wizard.step(3, "add_route", **rules, routes="0", **{"new-route-marker": "STAT-SENIOR",
                "new-route-advisors": [anne["id"]]})  # fmt: skip
    located(wizard.step(3, **rules, **route, **{"route-0-advisors": [anne["id"]]}), 4)
    located(wizard.step(2, **wizard.time_fields(advisor_ids=[bo["id"]])), 3)  # Anne taken off the offer
    assert error_at(page(wizard.step(3, **rules, **route, **{"route-0-advisors": [anne["id"]]}), 422), "marker_routes")
    located(wizard.step(3, **rules, **route, **{"route-0-advisors": [bo["id"]]}), 4)
    summary = texts(page(wizard.client.get(f"{wizard.path}/trin/4")))
    assert "Persongruppemarkeringer med egne vejledere" in summary and "Bo Nielsen" in summary
    saved = wizard.post(f"{wizard.path}/gem", {"handling": "aktiv"})
    offer_id = saved.headers["Location"].split("/tilbud/")[1].split("?")[0]
    assert site.api.client.get(f"/api/v1/offers/{offer_id}").get_json()["marker_routes"] == {"STAT-SENIOR": [bo["id"]]}
    shown = texts(page(wizard.client.get(f"/tilbud/{offer_id}")))
    assert "Persongruppemarkeringer med egne vejledere" in shown and "Bo Nielsen" in shown.split("egne vejledere")[1]
