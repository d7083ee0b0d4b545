"""What every web service does for browsers: security headers and the CSRF check.

Every response carries a Content-Security-Policy without inline scripts or styles
(``BASE_POLICY``), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` (no page needs to tell another site where the person came
from; the login callback's URL carries a code) and, unless the demo runs on plain HTTP
(``cookie_secure`` false), ``Strict-Transport-Security`` (without ``includeSubDomains``:
the municipality's other hosts are not ours to decide for).

``form-action`` also names the login providers' origins: browsers apply it to the
redirects after a form is sent, and "Log ud" is a form whose answer redirects to the
provider's end-session endpoint (as may a "Log ind" form).

The Swagger UI page (``/docs``, and its OAuth redirect page) is APIFlask's template with
one inline ``<script>`` and one inline ``<style>``. It gets the same policy with the SHA-256
of exactly those blocks added (computed from the page as sent), never ``'unsafe-inline'``.

CSRF: a request authenticated by the session cookie (``Credential.SESSION``) with a method
other than GET, HEAD or OPTIONS must carry the session's CSRF token in the form field
``csrf_token`` or the header ``X-CSRF-Token``; else 403 ``csrf_failed``. Bearer and API-key
requests need none (a browser never adds those by itself). Pages put the token in their
forms with the template global ``csrf_token()``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.auth.web import SESSION_COOKIE, Credential, current_credential
from shared.config import Settings
from shared.errors import Forbidden
from shared.i18n import N_

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FAILED = N_("Formularen er udløbet eller kom ikke fra denne side. Gå tilbage, genindlæs siden, og prøv igen.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HSTS = "max-age=31536000"
DOCS_ENDPOINTS = frozenset({"openapi.docs", "openapi.swagger_ui_oauth_redirect", "openapi.redoc"})
BASE_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}
_INLINE = {
    "script-src": re.compile(r"<script>(.*?)</script>", re.DOTALL),
    "style-src": re.compile(r"<style>(.*?)</style>", re.DOTALL),
}


class CsrfTokens(Protocol):
    """Where a browser session's CSRF token is found (``sessions.SessionStore``)."""

    def csrf_token(self, cookie_value: str | None) -> str | None:
        """The token of the cookie's live session, or ``None``."""


def origin_of(url: str) -> str | None:
    """``https://idp.example/tenant/v2.0`` -> ``https://idp.example``; ``None`` if not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def policy_text(policy: dict[str, list[str]]) -> str:
    """A policy as the header's value."""
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def docs_policy(policy: dict[str, list[str]], html: str) -> dict[str, list[str]]:
    """``policy`` plus the hashes of the inline scripts and styles of ``html`` (the docs pages)."""
    extended = {directive: list(sources) for directive, sources in policy.items()}
    for directive, pattern in _INLINE.items():
        for block in pattern.findall(html):
            source = _sha256_source(block)
            if source not in extended[directive]:
                extended[directive].append(source)
    return extended


def csrf_token() -> str:
    """The CSRF token of this request's browser session ("" without one), for forms."""
    sessions: CsrfTokens | None = current_app.extensions.get("planner.csrf_tokens")
    if sessions is None:
        return ""
    return sessions.csrf_token(request.cookies.get(SESSION_COOKIE)) or ""


def check_csrf(sessions: CsrfTokens | None) -> None:
    """``Forbidden`` (403 ``csrf_failed``) unless the request carries its session's CSRF token."""
    expected = sessions.csrf_token(request.cookies.get(SESSION_COOKIE)) if sessions is not None else None
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not expected or not secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise Forbidden(CSRF_FAILED, code="csrf_failed")


def trust_proxies(app: Flask, hops: int) -> None:
    """Trust ``hops`` reverse proxies' ``X-Forwarded-For/-Proto/-Host/-Prefix`` (0: none)."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)  # type: ignore[method-assign]


def install_browser_safety(
    app: Flask,
    settings: Settings,
    sessions: CsrfTokens | None = None,
    *,
    login_origins: Iterable[str] = (),
) -> None:
    """Security headers on every response and the CSRF check (see the module).

    Install after ``install_authentication`` (the check needs the request's credential).
    ``login_origins`` are the URLs (issuers) of the providers this service logs in at.
    """
    if "planner.authenticator" not in app.extensions:
        raise RuntimeError("install_authentication must come before install_browser_safety")
    app.extensions["planner.csrf_tokens"] = sessions
    app.add_template_global(csrf_token, "csrf_token")
    policy = {directive: list(sources) for directive, sources in BASE_POLICY.items()}
    for url in login_origins:
        origin = origin_of(url)
        if origin and origin not in policy["form-action"]:
            policy["form-action"].append(origin)
    header = policy_text(policy)
    # Swagger UI: no off-site favicon or validator badge (the policy would refuse both anyway).
    if str(app.config.get("DOCS_FAVICON", "")).startswith(("http:", "https:")):
        app.config["DOCS_FAVICON"] = "data:,"
    app.config["SWAGGER_UI_CONFIG"] = {"validatorUrl": None, **(app.config.get("SWAGGER_UI_CONFIG") or {})}

    @app.before_request
    def _csrf() -> None:
        if request.endpoint is None or request.method in SAFE_METHODS:
            return
        if current_credential() is Credential.SESSION:
            check_csrf(sessions)

    @app.after_request
    def _headers(response: Response) -> Response:
        value = header
        if request.endpoint in DOCS_ENDPOINTS and response.mimetype == "text/html" and not response.is_streamed:
            value = policy_text(docs_policy(policy, response.get_data(as_text=True)))
        response.headers.setdefault("Content-Security-Policy", value)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if settings.cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
