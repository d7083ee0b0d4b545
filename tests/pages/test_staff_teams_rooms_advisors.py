"""The job centre's teams, meeting rooms and advisors on the staff pages: the centre's
administrator (Ada) creates and changes teams and rooms (the offers using a team's number or
a room's address follow) and an advisor's details, calendar connection, working hours and
date exceptions; the planner (Pia) reads them and may ask for a calendar read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from services.offers.models import Advisor, Offer, Room, Team
from tests.offers.conftest import today
from tests.pages.staff_site import PIA, StaffSite
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_english import in_english
from tests.pages.test_staff_job_centres import ADA, centre_path, post, shown
from tests.pages.test_staff_job_centres import site as site
from tests.pages.test_staff_offer_pages import page, texts


def advisor_path(site: StaffSite, code: str = "10101") -> str:
    return f"/jobcentre/vejleder/{site.advisors[code]['id']}"


def advisor_row(site: StaffSite, code: str = "10101") -> Advisor:
    with site.service.context.db.transaction() as session:
        advisor = session.get(Advisor, site.advisors[code]["id"])
        assert advisor is not None
        session.expunge(advisor)
        return advisor


def team_row(site: StaffSite, code: str = "10101") -> tuple[str, str | None]:
    with site.service.context.db.transaction() as session:
        team = session.get(Team, site.teams[code]["id"])
        assert team is not None
        return team.name, team.phone


def test_the_centre_page_lists_its_teams_rooms_and_advisors(site: StaffSite) -> None:
    site.api.room(site.centres["10101"], name="Mødelokale 2", address="Torvet 1, 9999 Demokøbing", capacity=8)
    html = texts(page(site.logged_in(ADA).get(centre_path(site))))
    assert "Team Telefon Handling Team Øst 70000000 Ret Team Øst Opret team" in html
    assert "Pladser Handling Mødelokale 2 Torvet 1, 9999 Demokøbing 8 Ret Mødelokale 2 Opret mødelokale" in html
    assert "Vejleder 10101 Team Øst Ingen kalender tilknyttet" in html
    assert "Team Vest" not in html and "Vejleder 20202" not in html  # another centre's


def test_an_administrator_creates_and_changes_a_team_and_its_phone_offers_follow(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    new = centre_path(site) + "/teams/nyt"
    refused = page(post(site, client, new, name=" ", phone="ring"), 422)
    assert '<p class="error-message" id="name-fejl">' in refused and "Navn skal udfyldes." in texts(refused)
    assert 'id="phone-fejl"' in refused and 'value="ring"' in refused
    created = post(site, client, new, name="Team Nord", phone="")
    assert created.status_code == 303
    assert "Teamet er oprettet." in texts(page(client.get(created.headers["Location"])))

    site.api.client.patch(f"/api/v1/advisors/{site.advisors['10101']['id']}", json={"phone": None})
    offer = site.offer("10101", channel="phone", place=None)
    assert offer["phone"] == "70000000"
    edit = f"/jobcentre/team/{site.teams['10101']['id']}"
    form = page(client.get(edit))
    assert 'value="Team Øst"' in form and 'value="70000000"' in form
    saved = post(site, client, edit, name="Team Øst og Vest", phone="70 20 20 20")
    assert saved.status_code == 303
    after = texts(page(client.get(saved.headers["Location"])))
    assert "Teamet er gemt. 1 tilbud bruger nu det nye telefonnummer." in after
    assert team_row(site) == ("Team Øst og Vest", "70 20 20 20")
    with site.service.context.db.transaction() as session:
        assert session.get(Offer, offer["id"]).phone == "70 20 20 20"  # type: ignore[union-attr]


def test_an_administrator_creates_and_moves_a_room(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    new = centre_path(site) + "/lokaler/nyt"
    refused = page(post(site, client, new, name="Lokale 3", address="Torvet 3", capacity="mange"), 422)
    assert 'id="capacity-fejl"' in refused and "Skal være et helt tal." in texts(refused)
    assert 'value="Lokale 3"' in refused and 'value="mange"' in refused
    assert post(site, client, new, name="Lokale 3", address="Torvet 3", capacity="12").status_code == 303
    with site.service.context.db.transaction() as session:
        room = session.scalar(select(Room).where(Room.name == "Lokale 3"))
        assert room is not None and (room.address, room.capacity) == ("Torvet 3", 12)
        room_id = room.id
    offer = site.offer("10101", room_id=str(room_id), place=None)
    edit = f"/jobcentre/lokale/{room_id}"
    assert page(post(site, client, edit, name="Lokale 3", address="Torvet 3", capacity="0"), 422).count(
        "Skal være mindst 1."
    )
    saved = post(site, client, edit, name="Lokale 3", address="Havnen 1", capacity="14")
    after = texts(page(client.get(saved.headers["Location"])))
    assert "Mødelokalet er gemt. 1 tilbud holdes nu på den nye adresse." in after
    assert "Lokale 3 Havnen 1 14" in after
    assert site.api.client.get(f"/api/v1/offers/{offer['id']}").get_json()["place"] == "Havnen 1"


def test_a_planner_reads_teams_rooms_and_advisors_but_cannot_change_them(site: StaffSite) -> None:
    room = site.api.room(site.centres["10101"])
    pia = site.logged_in(PIA)
    html = texts(page(pia.get(centre_path(site))))
    assert "Team Øst 70000000" in html and "Lokale 1" in html and "Vejleder 10101" in html
    assert "Opret team" not in html and "Ret" not in html.split()
    team, centre = site.teams["10101"]["id"], centre_path(site)
    for path in (
        f"{centre}/teams/nyt",
        f"/jobcentre/team/{team}",
        f"{centre}/lokaler/nyt",
        f"/jobcentre/lokale/{room['id']}",
    ):
        assert pia.get(path).status_code == 403
        assert post(site, pia, path, name="Overtaget", address="Vej 1", capacity="2").status_code == 403
    for path in ("/oplysninger", "/kalender", "/arbejdstid", "/undtagelser"):
        assert post(site, pia, advisor_path(site) + path, name="Overtaget").status_code == 403
    advisor = texts(page(pia.get(advisor_path(site))))
    assert "Mandag 08:00-12:00, 12:30-15:30" in advisor and "Lørdag Arbejder ikke" in advisor and "Gem" not in advisor
    assert team_row(site) == ("Team Øst", "70000000") and advisor_row(site).name == "Vejleder 10101"
    ada = site.logged_in(ADA)  # administrator at 10101 only
    assert "Teamet findes ikke." in page(ada.get(f"/jobcentre/team/{site.teams['30303']['id']}"), 404)
    assert "Du har ikke adgang" in page(ada.get(f"/jobcentre/team/{site.teams['20202']['id']}"), 403)  # reads it


def test_an_administrator_sets_working_hours_and_is_told_at_the_day_what_is_wrong(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    hours = {f"hours-{day}": "08:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}
    refused = page(post(site, client, advisor_path(site) + "/arbejdstid", **{**hours, "hours-tue": "8-12"}), 422)
    assert 'id="hours-tue-fejl"' in refused and "Tirsdag: Skriv tidsrum som 08:00-12:00" in texts(refused)
    assert 'value="8-12"' in refused
    overlap = {**hours, "hours-wed": "08:00-12:00, 11:00-15:00"}
    assert "Onsdag: Tidsrummene overlapper hinanden." in texts(
        page(post(site, client, advisor_path(site) + "/arbejdstid", **overlap), 422)
    )
    assert advisor_row(site).working_hours["tue"] == [["08:00", "12:00"], ["12:30", "15:30"]]  # as before
    new = {**hours, "hours-mon": "08:00-12:00, 12.30-15.30", "hours-fri": ""}
    saved = post(site, client, advisor_path(site) + "/arbejdstid", **new)
    assert "Arbejdstiden er gemt." in texts(page(client.get(saved.headers["Location"])))
    stored = advisor_row(site).working_hours
    assert stored["mon"] == [["08:00", "12:00"], ["12:30", "15:30"]] and "fri" not in stored


def test_an_administrator_adds_and_removes_a_day_off(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    day = today() + timedelta(days=12)
    past = (today() - timedelta(days=1)).isoformat()
    refused = page(post(site, client, advisor_path(site) + "/undtagelser", day=past, hours=""), 422)
    assert 'id="day-fejl"' in refused and "Datoen ligger i fortiden." in texts(refused)
    added = post(site, client, advisor_path(site) + "/undtagelser", day=day.isoformat(), hours="")
    after = texts(page(client.get(added.headers["Location"])))
    assert "Undtagelsen er gemt." in after and f"{shown(day)} Fri hele dagen Fjern" in after
    assert advisor_row(site).working_exceptions == {day.isoformat(): []}
    post(site, client, advisor_path(site) + "/undtagelser", day=day.isoformat(), hours="09:00-11:00")
    assert advisor_row(site).working_exceptions == {day.isoformat(): [["09:00", "11:00"]]}
    removed = post(site, client, f"{advisor_path(site)}/undtagelser/{day.isoformat()}/fjern")
    assert "Undtagelsen er fjernet." in texts(page(client.get(removed.headers["Location"])))
    assert advisor_row(site).working_exceptions == {}
    again = post(site, client, f"{advisor_path(site)}/undtagelser/{day.isoformat()}/fjern")
    assert f"Vejlederen har ingen undtagelse den {day:%d-%m-%Y}." in page(again, 404)


def test_the_calendar_connection_keeps_its_password_out_of_the_page(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    calendar = advisor_path(site) + "/kalender"
    refused = page(post(site, client, calendar, caldav_url="", caldav_username="anne", caldav_password="hemmelig"), 422)
    assert 'id="caldav_url-fejl"' in refused and "hemmelig" not in refused
    url = "https://cal.example.org/anne/arbejde/"
    saved = post(site, client, calendar, caldav_url=url, caldav_username="anne", caldav_password="hemmelig")
    html = page(client.get(saved.headers["Location"]))
    assert "Kalenderforbindelsen er gemt." in texts(html) and "Der er gemt en adgangskode." in texts(html)
    assert "hemmelig" not in html and "Ikke læst endnu" in texts(html)
    stored = advisor_row(site)
    assert (
        stored.caldav_url == url
        and stored.caldav_password_encrypted
        and "hemmelig" not in stored.caldav_password_encrypted
    )
    post(site, client, calendar, caldav_url=url, caldav_username="anne", caldav_password="")  # kept
    assert advisor_row(site).caldav_password_encrypted == stored.caldav_password_encrypted
    post(site, client, calendar, caldav_url=url, caldav_username="anne", remove_password="1")
    assert advisor_row(site).caldav_password_encrypted is None


def test_a_planner_sees_the_calendar_error_escaped_and_asks_for_a_read(site: StaffSite) -> None:
    url = "https://cal.example.org/anne/arbejde/"
    site.api.client.patch(f"/api/v1/advisors/{site.advisors['10101']['id']}", json={"caldav_url": url})
    hostile = "1 kalenderobjekt(er) kunne ikke læses: <script>alert(1)</script>.ics: " + "x" * 5000
    with site.service.context.db.transaction() as session:
        session.execute(
            update(Advisor)
            .where(Advisor.id == site.advisors["10101"]["id"])
            .values(calendar_last_error=hostile, calendar_health_changed_at=Advisor.created_at)
        )
    pia = site.logged_in(PIA)
    html = page(pia.get(advisor_path(site)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "x" * 1900 in html and "x" * 2100 not in html  # bounded
    assert "Fejl ved seneste læsning" in texts(html)
    asked = post(site, pia, advisor_path(site) + "/synk")
    assert "Kalenderen læses igen om lidt." in texts(page(pia.get(asked.headers["Location"])))


def test_teams_rooms_and_an_advisor_in_chromium(page: Page, site: StaffSite, serve: Any) -> None:
    site.api.room(site.centres["10101"], name="Lokale 1", address="Torvet 1, 9999 Demokøbing", capacity=6)
    site.api.post(
        f"/job-centres/{site.centres['10101']['id']}/conversation-variants", {"conversation_type": 7, "name": "Opstart"}
    )
    base = serve(site.app)
    page.goto(base + centre_path(site))
    page.get_by_role("button", name=ADA).click()
    expect(page.get_by_role("heading", name="Teams")).to_be_visible()
    check(page, "staff-13-jobcenter-teams")
    page.get_by_label("Variantens navn").fill("Opfølgning")
    page.get_by_role("button", name="Tilføj variant").click()
    expect(page.get_by_role("alert")).to_contain_text("Samtaletype skal udfyldes.")  # no type chosen
    check(page, "staff-13b-variant-fejl")
    page.get_by_role("link", name="Opret team").click()
    page.get_by_role("button", name="Opret teamet").click()
    expect(page.get_by_role("alert")).to_contain_text("Navn skal udfyldes.")
    check(page, "staff-14-team-fejl")
    page.get_by_label("Teamets navn").fill("Team Nord")
    page.get_by_role("button", name="Opret teamet").click()
    expect(page.get_by_role("status")).to_contain_text("Teamet er oprettet.")
    page.get_by_role("link", name="Ret Lokale 1").click()
    page.get_by_label("Antal pladser").fill("0")
    page.get_by_role("button", name="Gem mødelokalet").click()
    expect(page.get_by_role("alert")).to_contain_text("Skal være mindst 1.")
    check(page, "staff-15-lokale-fejl")
    page.get_by_label("Antal pladser").fill("10")
    page.get_by_role("button", name="Gem mødelokalet").click()
    expect(page.get_by_role("status")).to_contain_text("Mødelokalet er gemt.")
    page.get_by_role("link", name="Opret vejleder").click()
    page.get_by_role("button", name="Opret vejlederen").click()
    expect(page.get_by_role("alert")).to_contain_text("Navn skal udfyldes.")
    check(page, "staff-15b-opret-vejleder-fejl")
    page.get_by_role("link", name="Tilbage til Jobcenter 10101").click()
    page.get_by_role("link", name="Vejleder 10101").click()
    page.get_by_label("Tirsdag").fill("08:00-17:00, 16:00-18:00")
    page.get_by_role("button", name="Gem arbejdstid").click()
    expect(page.get_by_role("alert")).to_contain_text("Tirsdag: Tidsrummene overlapper hinanden.")
    check(page, "staff-16-vejleder-fejl")
    page.get_by_label("Tirsdag").fill("08:00-12:00, 12:30-16:00")
    page.get_by_role("button", name="Gem arbejdstid").click()
    expect(page.get_by_role("status")).to_contain_text("Arbejdstiden er gemt.")
    page.get_by_label("Dato").fill((today() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Tilføj undtagelse").click()
    expect(page.get_by_role("status")).to_contain_text("Undtagelsen er gemt.")
    check(page, "staff-17-vejleder")
    page.get_by_role("button", name="Log af").click()
    page.goto(base + advisor_path(site))
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_text("Tirsdag")).to_be_visible()
    check(page, "staff-18-vejleder-laes")


def test_the_advisor_page_and_its_errors_read_in_english(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    in_english(client)
    hours = {"hours-mon": "08:00-12:00, 11:00-13:00", "hours-tue": "12:00-08:00"}
    refused = page(post(site, client, advisor_path(site) + "/arbejdstid", **hours), 422)
    assert "Monday: The spans overlap." in texts(refused)
    assert "Tuesday: A span must end later than it begins, e.g. 08:00-12:00." in texts(refused)
    assert (
        "Working hours" in refused and "Save working hours" in refused and 'lang="da"' not in refused.split("<main")[1]
    )
    centre = texts(page(client.get(centre_path(site))))
    assert "Create team" in centre and "No calendar connected" in centre


def test_an_administrator_creates_an_advisor(site: StaffSite) -> None:
    client = site.logged_in(ADA)
    new = centre_path(site) + "/vejledere/ny"
    form = page(client.get(new))
    assert (
        'name="hours-mon" type="text" value="08:00-16:00"' in form and 'name="hours-sat" type="text" value=""' in form
    )
    hours = {f"hours-{d}": "08:00-16:00" for d in ("mon", "tue")}
    fields = {"name": "Cecilie Holm", "email": "cecilie@", "phone": "", "team_ids": [site.teams["10101"]["id"]],
              "caldav_url": "", "caldav_username": "", **hours}  # fmt: skip
    refused = page(post(site, client, new, **fields), 422)
    assert 'id="email-fejl"' in refused and 'value="Cecilie Holm"' in refused
    made = post(site, client, new, **(fields | {"email": "cecilie@example.org", "hours-wed": "9-12"}))
    assert 'id="hours-wed-fejl"' in page(made, 422)
    made = post(site, client, new, **(fields | {"email": "cecilie@example.org"}))
    assert made.status_code == 303
    html = texts(page(client.get(made.headers["Location"])))
    assert "Vejlederen er oprettet." in html and "Ingen kalender tilknyttet" in html
    listed = site.api.client.get(f"/api/v1/advisors?job_centre_id={site.centres['10101']['id']}").get_json()["items"]
    [cecilie] = [a for a in listed if a["name"] == "Cecilie Holm"]
    assert cecilie["working_hours"] == {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]]}
    assert cecilie["team_ids"] == [site.teams["10101"]["id"]] and cecilie["email"] == "cecilie@example.org"
    assert site.logged_in(PIA).get(new).status_code == 403
