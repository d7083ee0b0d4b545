"""The hold, Mine aftaler, moving and cancelling on the citizen's pages
(``services.booking.pages``), through the Flask test client and in Chromium. The citizen's
day is fixed (Monday 7 December 2026, 09.00); the browser login runs on the real clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from playwright.sync_api import Browser, Page, expect

from services.booking.mail.sending import send_due
from services.booking.mail.transport import SmtpTransport
from tests.auth.conftest import ANNA_CPR, BuildBrowserService
from tests.booking.conftest import at, fictitious_cpr
from tests.booking.mail.conftest import SmtpServer, smtp_server
from tests.identities import ItClient
from tests.pages.citizen_site import CitizenSite, book_through_pages, build_citizen_site, hold_through_pages
from tests.pages.test_citizen_booking_pages import CPR_SHAPES, check, html, log_in_to_the_list, texts

__all__ = ["smtp_server"]  # the real SMTP server of the mail tests

TODAY = date(2026, 12, 7)  # a Monday
WEDNESDAY, THURSDAY = TODAY + timedelta(days=2), TODAY + timedelta(days=3)
A = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture
def site(build_browser_service: BuildBrowserService) -> Iterator[tuple[CitizenSite, dict[str, str]]]:
    """Anna may book "Jobsamtale" (one advisor, moves until 2 days before, may cancel) and
    "Fast samtale" (neither moves nor cancels)."""
    built = build_citizen_site(build_browser_service, at(TODAY, 9))
    job = built.publish(name="Jobsamtale", advisor_ids=[A])
    fixed = built.publish(name="Fast samtale", advisor_ids=[A], accept_cancellation=False, rebooking_days_before=None)
    starts = [at(WEDNESDAY, 9), at(WEDNESDAY, 10), at(THURSDAY, 13), at(TODAY + timedelta(days=14), 9)]
    built.compute(job, {A: starts}, TODAY, date(2027, 2, 1))
    built.compute(fixed, {A: [at(THURSDAY, 15)]}, TODAY, date(2027, 2, 1))
    yield built, {"job": job.offer_id, "fixed": fixed.offer_id}


def logged_in(built: CitizenSite) -> Any:
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    return client


def other_citizen(built: CitizenSite) -> ItClient:
    staff = ItClient(built.app)
    profile = {"cpr": fictitious_cpr(2), "contact_group": "Dagpengemodtager", "name": "Borger 2"}
    assert staff.post("/api/v1/citizens", json=[profile]).status_code == 200
    return staff


def other_books(staff: ItClient, offer_id: str, start: Any) -> int:
    body = {"offer_id": offer_id, "start": start.isoformat(), "citizen": {"cpr": fictitious_cpr(2)}}
    return staff.post("/api/v1/bookings", json=body).status_code


def labels(page: str) -> list[str]:
    return re.findall(r'<label for="tid-[^"]+">([^<]+)<', page)


def test_a_chosen_time_is_held_for_the_citizen_and_freed_when_the_hold_expires(
    site: tuple[CitizenSite, dict[str, str]],
) -> None:
    built, ids = site
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    assert held.status_code == 303 and "/mine-moedetilbud/reservation/" in held.headers["Location"]
    summary = texts(html(client.get(held.headers["Location"])))
    assert "Vi holder tiden til dig til kl. 09.10 (10 minutter fra du valgte den)." in summary
    week = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider?uge=2026-W50"))
    assert labels(week)[0] == "09.00-09.30" and 'value="2026-12-09T09:00:00+01:00" checked' in week  # still hers
    staff = other_citizen(built)
    assert other_books(staff, ids["job"], at(WEDNESDAY, 9)) == 409  # held: not for anyone else

    built.clock.now = at(TODAY, 9, 10)  # ten minutes later: the hold has run out
    expired = html(client.post(held.headers["Location"], data={"csrf_token": built.service.csrf_token(client)}), 409)
    assert "Vi har holdt tiden til dig i 10 minutter, og den tid er gået." in texts(expired)
    assert "09.00-09.30" in labels(expired)  # back on its week, where the time is free again
    assert other_books(staff, ids["job"], at(WEDNESDAY, 9)) == 201
    assert [b.held_until for b in built.bookings()] == [None]  # the expired hold's row is gone


def test_choose_another_time_gives_the_held_time_back(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 10))
    back = client.post(held.headers["Location"] + "/frigiv", data={"csrf_token": built.service.csrf_token(client)})
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/{ids['job']}/tider?uge=2026-W50")
    assert built.bookings() == []


def test_the_email_field_is_checked_and_a_second_click_books_once(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    token = built.service.csrf_token(client)
    wrong = html(client.post(held.headers["Location"], data={"csrf_token": token, "email": "anna@"}), 400)
    assert '<a href="#email">Skriv en gyldig e-mailadresse' in wrong and 'aria-invalid="true"' in wrong
    assert 'value="anna@"' in wrong and [b.held_until is not None for b in built.bookings()] == [True]
    first = client.post(held.headers["Location"], data={"csrf_token": token, "email": "anna@example.dk"})
    second = client.post(held.headers["Location"], data={"csrf_token": token, "email": "anna@example.dk"})
    assert first.status_code == second.status_code == 303 and first.headers["Location"] == second.headers["Location"]
    [booking] = built.bookings()
    assert booking.status == "active" and booking.email == "anna@example.dk"
    assert "Mødet er booket" in html(client.get(first.headers["Location"]))


def test_the_summary_offers_the_imported_email_address(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    anna = {"cpr": ANNA_CPR, "name": "Anna Borger", "contact_group": "Dagpengemodtager", "email": "anna@borger.example"}
    assert ItClient(built.app).post("/api/v1/citizens", json=[anna]).status_code == 200
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    assert 'value="anna@borger.example"' in html(client.get(held.headers["Location"]))
    client.post(held.headers["Location"], data={"csrf_token": built.service.csrf_token(client), "email": ""})
    assert [b.email for b in built.bookings()] == [None]  # emptied: no e-mail, as she chose


def test_mine_aftaler_moves_a_booking_and_keeps_the_old_one_until_confirmed(
    site: tuple[CitizenSite, dict[str, str]],
) -> None:
    built, ids = site
    client = logged_in(built)
    assert book_through_pages(built, client, ids["job"], at(WEDNESDAY, 9)).status_code == 303
    [old] = built.bookings()
    mine = texts(html(client.get("/mine-moedetilbud/aftaler")))
    assert "Kommende møder" in mine and "onsdag 9. december 2026 kl. 09.00-09.30" in mine
    assert "Du kan flytte mødet til og med mandag 7. december 2026." in mine  # 2 days before
    move = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider?flyt={old.id}&uge=2026-W50"))
    assert "Flyt dit møde" in move and "Dit møde er nu onsdag 9. december 2026 kl. 09.00-09.30." in texts(move)
    assert f'name="flyt" value="{old.id}"' in move
    held = hold_through_pages(built, client, ids["job"], at(THURSDAY, 13), flyt=str(old.id))
    summary = texts(html(client.get(held.headers["Location"])))
    assert "Nuværende tid onsdag 9. december" in summary and "Ny tid torsdag 10. december" in summary
    assert "Flyt mødet" in summary
    assert {b.id: b.status for b in built.bookings()}[old.id] == "active"  # nothing moved yet
    done = client.post(held.headers["Location"], data={"csrf_token": built.service.csrf_token(client)})
    receipt = texts(html(client.get(done.headers["Location"])))
    assert "Mødet er flyttet" in receipt and "Din gamle tid er aflyst." in receipt
    statuses = {b.start_at: b.status for b in built.bookings()}
    assert statuses == {at(WEDNESDAY, 9): "rebooked", at(THURSDAY, 13): "active"}
    mine = texts(html(client.get("/mine-moedetilbud/aftaler")))
    assert "torsdag 10. december 2026 kl. 13.00-13.30" in mine and "onsdag 9. december" not in mine


def test_cancelling_asks_first_and_says_it_is_done(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = logged_in(built)
    book_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    [booking] = built.bookings()
    question = texts(html(client.get(f"/mine-moedetilbud/aftaler/{booking.id}/aflys")))
    assert "Vil du aflyse mødet?" in question and "Ja, aflys mødet" in question and "Nej, behold mødet" in question
    assert built.bookings()[0].status == "active"  # asking changes nothing
    done = client.post(
        f"/mine-moedetilbud/aftaler/{booking.id}/aflys", data={"csrf_token": built.service.csrf_token(client)}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/aftaler?besked=aflyst")
    mine = texts(html(client.get(done.headers["Location"])))
    assert "Dit møde er aflyst. Tiden er givet fri til andre." in mine and "Du har ingen kommende møder." in mine
    assert "Jobsamtale , onsdag 9. december 2026 kl. 09.00-09.30: aflyst" in mine  # under "Tidligere og aflyste"
    assert built.bookings()[0].status == "cancelled"
    again = html(client.get(f"/mine-moedetilbud/aftaler/{booking.id}/aflys"), 409)
    assert "Bookingen er allerede aflyst." in again


def test_a_booking_that_cannot_change_says_why(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    client = logged_in(built)
    book_through_pages(built, client, ids["fixed"], at(THURSDAY, 15))
    book_through_pages(built, client, ids["job"], at(TODAY + timedelta(days=14), 9))
    fixed = next(b for b in built.bookings() if b.start_at == at(THURSDAY, 15))
    mine = texts(html(client.get("/mine-moedetilbud/aftaler")))
    assert "Bookingen kan ikke flyttes: tilbuddet tillod ikke ombooking, da du bookede." in mine
    assert "Bookingen kan ikke aflyses her: tilbuddet tillod ikke aflysning, da du bookede." in mine
    refused = html(client.get(f"/mine-moedetilbud/aftaler/{fixed.id}/aflys"), 409)
    assert "Mødet kan ikke aflyses" in refused
    assert html(client.get(f"/mine-moedetilbud/{ids['fixed']}/tider?flyt={fixed.id}"), 403)

    built.clock.now = at(TODAY + timedelta(days=13), 9)  # the job meeting is the day after tomorrow
    late = texts(html(client.get("/mine-moedetilbud/aftaler")))
    assert "Mødet kan ikke flyttes længere: fristen var lørdag 19. december 2026." in late
    assert "Flyt mødet" not in late and "Aflys mødet" in late


def test_another_citizens_booking_or_hold_is_not_found(site: tuple[CitizenSite, dict[str, str]]) -> None:
    built, ids = site
    staff = other_citizen(built)
    assert other_books(staff, ids["job"], at(WEDNESDAY, 9)) == 201
    [theirs] = built.bookings()
    client = logged_in(built)
    assert html(client.get(f"/mine-moedetilbud/aftaler/{theirs.id}/aflys"), 404)
    token = built.service.csrf_token(client)
    assert html(client.post(f"/mine-moedetilbud/aftaler/{theirs.id}/aflys", data={"csrf_token": token}), 404)
    assert html(client.get(f"/mine-moedetilbud/reservation/{theirs.id}"), 404)
    assert html(client.get(f"/mine-moedetilbud/{ids['job']}/tider?flyt={theirs.id}"), 403)
    assert [b.status for b in built.bookings()] == ["active"]


def test_the_citizen_gets_each_change_by_email_once(
    site: tuple[CitizenSite, dict[str, str]], smtp_server: SmtpServer
) -> None:
    built, ids = site
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    token = built.service.csrf_token(client)
    booked = client.post(held.headers["Location"], data={"csrf_token": token, "email": "anna@example.dk"})
    old_id = booked.headers["Location"].rpartition("/")[2]
    moved = hold_through_pages(built, client, ids["job"], at(THURSDAY, 13), flyt=old_id)
    assert 'value="anna@example.dk"' in html(client.get(moved.headers["Location"]))  # the address goes along
    done = client.post(moved.headers["Location"], data={"csrf_token": token, "email": "anna@example.dk"})
    new_id = done.headers["Location"].rpartition("/")[2]
    client.post(f"/mine-moedetilbud/aftaler/{new_id}/aflys", data={"csrf_token": token})

    settings = built.service.context.settings
    transport = SmtpTransport(smtp_server.host, smtp_server.port, "none", "", "", 5.0, settings.mail_from)
    db = built.service.context.db
    assert send_due(db, settings, transport, now=built.clock.now) == 3
    assert send_due(db, settings, transport, now=built.clock.now) == 0  # nothing twice
    messages = smtp_server.handler.parsed()
    assert sorted(m["Subject"].partition(":")[0] for m in messages) == ["Aflyst", "Bekræftelse", "Mødet er flyttet"]
    assert smtp_server.handler.recipients == [["anna@example.dk"]] * 3
    raw = b"".join(smtp_server.handler.messages).decode("utf-8", "replace")
    assert all(cpr not in raw for cpr in CPR_SHAPES)


# --- In Chromium ---------------------------------------------------------------------------------


def test_two_citizens_choosing_one_time_in_two_browsers_cannot_both_get_it(
    browser: Browser, site: tuple[CitizenSite, dict[str, str]], serve: Any
) -> None:
    built, ids = site
    other_citizen(built)  # Bo (citizen-bo at the provider) is imported too
    base = serve(built.app)
    anna, bo = browser.new_context(), browser.new_context()
    try:
        pages = []
        for context, sub in ((anna, "citizen-anna"), (bo, "citizen-bo")):
            page = context.new_page()
            page.goto(f"{base}/mine-moedetilbud/{ids['job']}/tider?uge=2026-W50")
            page.get_by_role("button", name=sub).click()  # the provider's login form
            page.get_by_role("group", name="Onsdag 9. december").get_by_role("radio", name="09.00-09.30").check()
            pages.append(page)
        pages[0].get_by_role("button", name="Fortsæt").click()
        expect(pages[0].get_by_role("heading", level=1)).to_have_text("Tjek og bekræft")
        pages[1].get_by_role("button", name="Fortsæt").click()
        expect(pages[1].get_by_role("alert")).to_contain_text("Tiden er desværre ikke ledig længere.")
        expect(pages[1].get_by_role("radio", name="09.00-09.30")).to_have_count(0)
        pages[0].get_by_role("button", name="Book mødet").click()
        expect(pages[0].get_by_role("heading", level=1)).to_have_text("Mødet er booket")
    finally:
        anna.close()
        bo.close()
    assert [(b.start_at, b.status) for b in built.bookings()] == [(at(WEDNESDAY, 9), "active")]


def test_a_citizen_moves_and_then_cancels_in_chromium(
    page: Page, site: tuple[CitizenSite, dict[str, str]], serve: Any, smtp_server: SmtpServer
) -> None:
    """Book with an e-mail address (after correcting it), receive the confirmation with its
    calendar file on a real SMTP server, then move and cancel the meeting on Mine aftaler."""
    built, _ = site
    base = serve(built.app)
    log_in_to_the_list(page, base)
    page.get_by_role("link", name="Book tid til Jobsamtale").click()
    page.get_by_role("radio", name="09.00-09.30").check()
    page.get_by_role("button", name="Fortsæt").click()
    page.get_by_label("E-mail (valgfri)").fill("anna@")
    page.get_by_role("button", name="Book mødet").click()
    expect(page.get_by_role("alert")).to_be_focused()
    check(page, "7-bekraeft-fejl")
    page.get_by_role("alert").get_by_role("link").click()
    expect(page.get_by_label("E-mail (valgfri)")).to_be_focused()
    page.get_by_label("E-mail (valgfri)").fill("anna@example.dk")
    page.get_by_role("button", name="Book mødet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødet er booket")
    reference = page.locator(".reference").inner_text()
    settings = built.service.context.settings
    transport = SmtpTransport(smtp_server.host, smtp_server.port, "none", "", "", 5.0, settings.mail_from)
    assert send_due(built.service.context.db, settings, transport, now=built.clock.now) == 1
    [mail] = smtp_server.handler.parsed()
    assert mail["To"] == "anna@example.dk" and reference in mail.get_body(("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event["DTSTART"].dt == at(WEDNESDAY, 9)
    page.get_by_role("link", name="Se alle dine aftaler").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine aftaler")
    check(page, "8-mine-aftaler")
    page.get_by_role("link", name=re.compile("^Flyt mødet")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flyt dit møde")
    check(page, "9-flyt")
    page.get_by_role("radio", name="13.00-13.30").check()
    page.get_by_role("button", name="Fortsæt").click()
    check(page, "10-flyt-bekraeft")
    page.get_by_role("button", name="Flyt mødet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødet er flyttet")
    page.get_by_role("link", name="Aflys mødet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vil du aflyse mødet?")
    check(page, "11-aflys")
    page.get_by_role("button", name="Ja, aflys mødet").click()
    expect(page.get_by_role("status")).to_have_text("Dit møde er aflyst. Tiden er givet fri til andre.")
    check(page, "12-aflyst")
    assert sorted(b.status for b in built.bookings()) == ["cancelled", "rebooked"]


def test_moving_and_cancelling_work_without_javascript_and_by_keyboard(
    browser: Browser, site: tuple[CitizenSite, dict[str, str]], serve: Any
) -> None:
    built, ids = site
    client = logged_in(built)
    book_through_pages(built, client, ids["job"], at(WEDNESDAY, 9))
    base = serve(built.app)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_to_the_list(page, base)
        page.goto(base + "/mine-moedetilbud/aftaler")
        page.get_by_role("link", name=re.compile("^Flyt mødet")).focus()
        page.keyboard.press("Enter")
        page.get_by_role("radio", name="13.00-13.30").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Fortsæt").focus()
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Flyt mødet").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mødet er flyttet")
        page.get_by_role("link", name="Aflys mødet").focus()
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Ja, aflys mødet").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Dit møde er aflyst.")
    finally:
        context.close()
    assert [(b.start_at, b.status) for b in built.bookings()] == [
        (at(WEDNESDAY, 9), "rebooked"),
        (at(THURSDAY, 13), "cancelled"),
    ]


def test_every_form_post_needs_the_citizen_herself(site: tuple[CitizenSite, dict[str, str]]) -> None:
    """Fortsæt, Book mødet, Vælg en anden tid and Ja, aflys mødet: an anonymous visitor is
    sent to log in, staff are refused (no citizen to act for), and nothing changes."""
    built, ids = site
    client = logged_in(built)
    held = hold_through_pages(built, client, ids["job"], at(WEDNESDAY, 10)).headers["Location"]
    booked = book_through_pages(built, client, ids["job"], at(THURSDAY, 13)).headers["Location"]
    booking_id = booked.rpartition("/")[2]
    hold_id = held.rpartition("/")[2]
    rows = sorted((str(b.id), b.status) for b in built.bookings())
    posts = [
        (f"/mine-moedetilbud/{ids['job']}/tider", {"start": at(WEDNESDAY, 9).isoformat()}),
        (f"/mine-moedetilbud/reservation/{hold_id}", {}),
        (f"/mine-moedetilbud/reservation/{hold_id}/frigiv", {}),
        (f"/mine-moedetilbud/aftaler/{booking_id}/aflys", {}),
    ]
    anonymous = built.service.client()
    staff = ItClient(built.app)
    for path, form in posts:
        refused = anonymous.post(path, data=form)
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login?next="), path
        assert html(staff.post(path, data=form), 403)
    assert sorted((str(b.id), b.status) for b in built.bookings()) == rows
