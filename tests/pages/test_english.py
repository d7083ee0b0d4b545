"""English second (``shared.i18n``, Flask-Babel): the catalogue covers every message of the
pages, the language link sets ``planner_lang`` and comes back (never to another site), and the
start page and the citizen's pages read in English, with dates and times the English way;
the Danish pages, the JSON API and the e-mails stay Danish. In Chromium: the English week and
summary pass axe-core at 320 and 1280 px, and the language link works by keyboard."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect
from sqlalchemy import select

from services.booking.models import CitizenMail
from shared import formatting as fmt
from shared import i18n
from shared.pages import FROM_BROWSER, LANGUAGE_COOKIE
from tests.auth.conftest import BuildBrowserService
from tests.booking.conftest import at, fictitious_cpr
from tests.identities import ItClient
from tests.pages.citizen_site import NOT_ANNAS, CitizenSite, hold_through_pages
from tests.pages.test_citizen_booking_pages import TODAY, A, check, html, site, texts

__all__ = ["site"]  # the fixture: the same offers and times as the Danish pages

ROOT = Path(__file__).resolve().parents[2]
PO = i18n.CATALOGUE / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
DANISH_LETTERS = re.compile("[æøåÆØÅ]")
Site = tuple[CitizenSite, dict[str, str]]


# --- The catalogue -------------------------------------------------------------------------------


def extracted() -> set[str | tuple[str, ...]]:
    """Every msgid of the code and the templates, as ``pybabel extract -F babel.cfg`` finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **i18n.KEYWORDS}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {message for _file, _line, message, _comments, _context in found}


def catalogue() -> Any:
    with PO.open("rb") as po:
        return read_po(po, locale="en")


def singular(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def test_every_message_has_english_and_the_mo_file_is_compiled() -> None:
    english = catalogue()
    messages = {singular(m.id): m for m in english if m.id}
    wanted = {singular(m) for m in extracted()}
    assert len(wanted) > 100
    missing = sorted(wanted - set(messages))
    assert not missing, f"not in {PO.name} (pybabel extract + update, see shared/i18n.py): {missing}"
    for message in messages.values():
        assert not message.fuzzy, f"fuzzy: {message.id}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"no English for {message.id}"
    stale = sorted(set(messages) - wanted)
    assert not stale, f"in {PO.name} but no longer in the code: {stale}"
    problems = [(m.id, errors) for m, errors in english.check()]
    assert not problems, problems  # e.g. a %(name)s missing from the English
    compiled = io.BytesIO()
    write_mo(compiled, english)
    assert MO.read_bytes() == compiled.getvalue(), f"{MO.name} is stale: pybabel compile -d {i18n.CATALOGUE}"


def test_messages_with_values_keep_their_danish_and_have_english() -> None:
    deadline = i18n.N_("Tiden ligger efter din frist. Vælg en tid senest den %(deadline)s.", deadline=date(2026, 12, 8))
    assert deadline == "Tiden ligger efter din frist. Vælg en tid senest den 08.12.2026."
    assert (
        i18n.translate(deadline, "en")
        == "The time is after your deadline. Choose a time no later than 8 December 2026."
    )
    assert i18n.translate(deadline, "da") == deadline
    one = i18n.nN_("Vi har holdt tiden til dig i %(num)s minut, og den tid er gået. Vælg tiden igen, hvis den "
                   "stadig er ledig.", "Vi har holdt tiden til dig i %(num)s minutter, og den tid er gået. Vælg "
                   "tiden igen, hvis den stadig er ledig.", 1)  # fmt: skip
    assert one.startswith("Vi har holdt tiden til dig i 1 minut,")
    assert i18n.translate(one, "en").startswith("We held the time for you for 1 minute,")
    assert not i18n.is_translated("Gruppe 1 er ikke opfyldt.", "en") and i18n.is_translated(one, "en")


def test_english_dates_and_times() -> None:
    start, end = at(date(2026, 12, 8), 9), at(date(2026, 12, 8), 9, 30)
    assert fmt.when(start, end, "en") == "Tuesday 8 December 2026, 09:00-09:30"
    assert fmt.when(start, end) == "tirsdag 8. december 2026 kl. 09.00-09.30"
    assert fmt.day_title(date(2026, 12, 9), "en") == "Wednesday 9 December"
    assert [fmt.duration(m, "en") for m in (1, 45, 60, 90, 120)] == [
        "1 minute", "45 minutes", "1 hour", "1 hour and 30 minutes", "2 hours",
    ]  # fmt: skip
    assert fmt.week_title(date(2026, 12, 7), "en") == "Week 50: 7 to 13 December 2026"
    assert fmt.week_title(date(2026, 10, 26), "en") == "Week 44: 26 October to 1 November 2026"
    assert fmt.week_title(date(2026, 12, 28), "en") == "Week 53: 28 December 2026 to 3 January 2027"


# --- Through the test client ---------------------------------------------------------------------


def in_english(client: Any, back: str = "/") -> Any:
    answer = client.get("/sprog", query_string={"til": "en", "next": back})
    assert answer.status_code == 303 and answer.headers["Location"] == back
    return answer


def test_the_language_link_sets_a_cookie_and_comes_back(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    client = booking.client()
    danish = html(client.get("/tilgaengelighed"))
    assert '<html lang="da">' in danish
    assert '<a href="/sprog?til=en&amp;next=/tilgaengelighed" lang="en" hreflang="en">English</a>' in danish
    answer = in_english(client, "/tilgaengelighed")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en;") and "Max-Age=31536000" in cookie
    assert all(part in cookie for part in ("HttpOnly", "SameSite=Lax", "Path=/", "Secure"))
    english = html(client.get("/tilgaengelighed"))
    assert '<html lang="en">' in english and "<h1>Accessibility statement</h1>" in english
    assert '<a href="/sprog?til=da&amp;next=/tilgaengelighed" lang="da" hreflang="da">Dansk</a>' in english
    assert "Log in with MitID" in html(client.get("/")) and "Skip to main content" in english
    client.get("/sprog", query_string={"til": "da", "next": "/"})
    assert '<html lang="da">' in html(client.get("/"))
    plain = build_browser_service("booking", cookie_secure=False).client().get("/sprog?til=en")
    assert "Secure" not in plain.headers["Set-Cookie"]


def test_the_language_link_never_leads_to_another_site(build_browser_service: BuildBrowserService) -> None:
    client = build_browser_service("booking").client()
    for bad in ("//evil.example", "https://evil.example", "/\\evil.example", "evil.example", "", "/%0a/x\n"):
        answer = client.get("/sprog", query_string={"til": "en", "next": bad})
        assert answer.status_code == 303 and answer.headers["Location"] == "/", bad
    kept = client.get("/sprog", query_string={"til": "en", "next": "/mine-moedetilbud/aftaler?besked=aflyst"})
    assert kept.headers["Location"] == "/mine-moedetilbud/aftaler?besked=aflyst"
    nonsense = client.get("/sprog", query_string={"til": "klingon", "next": "/"})
    assert nonsense.status_code == 303 and "Set-Cookie" not in nonsense.headers


def test_the_browser_language_decides_only_when_switched_on(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    client = booking.client()
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    assert '<html lang="da">' in html(client.get("/", headers=english_browser))  # off by default
    booking.app.config[FROM_BROWSER] = True
    page = html(client.get("/", headers=english_browser))
    assert '<html lang="en">' in page and "Book a meeting with the job centre" in page
    assert '<html lang="da">' in html(client.get("/", headers={"Accept-Language": "da, en;q=0.8"}))
    assert '<html lang="da">' in html(client.get("/", headers={"Accept-Language": "de-DE"}))
    assert '<html lang="da">' in html(client.get("/"))
    client.get("/sprog?til=da")
    assert '<html lang="da">' in html(client.get("/", headers=english_browser))  # the choice wins
    assert "Accept-Language" in client.get("/").headers["Vary"]


def test_a_staff_member_reads_the_start_page_in_english(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers")
    client = offers.client()
    assert offers.log_in(client, "staff-pia").status_code == 303
    in_english(client)
    page = html(client.get("/"))
    assert "<h1>Meeting offers for staff</h1>" in page and "Pia Planlægger is logged in." in page
    main = page.split("<main", 1)[1]
    assert re.findall(r"<li>(.*?)</li>", main) == ["planner in 10101", "reader in 20202"]
    assert "Log out" in page and "Your roles" in page and ">Go to the list of offers</a>" in main


def test_a_refused_login_is_explained_in_english(build_browser_service: BuildBrowserService) -> None:
    client = build_browser_service("booking").client()
    in_english(client)
    page = html(client.get("/login/callback?state=forged&code=forged"), 401)
    assert "<h1>You were not logged in</h1>" in page and "The login was refused. Try logging in again." in page
    assert "forged" not in page and 'href="/sprog?til=da&amp;next=/"' in page  # not back to the callback


def test_the_citizen_books_in_english(site: Site) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    in_english(client, "/mine-moedetilbud")
    offers = texts(html(client.get("/mine-moedetilbud")))
    assert (
        "Your meeting offers" in offers and offers.count("Book a time") == 2 and "Book a time for Jobsamtale" in offers
    )
    assert "Jobsamtale" in offers and "Vi taler om dit næste job." in offers  # staff's words: never translated
    assert "In person at Torvet 1." in offers and "Phone meeting. Your adviser will call you" in offers
    assert "30 minutes" in offers
    week = html(client.get(f"/mine-moedetilbud/{ids['job']}/tider"))
    assert '<html lang="en">' in week and "<title>Choose a time – Jobsamtale" in week
    assert "Week 50: 7 to 13 December 2026" in week and texts(week).count("All times are Danish time.") == 1
    assert re.findall(r"<legend>(.*?)</legend>", week) == [
        "Monday 7 December", "Tuesday 8 December", "Wednesday 9 December", "Thursday 10 December", "Friday 11 December",
    ]  # fmt: skip
    assert re.findall(r'<label for="tid-[^"]+">([^<]+)<', week) == ["09:00-09:30", "09:30-10:00", "10:00-10:30"]
    assert '<span class="visually-hidden">, Wednesday 9 December</span>' in week
    assert "No preference" in week and "Adviser 1" in week and "Next week" in week and "Continue" in week
    assert not DANISH_LETTERS.search(texts(week)), DANISH_LETTERS.findall(texts(week))
    held = hold_through_pages(built, client, ids["job"], at(TODAY.replace(day=9), 9, 30))
    summary = html(client.get(held.headers["Location"]))
    words = texts(summary)
    assert "<h1>Check and confirm</h1>" in summary and "Wednesday 9 December 2026, 09:30-10:00 (Danish time)" in words
    assert "You can cancel the meeting." in words and "until 2 days before the meeting" in words
    assert "Book the meeting" in words and "Email (optional)" in words and re.search(r"Adviser Adviser [12] ", words)
    assert not DANISH_LETTERS.search(words), DANISH_LETTERS.findall(words)
    token = built.service.csrf_token(client)
    wrong = html(client.post(held.headers["Location"], data={"csrf_token": token, "email": "nope"}), 400)
    assert "<title>Error: Check and confirm" in wrong and "Enter a valid email address" in wrong
    booked = client.post(held.headers["Location"], data={"csrf_token": token, "email": "anna@example.com"})
    receipt = texts(html(client.get(booked.headers["Location"])))
    assert "The meeting is booked" in receipt and "Your booking reference is" in receipt
    assert "What happens next" in receipt and "Add to calendar" in receipt and "Move the meeting" in receipt
    mine = texts(html(client.get("/mine-moedetilbud/aftaler")))
    assert "Your bookings" in mine and "Upcoming meetings" in mine
    assert "You can move the meeting up to and including Monday 7 December 2026." in mine
    with built.service.context.db.transaction() as session:
        [mail] = session.scalars(select(CitizenMail)).all()
        assert "Mødeform: Fremmøde på Torvet 1." in mail.body and "onsdag 9. december 2026 kl. 09.30" in mail.body


def test_refusals_read_in_english(site: Site) -> None:
    built, ids = site
    client = built.service.client()
    built.service.log_in(client, "citizen-anna")
    in_english(client)
    other = ItClient(built.app)
    assert other.post("/api/v1/citizens", json=[{"cpr": fictitious_cpr(2), "contact_group": "Dagpengemodtager",
                                                  "name": "Borger 2"}]).status_code == 200  # fmt: skip
    wednesday_nine = at(TODAY.replace(day=9), 9)
    body = {"offer_id": ids["job"], "start": wednesday_nine.isoformat(), "citizen": {"cpr": fictitious_cpr(2)}}
    taken = other.post("/api/v1/bookings", json=body)
    assert taken.status_code == 201
    again = other.post("/api/v1/bookings", json={**body, "start": at(TODAY.replace(day=10), 10).isoformat()})
    assert "Du har allerede en booking i dette tilbud" in again.get_json()["detail"]  # the API stays Danish
    week = html(hold_through_pages(built, client, ids["job"], wednesday_nine, raadgiver=A), 409)
    assert "<title>Error: Choose a time" in week and "There is a problem" in week
    assert "the time is no longer available. Choose another time." in week
    lost = html(client.get(f"/mine-moedetilbud/reservation/{uuid.uuid4()}"), 404)
    assert "<h1>Page not found</h1>" in lost and "We cannot find the time you chose. Choose a time again." in lost
    not_hers = html(client.get(f"/mine-moedetilbud/{built.publish(rules=NOT_ANNAS).offer_id}/tider"), 403)
    assert "<h1>You do not have access to this page</h1>" in not_hers
    assert '<p class="lead"><span lang="da">' in not_hers  # the rules' explanation has no English yet
    forged = client.post(f"/mine-moedetilbud/{ids['job']}/tider", data={"start": wednesday_nine.isoformat()})
    assert "The form has expired or did not come from this page." in html(forged, 403)
    machine = ItClient(built.app)
    machine.set_cookie(LANGUAGE_COOKIE, "en")
    refused = machine.get("/mine-moedetilbud")
    assert refused.status_code == 403 and "You do not have access to do this." in refused.get_data(as_text=True)


# --- In Chromium ---------------------------------------------------------------------------------


def test_the_english_pages_are_accessible_and_the_link_works_by_keyboard(page: Page, site: Site, serve: Any) -> None:
    built, _ = site
    base = serve(built.app)
    page.goto(base + "/mine-moedetilbud")
    page.get_by_role("button", name="citizen-anna").click()  # the provider's login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine mødetilbud")
    link = page.get_by_role("link", name="English")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "English":
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your meeting offers")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == base + "/mine-moedetilbud"
    page.get_by_role("link", name="Book a time for Jobsamtale").click()
    expect(page.get_by_role("heading", level=2, name="Week 50")).to_be_visible()
    expect(page.get_by_role("group", name="Wednesday 9 December")).to_be_visible()
    check(page, "en-1-week")
    page.get_by_role("group", name="Wednesday 9 December").get_by_role("radio", name="09:30-10:00").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    expect(page.get_by_text("Wednesday 9 December 2026, 09:30-10:00 (Danish time)")).to_be_visible()
    check(page, "en-2-confirm")
    dansk = page.get_by_role("link", name="Dansk")
    expect(dansk).to_have_attribute("lang", "da")
    dansk.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek og bekræft")
    expect(page.locator("html")).to_have_attribute("lang", "da")


def test_every_english_page_and_error_state_is_accessible(page: Page, site: Site, serve: Any) -> None:
    """The citizen's whole journey in English, with axe-core at 320 and 1280 px on each page:
    the list, a week with its error summary, the summary with a wrong e-mail, the receipt,
    Mine aftaler, the cancel question, the notice after it and a page that does not exist."""
    built, ids = site
    base = serve(built.app)
    page.goto(base + "/sprog?til=en&next=/mine-moedetilbud")
    page.get_by_role("button", name="citizen-anna").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your meeting offers")
    check(page, "en-3-offers")
    page.goto(f"{base}/mine-moedetilbud/{ids['job']}/tider?uge=2026-W50")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_focused()
    check(page, "en-4-week-error")
    page.get_by_role("group", name="Wednesday 9 December").get_by_role("radio", name="09:00-09:30").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(re.compile("^Email")).fill("anna@")
    page.get_by_role("button", name="Book the meeting").click()
    expect(page.get_by_role("alert")).to_be_focused()
    check(page, "en-5-confirm-error")
    page.get_by_label(re.compile("^Email")).fill("")
    page.get_by_role("button", name="Book the meeting").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check(page, "en-6-receipt")
    page.goto(base + "/mine-moedetilbud/aftaler")
    check(page, "en-7-bookings")
    page.get_by_role("link", name=re.compile("^Cancel the meeting")).click()
    check(page, "en-8-cancel")
    page.get_by_role("button", name=re.compile("^Yes")).click()
    expect(page.get_by_role("status")).to_be_visible()
    check(page, "en-9-cancelled")
    page.goto(base + "/mine-moedetilbud/kvittering/00000000-0000-4000-8000-000000000000")
    check(page, "en-10-not-found")
