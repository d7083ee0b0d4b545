"""Logging in and out in a browser: offers' staff and booking's citizens, at the real provider on loopback."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from shared.cpr_vault import vault_for
from tests.auth.conftest import (
    ANNA_CPR,
    BuildBrowserService,
    cookie_of,
    local,
    query_of,
    session_cookies,
)
from tests.conftest import TEST_CPR_KEYS


def test_a_staff_login_rotates_the_session_and_the_next_request_knows_who_it_is(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    assert offers.whoami(browser).status_code == 401

    authorization_url = offers.start_login(browser)
    before = cookie_of(browser)
    assert before and authorization_url.startswith(offers.oidc.issuer)
    callback = browser.get(local(offers.oidc.log_in_as(authorization_url, "staff-pia")))

    assert callback.status_code == 303 and callback.headers["Location"] == "/"
    (set_cookie,) = session_cookies(callback)
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite"} <= set(flags)
    assert flags["samesite"] == "SameSite=Lax" and flags["path"] == "Path=/"
    assert "max-age" not in flags and "expires" not in flags  # a browser-session cookie
    after = cookie_of(browser)
    assert after and after != before
    me = offers.whoami(browser)
    assert me.status_code == 200
    assert me.get_json() == {"kind": "staff", "user_id": "staff-pia", "grants": ["planner:10101", "reader:20202"]}


def test_a_citizen_login_keeps_the_cpr_number_out_of_the_cookie_and_the_urls(
    build_browser_service: BuildBrowserService,
) -> None:
    booking = build_browser_service("booking")
    browser = booking.client()
    authorization_url = booking.start_login(browser)
    callback_url = booking.oidc.log_in_as(authorization_url, "citizen-anna")
    callback = browser.get(local(callback_url))

    assert callback.status_code == 303
    assert booking.whoami(browser).get_json() == {"kind": "citizen", "subject": "citizen-anna"}
    cookie = cookie_of(browser)
    assert cookie and ANNA_CPR not in cookie and ANNA_CPR not in "".join(session_cookies(callback))
    for url in (authorization_url, callback_url, callback.headers["Location"]):
        assert ANNA_CPR not in url
    (row,) = booking.logged_in_rows()
    assert row["id_hash"] != cookie and cookie not in str(row)
    assert row["id_hash"] == hashlib.sha256(cookie.encode()).hexdigest()
    assert ANNA_CPR not in str(row)  # not even server-side: sealed
    assert vault_for(TEST_CPR_KEYS).unseal(row["principal"]["cpr_sealed"]).digits == ANNA_CPR


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/offers/1?tab=tider", "/offers/1?tab=tider"),
        ("//evil.example/phish", "/"),
        ("https://evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("tider", "/"),
    ],
)
def test_after_login_the_browser_lands_on_next_only_when_it_is_a_local_path(
    build_browser_service: BuildBrowserService, next_path: str, lands_on: str
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    response = offers.log_in(browser, "staff-pia", next_path)
    assert response.status_code == 303
    assert response.headers["Location"] == lands_on


def test_the_callback_url_is_built_from_the_public_url_when_it_is_set(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers", offers_public_url="https://planlaegning.kommune.dk")
    query = query_of(offers.start_login(offers.client()))
    assert query["redirect_uri"] == "https://planlaegning.kommune.dk/login/callback"


def test_a_tampered_state_is_refused_with_a_danish_page_that_repeats_nothing_and_logs_no_one_in(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    callback = query_of(offers.callback_at_provider(browser, "staff-pia"))
    tampered = callback | {"state": callback["state"][:-4] + "<b>x", "extra": "<script>alert(1)</script>"}

    response = browser.get("/login/callback", query_string=tampered)

    assert response.status_code == 401 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Login blev afvist" in page and "Prøv at logge ind igen" in page
    for value in tampered.values():
        assert value not in page
    assert offers.whoami(browser).status_code == 401
    assert offers.logged_in_rows() == []


def test_a_replayed_callback_is_refused_and_creates_no_second_session(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    callback = offers.callback_at_provider(browser, "staff-pia")
    pre_login_cookie = cookie_of(browser)
    assert browser.get(callback).status_code == 303

    assert browser.get(callback).status_code == 401  # the same code again, in the logged-in browser
    replay = offers.client()
    replay.set_cookie("planner_session", pre_login_cookie or "")
    assert replay.get(callback).status_code == 401  # and with the cookie it was made for
    assert len(offers.logged_in_rows()) == 1
    assert offers.whoami(replay).status_code == 401


def test_a_callback_made_for_another_browser_is_refused(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers")
    attacker, victim = offers.client(), offers.client()
    callback = offers.callback_at_provider(attacker, "staff-pia")
    offers.start_login(victim)  # the victim has a session (and a login of its own waiting)

    assert victim.get(callback).status_code == 401
    assert offers.client().get(callback).status_code == 401  # a browser with no session at all
    assert offers.whoami(victim).status_code == 401
    assert offers.logged_in_rows() == []
    assert attacker.get(callback).status_code == 303  # it still completes where it began


def test_a_wrong_nonce_is_refused(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    browser = booking.client()
    callback = booking.callback_at_provider(browser, "citizen-anna")
    with booking.context.db.engine.begin() as connection:
        connection.execute(text("UPDATE pending_login SET nonce = 'another-nonce'"))

    response = browser.get(callback)

    assert response.status_code == 401 and "Login blev afvist" in response.get_data(as_text=True)
    assert booking.logged_in_rows() == []


def test_an_error_from_the_provider_is_refused_without_showing_its_description(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    state = query_of(offers.start_login(browser))["state"]
    description = "<img src=x onerror=alert(1)>"

    response = browser.get(
        "/login/callback", query_string={"state": state, "error": "access_denied", "error_description": description}
    )

    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Login blev afbrudt." in page and description not in page and "access_denied" not in page
    assert offers.logged_in_rows() == []


def test_logout_without_the_csrf_token_is_refused_and_the_session_goes_on(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    offers.log_in(browser, "staff-pia")

    refused = browser.post("/logout", data={"csrf_token": "not-the-token"})
    missing = browser.post("/logout")

    assert refused.status_code == missing.status_code == 403
    assert refused.get_json()["code"] == "csrf_failed"
    assert session_cookies(refused) == []
    assert offers.whoami(browser).status_code == 200


def test_logout_ends_the_session_here_and_at_the_provider(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers")
    browser = offers.client()
    offers.log_in(browser, "staff-pia")
    cookie = cookie_of(browser)
    token = offers.csrf_token(browser)

    response = browser.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"{offers.oidc.issuer}/oauth2/end_session?")
    assert query_of(location) == {"client_id": "planner-staff", "post_logout_redirect_uri": "http://localhost/"}
    (cleared,) = session_cookies(response)
    assert "Expires=Thu, 01 Jan 1970" in cleared
    stale = offers.client()
    stale.set_cookie("planner_session", cookie or "")
    assert offers.whoami(stale).status_code == 401
    assert offers.logged_in_rows() == []


def test_logout_at_a_provider_without_an_end_session_endpoint_goes_home(
    build_browser_service: BuildBrowserService, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = build_browser_service("booking")
    provider = booking.app.extensions["planner.login"].provider
    metadata = dataclasses.replace(provider.metadata(), end_session_endpoint=None)
    monkeypatch.setattr(provider, "metadata", lambda: metadata)
    browser = booking.client()
    booking.log_in(browser, "citizen-anna")

    response = browser.post("/logout", data={"csrf_token": booking.csrf_token(browser)})

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert booking.whoami(browser).status_code == 401


def test_the_demo_cookie_is_not_secure_only(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", cookie_secure=False)
    browser = offers.client()
    response = offers.log_in(browser, "staff-pia")
    (set_cookie,) = session_cookies(response)
    assert "Secure" not in set_cookie and "HttpOnly" in set_cookie
    assert offers.whoami(browser).status_code == 200


def test_without_a_provider_there_are_no_login_routes(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", provider=False)
    browser = offers.client()
    assert browser.get("/login").status_code == 404
    assert browser.get("/login/callback").status_code == 404
    assert browser.post("/logout").status_code == 404


def test_the_login_start_redirect_goes_to_the_provider_with_pkce_and_no_next(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers")
    url = offers.start_login(offers.client(), "/offers/hemmelig-sti")
    query = query_of(url)
    assert urlsplit(url).path == "/oauth2/authorize"
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert "hemmelig-sti" not in url
