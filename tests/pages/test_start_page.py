"""The start page after logging in (``shared.pages``): who is logged in, "Log ind" or "Log af",
in Danish; accessible in Chromium (axe-core, 320 px, keyboard), with no CPR number on it."""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from tests.auth.conftest import ANNA_CPR, BuildBrowserService
from tests.pages.conftest import LiveClock

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {AXE}\n}}")  # not a script tag: the page's CSP allows none
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]


def text_of(client: FlaskClient, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_an_anonymous_visitor_is_offered_the_login(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    page = text_of(booking.client())
    assert '<html lang="da">' in page
    assert '<a class="button" href="/login">Log ind med MitID</a>' in page
    assert "Log af" not in page
    offers = build_browser_service("offers", provider=False)
    assert "Login er ikke sat op på denne server endnu" in text_of(offers.client())


def test_a_staff_member_sees_their_name_and_roles_and_can_log_out(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers")
    client = offers.client()
    assert offers.log_in(client, "staff-pia").status_code == 303
    page = text_of(client)
    assert "Pia Planlægger er logget ind." in page
    main = page.split("<main", 1)[1]
    assert re.findall(r"<li>(.*?)</li>", main) == ["planlægger i 10101", "læser i 20202"]
    assert '<a class="button" href="/tilbud">Gå til tilbudslisten</a>' in main
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
    assert "Log ind" in text_of(client)


def test_a_citizens_page_never_shows_their_cpr_number(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    client = booking.client()
    booking.log_in(client, "citizen-anna")
    for path in ("/", "/tilgaengelighed"):
        page = text_of(client, path)
        assert "Du er logget ind med MitID" in page
        assert ANNA_CPR not in page and f"{ANNA_CPR[:6]}-{ANNA_CPR[6:]}" not in page


def test_logging_in_in_chromium_lands_on_an_accessible_start_page(
    page: Page, build_browser_service: BuildBrowserService, serve: object
) -> None:
    offers = build_browser_service("offers", cookie_secure=False, clock=LiveClock())
    base = serve(offers.app)  # type: ignore[operator]
    with page.expect_response(lambda r: r.url.endswith("planner.css")) as stylesheet:
        page.goto(base + "/")
    assert stylesheet.value.status == 200
    expect(page.get_by_role("link", name="Gå til indhold")).not_to_be_in_viewport()  # styled: off screen
    assert axe_violations(page) == []
    page.get_by_role("link", name="Log ind").click()
    page.get_by_role("button", name="staff-pia").click()  # the provider's login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødetilbud for medarbejdere")
    expect(page.get_by_text("Pia Planlægger er logget ind.")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(base + "/tilgaengelighed")
    assert axe_violations(page) == []


def test_a_refused_login_is_an_accessible_page_that_offers_to_try_again(
    page: Page, build_browser_service: BuildBrowserService, serve: object
) -> None:
    booking = build_browser_service("booking", cookie_secure=False, clock=LiveClock())
    base = serve(booking.app)  # type: ignore[operator]
    answer = page.goto(base + "/login/callback?state=forged&code=forged")
    assert answer is not None and answer.status == 401
    expect(page.get_by_role("heading", level=1)).to_have_text("Du blev ikke logget ind")
    assert "forged" not in page.content()
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_role("link", name="Log ind igen").click()
    expect(page.get_by_role("button", name="citizen-anna")).to_be_visible()  # at the provider again


def test_the_start_page_fits_320_pixels_and_works_by_keyboard(
    page: Page, build_browser_service: BuildBrowserService, serve: object
) -> None:
    booking = build_browser_service("booking", cookie_secure=False, clock=LiveClock())
    base = serve(booking.app)  # type: ignore[operator]
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/tilgaengelighed", "/"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Gå til indhold")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Log ind med MitID":
            break
    expect(page.locator(":focus")).to_have_text("Log ind med MitID")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="citizen-anna").click()
    expect(page.get_by_text("Du er logget ind med MitID.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert ANNA_CPR not in page.content()
