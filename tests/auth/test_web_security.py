"""Security headers on every answer (the Swagger UI page included) and the CSRF check of cookie sessions."""

from __future__ import annotations

import base64
import hashlib
import re

from flask.testing import FlaskClient

from shared.auth.principal import Grant, Role, StaffMember
from tests.auth.conftest import ECHO, BrowserService, BuildBrowserService
from tests.identities import IT_KEY, bearer

PIA = StaffMember(user_id="staff-pia", name="Pia", grants=frozenset({Grant(Role.PLANNER, "10101")}))
STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _logged_in(service: BrowserService) -> tuple[FlaskClient, str]:
    client = service.client()
    cookie = service.sessions.log_in(None, PIA)
    client.set_cookie("planner_session", cookie)
    return client, service.sessions.csrf_token(cookie) or ""


def test_an_api_answer_carries_the_security_headers(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", provider=False)
    response = offers.client().get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == STRICT
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    refused = offers.client().get("/api/v1/job-centres")  # an error answer too
    assert refused.status_code == 401 and refused.headers["Content-Security-Policy"] == STRICT


def test_the_demo_on_plain_http_sends_no_hsts(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking", cookie_secure=False)
    response = booking.client().get("/healthz")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def test_forms_may_lead_to_the_login_provider_and_nowhere_else(build_browser_service: BuildBrowserService) -> None:
    booking = build_browser_service("booking")
    policy = _directives(booking.client().get("/healthz").headers["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", booking.oidc.issuer]
    assert policy["script-src"] == ["'self'"]


def test_the_swagger_ui_page_runs_its_own_inline_script_and_style_by_hash_only(
    build_browser_service: BuildBrowserService,
) -> None:
    offers = build_browser_service("offers", provider=False)
    client = offers.client()
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    policy_text = page.headers["Content-Security-Policy"]
    policy = _directives(policy_text)
    inline_scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    inline_styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(inline_scripts) == 1 and "SwaggerUIBundle(baseConfig)" in inline_scripts[0]
    assert policy["script-src"] == ["'self'", _sha256(inline_scripts[0])]
    assert policy["style-src"] == ["'self'", *map(_sha256, inline_styles)]
    assert "unsafe-inline" not in policy_text and "unsafe-eval" not in policy_text
    assert policy["frame-ancestors"] == ["'none'"]
    assets = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', html)
    assert len(assets) == 3
    for src in assets:
        assert src.startswith("/docs/assets/"), src  # same origin: allowed by 'self'
        assert client.get(src).status_code == 200
    assert "validatorUrl" in inline_scripts[0]  # no badge image from another site
    assert "apiflask.com" not in html


def test_a_cookie_session_post_needs_the_csrf_token(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", provider=False)
    client, token = _logged_in(offers)

    missing = client.post(ECHO)
    wrong = client.post(ECHO, headers={"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")})
    assert missing.status_code == wrong.status_code == 403
    assert missing.get_json()["code"] == "csrf_failed"
    assert "Formularen" in missing.get_json()["detail"]
    assert client.post(ECHO, headers={"X-CSRF-Token": token}).get_json() == {"done": True}
    assert client.post(ECHO, data={"csrf_token": token}).get_json() == {"done": True}
    assert offers.csrf_token(client) == token  # what a page's form would carry


def test_bearer_requests_need_no_csrf_token(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", provider=False)
    client, _ = _logged_in(offers)
    response = client.post(ECHO, headers=bearer(IT_KEY))  # the cookie is sent too, but not used
    assert response.status_code == 200


def test_a_session_token_is_no_good_for_another_session(build_browser_service: BuildBrowserService) -> None:
    offers = build_browser_service("offers", provider=False)
    client, _ = _logged_in(offers)
    _, other_token = _logged_in(offers)
    assert client.post(ECHO, headers={"X-CSRF-Token": other_token}).status_code == 403
