"""The browser login routes of a service: ``GET /login``, ``GET /login/callback``, ``POST /logout``.

Booking logs citizens in at the MitID broker, offers logs staff in at the municipality's
provider; both use this blueprint, and neither registers it without a configured provider.

- ``/login?next=/local/path`` makes sure the browser has a (pre-login) session, starts the
  code flow (``OidcLogin.start``: state, nonce and PKCE verifier stay in the database) and
  redirects to the provider. ``next`` must be a path on this site; anything else (an
  absolute URL, ``//host``, backslashes) is dropped, so the login cannot become an open
  redirect.
- ``/login/callback`` completes the login for *this* browser's session and replaces the
  session with a new one holding the principal (new cookie value, new CSRF token), then
  redirects (303) to ``next`` or ``/``. A refused login (unknown or used state, another
  browser's callback, a wrong nonce, a provider error) answers 401 with a fixed Danish page
  that repeats nothing of the request, and logs no one in.
- ``/logout`` needs the session's CSRF token (form field ``csrf_token``), ends the session,
  clears the cookie and redirects to the provider's ``end_session_endpoint`` with
  ``client_id`` and ``post_logout_redirect_uri`` (OpenID Connect RP-Initiated Logout; IT
  registers ``<public URL>/`` as a post-logout URI), or to ``/`` when the provider has none.

The callback URL is ``<public URL>/login/callback``: the service's public URL setting when
set (behind a proxy), else the request's own address. The session cookie is HttpOnly,
SameSite=Lax, ``Path=/``, a browser-session cookie, and Secure unless ``cookie_secure`` is off.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, Response, redirect, request, url_for

from shared.auth.claims import REFUSED
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.login import OidcLogin
from shared.auth.sessions import SessionStore
from shared.auth.web import SESSION_COOKIE, public
from shared.config import Settings
from shared.errors import Unauthenticated, UpstreamUnavailable
from shared.pages import page_text, render_page
from shared.rate_limit import Rule, rule
from shared.web_security import check_csrf

log = logging.getLogger(__name__)

LOGIN_START = "login.start"
LOGIN_CALLBACK = "login.callback"
LOGOUT = "login.logout"
LOGIN_ENDPOINTS = (LOGIN_START, LOGIN_CALLBACK)
MAX_RETURN_PATH = 500
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def safe_return_path(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/offers?x=1``), else ``None``."""
    if not value or len(value) > MAX_RETURN_PATH or _UNSAFE_IN_PATH.search(value):
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def set_session_cookie(response: Response, value: str, *, secure: bool) -> None:
    """Give the browser its session cookie (no Max-Age: the server decides when it ends)."""
    response.set_cookie(SESSION_COOKIE, value, path="/", secure=secure, httponly=True, samesite="Lax")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Tell the browser to forget its session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def refused_page(detail: str) -> Response:
    """The 401 page of a refused login; ``detail`` is one of our own fixed Danish messages
    (in the page's language). Its language link leads to the start page, not the callback."""
    return _no_store(render_page("pages/login_refused.html", status=401, here="/", detail=page_text(detail)))


def login_blueprint(
    login: OidcLogin, sessions: SessionStore, *, cookie_secure: bool, public_url: str = ""
) -> Blueprint:
    """The three routes (see the module) for one provider registration."""
    bp = Blueprint("login", __name__)

    def base_url() -> str:
        return public_url.rstrip("/") if public_url else request.host_url.rstrip("/")

    def callback_url() -> str:
        return base_url() + url_for(LOGIN_CALLBACK)

    @bp.get("/login")
    @public
    def start() -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        session_cookie = sessions.ensure(cookie)
        return_to = safe_return_path(request.args.get("next"))
        if request.args.get("next") and return_to is None:
            log.info("login: a next that is not a local path was dropped")
        response = redirect(login.start(session_cookie, callback_url(), return_to=return_to), code=302)
        if session_cookie != cookie:
            set_session_cookie(response, session_cookie, secure=cookie_secure)
        return _no_store(response)

    @bp.get("/login/callback")
    @public
    def callback() -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        try:
            if not cookie:
                raise Unauthenticated(REFUSED, reason="no browser session", code="login_refused")
            completed = login.finish(cookie, request.args.to_dict())
        except Unauthenticated as refused:
            log.info("login refused at the callback: %s", refused.reason)
            return refused_page(refused.detail)
        new_cookie = sessions.log_in(cookie, completed.principal)
        response = redirect(completed.return_to or "/", code=303)
        set_session_cookie(response, new_cookie, secure=cookie_secure)
        return _no_store(response)

    @bp.post("/logout")
    @public
    def logout() -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        destination = "/"
        if cookie and sessions.is_live(cookie):
            check_csrf(sessions)  # 403 csrf_failed, and the session goes on
            was_logged_in = sessions.principal_for(cookie) is not None
            sessions.log_out(cookie)
            if was_logged_in:
                destination = _end_session_url(login, base_url() + "/") or "/"
        response = redirect(destination, code=303)
        clear_session_cookie(response, secure=cookie_secure)
        return _no_store(response)

    return bp


def _end_session_url(login: OidcLogin, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL for this client, or ``None`` (none, or unreachable)."""
    try:
        endpoint = login.provider.metadata().end_session_endpoint
    except UpstreamUnavailable:
        log.warning("provider unreachable at logout: logged out here only")
        return None
    if not endpoint:
        return None
    query = urlencode({"client_id": login.client.client_id, "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def login_rate_rules(settings: Settings) -> dict[str, list[Rule]]:
    """Login starts and callbacks per client IP (``login_rate_limit``), each counted apart."""
    rules = {endpoint: rule(endpoint, settings.login_rate_limit) for endpoint in LOGIN_ENDPOINTS}
    return {endpoint: [endpoint_rule] for endpoint, endpoint_rule in rules.items() if endpoint_rule is not None}


def install_login(
    app: Flask,
    client: OidcClient | None,
    sessions: SessionStore,
    settings: Settings,
    *,
    public_url: str = "",
    provider: OidcProvider | None = None,
) -> OidcLogin | None:
    """Register the login routes for ``client``; nothing (``None``) when no provider is configured."""
    if client is None:
        return None
    provider = provider or OidcProvider(
        client.issuer, timeout=settings.oidc_timeout_seconds, max_age=settings.oidc_keys_cache_seconds
    )
    login = OidcLogin(client, provider, sessions.pending_logins, clock=lambda: sessions.clock().timestamp())
    app.register_blueprint(
        login_blueprint(login, sessions, cookie_secure=settings.cookie_secure, public_url=public_url)
    )
    app.extensions["planner.login"] = login
    return login
