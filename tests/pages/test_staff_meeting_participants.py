"""Who has a seat at a group meeting, on the staff's meeting page (V-7): the offers service asks
a real booking service over HTTP for the meeting's participants (numbers masked until "Vis"),
exports them as an Excel file, and adds a citizen by hand ("Tilføj borger"): one the offer's
rules do not admit only with a reason, and one beyond the meeting's seats only when the box is
ticked. The offer and its meetings reach booking as its events do; axe at 320 and 1280 px."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from services.booking import consumer as booking_consumer
from services.booking.models import OutboxMessage as BookingOutbox
from services.offers import consumer as offers_consumer
from services.offers.participants.booking_api import BookingApi
from services.offers.participants.view import BOOKING_API
from shared import events as ev
from shared.cpr_vault import vault_for_settings
from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import citizen_profile, fictitious_cpr
from tests.identities import IT_KEY, ItClient
from tests.offers.conftest import outbox
from tests.offers.test_group_meeting_times import announce, next_monday
from tests.offers.test_group_meeting_times import at as cph
from tests.pages.citizen_site import CitizenSite, build_citizen_site
from tests.pages.staff_site import PIA, StaffSite, build_staff_site
from tests.pages.test_citizen_booking_pages import check
from tests.pages.test_staff_offer_pages import page, texts
from tests.pages.test_staff_offer_pages import page as html_of

PEOPLE = {0: ("Anne Hansen", "Dagpengemodtager"), 1: ("Bo Nielsen", "Sygedagpengemodtager"),
          2: ("Carl Sørensen", "Dagpengemodtager")}  # fmt: skip
"""Anne and Carl meet the offer's rules (adults on unemployment benefit), Bo does not."""
REASON = "Aftalt med borgerens sagsbehandler"


@dataclass
class World:
    site: StaffSite
    booking: CitizenSite
    offer: dict[str, Any]
    meeting: dict[str, Any]
    start: datetime

    @property
    def meeting_path(self) -> str:
        return f"/tilbud/{self.offer['id']}/moeder/{self.meeting['id']}"

    def relay(self) -> None:
        """Deliver the offers service's offer events to booking and booking's seat counts back."""
        for envelope in outbox(self.site.service.context):
            if envelope.type in (ev.OFFER_PUBLISHED, ev.OFFER_CHANGED):
                booking_consumer.handle(self.booking.service.context, envelope)
        with self.booking.service.context.db.transaction() as session:
            bodies = session.scalars(select(BookingOutbox.body).order_by(BookingOutbox.seq)).all()
        for envelope in map(ev.Envelope.from_json, bodies):
            if envelope.type == ev.GROUP_SEATS_CHANGED:
                offers_consumer.handle(self.site.service.context, envelope)

    def seat(self, n: int) -> None:
        """``fictitious_cpr(n)`` books a seat (as the citizen's pages would, through booking's API)."""
        path = f"/api/v1/offers/{self.offer['id']}/meetings/{self.meeting['id']}/seats"
        answer = ItClient(self.booking.app).post(path, json={"citizen": {"cpr": fictitious_cpr(n)}})
        assert answer.status_code == 201, answer.get_json()


@pytest.fixture
def world(build_browser_service: BuildBrowserService, serve: Any) -> Iterator[World]:
    """An information meeting (fællesmøde) at 10101 with one meeting of 2 seats, a week on
    Monday at 10.00; Anne has a seat."""
    site = build_staff_site(build_browser_service)
    booking = build_citizen_site(build_browser_service, datetime.now(UTC))  # booking's day is today
    site.app.extensions[BOOKING_API] = BookingApi(serve(booking.app), IT_KEY.key, 5)
    monday = next_monday() + timedelta(days=7)
    announce(site.service.context, site.advisors["10101"]["id"], [(cph(monday, 9), cph(monday, 15))])
    body = site.api.offer_body(site.teams["10101"], [site.advisors["10101"]], name="Informationsmøde",
                               meeting_form="group", conversation_type=9, duration_minutes=60)  # fmt: skip
    for key in ("start_minutes", "first_meeting_date", "citizen_may_choose_advisor"):
        body.pop(key)
    offer = site.api.post("/offers", body)
    start = cph(monday, 10)
    meeting = site.api.post(f"/offers/{offer['id']}/meetings", {"start": start.isoformat(), "seats": 2})
    profiles = [citizen_profile(n, name=name, contact_group=group) for n, (name, group) in PEOPLE.items()]
    assert ItClient(booking.app).post("/api/v1/citizens", json=profiles).status_code == 200
    built = World(site, booking, offer, meeting, start)
    built.relay()
    built.seat(0)
    built.relay()
    yield built


def post(world: World, client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": world.site.service.csrf_token(client), **form})


def logged(world: World) -> list[tuple[str, str]]:
    """The CPR numbers people saw or typed at the offers service: (purpose, number)."""
    vault = vault_for_settings(world.site.service.context.settings)
    rows = sorted(world.site.service.rows("cpr_access_log"), key=lambda r: r["id"])
    return [(r["purpose"], vault.unseal(r["subject_cpr_sealed"]).digits) for r in rows]


def test_the_offer_page_lists_a_seat_at_a_group_meeting(world: World) -> None:
    [anne] = world.site.app.extensions[BOOKING_API].participants(world.offer["id"])
    assert anne.advisor_id is None and str(anne.group_meeting_id) == world.meeting["id"]
    html = texts(page(world.site.logged_in().get(f"/tilbud/{world.offer['id']}")))
    assert "Deltagerlisten kan ikke hentes" not in html
    assert "1 borger har booket." in html and "Anne Hansen 010190-XXXX Dagpengemodtager" in html


def test_the_meeting_page_lists_its_seats_and_exports_them(world: World) -> None:
    client = world.site.logged_in()
    html = texts(page(client.get(world.meeting_path)))
    assert "1 borger har booket en plads. Mødet har 2 pladser." in html
    assert re.search(r"Anne Hansen 010190-XXXX Dagpengemodtager \d+ [0-9A-Z]{8}", html), html
    assert fictitious_cpr(0) not in html and logged(world) == []
    shown = texts(page(post(world, client, f"{world.meeting_path}/deltagere", vis=anne_id(world))))
    assert "Anne Hansen 010190-4000" in shown and logged(world) == [("participant_shown", fictitious_cpr(0))]

    exported = post(world, client, f"{world.meeting_path}/deltagere.xlsx")
    assert exported.status_code == 200 and exported.headers["Cache-Control"] == "no-store"
    name = f"deltagere-informationsmode-{world.start:%Y-%m-%d}-1000.xlsx"
    assert exported.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("Informationsmøde, mødet ") and "kl. 10.00-11.00" in str(rows[0][0])
    assert [row[:3] for row in rows[2:]] == [("Anne Hansen", "010190-4000", "Dagpengemodtager")]
    assert logged(world)[-1] == ("participant_export", fictitious_cpr(0))


def anne_id(world: World) -> str:
    [anne] = world.site.app.extensions[BOOKING_API].participants(world.offer["id"])
    return str(anne.booking_id)


def test_tilfoej_borger_checks_the_number_and_says_what_booking_refuses(world: World) -> None:
    client = world.site.logged_in()
    path = f"{world.meeting_path}/borgere"
    assert client.post(path, data={"cpr": fictitious_cpr(2)}).status_code == 403  # no CSRF token
    empty = page(post(world, client, path, cpr=""), 422)
    assert "Skriv borgerens CPR-nummer." in texts(empty) and 'href="#cpr"' in empty and "<title>Fejl: " in empty
    wrong = texts(page(post(world, client, path, cpr="3213901234"), 422))
    assert "Skriv et gyldigt CPR-nummer med 10 cifre" in wrong
    twice = texts(page(post(world, client, path, cpr=fictitious_cpr(0)), 409))
    assert "Borgeren har allerede en plads eller en booking i tilbuddet." in twice
    bad_mail = texts(page(post(world, client, path, cpr=fictitious_cpr(2), email="ikke-en-adresse"), 422))
    assert "Skriv en gyldig e-mailadresse" in bad_mail
    not_eligible = page(post(world, client, path, cpr=f"{fictitious_cpr(1)[:6]}-{fictitious_cpr(1)[6:]}"), 409)
    assert "Borgeren opfylder ikke reglerne for deltagere" in texts(not_eligible)
    assert 'name="override_reason"' in not_eligible and 'href="#override_reason"' in not_eligible
    assert [purpose for purpose, _ in logged(world)] == ["seat_added"] * 3  # each number sent to booking
    assert len(world.booking.bookings()) == 1  # nothing was booked


def test_a_booking_service_that_is_not_set_up_or_does_not_answer(world: World) -> None:
    client = world.site.logged_in()
    world.site.app.extensions[BOOKING_API] = BookingApi("http://127.0.0.1:9", IT_KEY.key, 2)  # nobody listens
    html = texts(page(client.get(world.meeting_path)))
    assert "Deltagerlisten kan ikke hentes lige nu." in html and "Tilføj borger" in html
    refused = texts(page(post(world, client, f"{world.meeting_path}/borgere", cpr=fictitious_cpr(2)), 503))
    assert "Bookingsystemet svarede ikke. Se i deltagerlisten, om borgeren har fået en plads" in refused
    del world.site.app.extensions[BOOKING_API]
    off = texts(page(client.get(world.meeting_path)))
    assert "forbindelsen til bookingsystemet er ikke sat op" in off and "Tilføj borgeren" not in off
    assert post(world, client, f"{world.meeting_path}/deltagere.xlsx").status_code == 409


def test_pia_adds_citizens_to_the_meeting_in_chromium(page: Page, world: World, serve: Any) -> None:
    page.goto(serve(world.site.app) + world.meeting_path)
    page.get_by_role("button", name=PIA).click()
    listed = page.get_by_role("table", name=re.compile("med en plads ved mødet")).locator("tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Anne Hansen")
    check(page, "staff-31-moedets-deltagere")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download \(Excel\)")).click()
    assert download.value.suggested_filename.startswith("deltagere-informationsmode-")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert [row[:2] for row in sheet.iter_rows(min_row=3, values_only=True)] == [("Anne Hansen", "010190-4000")]

    page.get_by_label("CPR-nummer").fill(fictitious_cpr(1))  # Bo: the offer's rules do not admit him
    page.get_by_role("button", name="Tilføj borgeren").click()
    expect(page.get_by_role("alert")).to_contain_text("Borgeren opfylder ikke reglerne for deltagere")
    reason = page.get_by_label("Begrundelse for at se bort fra reglerne")
    expect(reason).to_be_visible()
    check(page, "staff-32-tilfoej-borger-regler")
    reason.fill(REASON)
    page.get_by_role("button", name="Tilføj borgeren").click()
    expect(page.get_by_role("status")).to_contain_text("Borgeren har fået en plads.")
    expect(listed).to_have_count(2)

    page.get_by_label("CPR-nummer").fill(fictitious_cpr(2))  # Carl: the 2 seats are taken
    page.get_by_role("button", name="Tilføj borgeren").click()
    expect(page.get_by_role("alert")).to_contain_text("Mødet er fuldt. Sæt kryds")
    check(page, "staff-33-tilfoej-borger-fuldt")
    page.get_by_label("Borgeren skal have en plads ud over mødets pladser").check()
    page.get_by_role("button", name="Tilføj borgeren").click()
    expect(page.get_by_role("status")).to_contain_text("Borgeren har fået en plads.")
    expect(listed).to_have_count(3)
    seats = {b.override_reason: b.status for b in world.booking.bookings()}
    assert seats == {None: "active", REASON: "active"} and len(world.booking.bookings()) == 3
    added = sorted(str(b.added_by) for b in world.booking.bookings() if b.added_by)
    assert len(added) == 2 and all(a.startswith("staff:") and " via machine:" in a for a in added)  # who, at offers


def test_the_meeting_page_shows_its_waiting_list(page: Page, world: World, serve: Any) -> None:
    world.seat(2)  # Carl takes the last seat
    profile = citizen_profile(3, name="Dorte Madsen", contact_group="Dagpengemodtager")
    assert ItClient(world.booking.app).post("/api/v1/citizens", json=[profile]).status_code == 200
    path = f"/api/v1/offers/{world.offer['id']}/meetings/{world.meeting['id']}/waiting-list"
    body = {"citizen": {"cpr": fictitious_cpr(3)}, "email": "dorte@example.org"}
    assert ItClient(world.booking.app).post(path, json=body).status_code == 201
    client = world.site.logged_in()
    html = texts(html_of(client.get(world.meeting_path)))
    assert "1 borger på ventelisten" in html and "1 Dorte Madsen 010190-XXXX dorte@example.org Venter" in html
    assert fictitious_cpr(3) not in html

    vault = vault_for_settings(world.booking.service.context.settings)
    [anne_seat] = [
        b for b in world.booking.bookings() if b.status == "active" and vault.unseal(b.citizen_cpr_sealed).digits
        == fictitious_cpr(0)
    ]  # fmt: skip
    anne = ItClient(world.booking.app).post(
        f"/api/v1/bookings/{anne_seat.id}/cancel", json={"citizen": {"cpr": fictitious_cpr(0)}}
    )
    assert anne.status_code == 200
    offered = texts(html_of(client.get(world.meeting_path)))
    assert re.search(
        r"– Dorte Madsen 010190-XXXX dorte@example.org Tilbudt en plads til \w+ \d+\. \w+ \d{4} kl\.", offered
    )
    page.goto(serve(world.site.app) + world.meeting_path)
    page.get_by_role("button", name=PIA).click()
    expect(page.get_by_role("table", name="1 borger på ventelisten")).to_contain_text("Tilbudt en plads til")
    check(page, "staff-34-venteliste")
