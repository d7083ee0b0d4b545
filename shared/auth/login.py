"""Browser login: the authorization code flow with PKCE (S256), state and nonce.

``start`` makes a fresh ``state``, ``nonce`` and ``code_verifier`` (``secrets``), keeps them
server-side in a ``PendingLoginStore`` under the browser's (pre-login) session id, and
returns the provider's authorization URL; only ``state``, ``nonce`` and the S256 challenge
travel in it. ``complete`` takes the callback's query parameters, finds the pending login by
the same browser session and ``state`` (one use only: a replayed callback finds nothing),
exchanges the code with the verifier, checks the ID token (signature, issuer, audience, expiry,
nonce) and returns the principal. Nothing here logs a token or a claim.

Keeping pending logins per browser session, not globally per ``state``, stops login CSRF:
a callback made for someone else's browser does not complete in yours. The ID token is not
kept: it carries the CPR claim. Logout at the provider (``login_routes``) uses ``client_id`` with
``post_logout_redirect_uri`` (OpenID Connect RP-Initiated Logout), no ``id_token_hint``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from shared.auth.claims import REFUSED, principal_from_claims
from shared.auth.clients import OidcClient
from shared.auth.discovery import UNAVAILABLE, OidcProvider
from shared.auth.principal import Citizen, StaffMember
from shared.auth.tokens import validate_jwt
from shared.errors import Unauthenticated, UpstreamUnavailable
from shared.i18n import N_

log = logging.getLogger(__name__)

PENDING_LOGIN_MAX_AGE_SECONDS = 600
CANCELLED = N_("Login blev afbrudt.")


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A login that was started and not completed; ``started_at`` is a POSIX time."""

    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str
    started_at: float
    return_to: str | None = None  # the local path to show after the login (already checked)


@dataclass(frozen=True, slots=True)
class CompletedLogin:
    """A login that completed: who logged in, and where they wanted to go afterwards."""

    principal: Citizen | StaffMember
    return_to: str | None = None


class PendingLoginStore(Protocol):
    """Where pending logins wait for their callback: server-side, never in a cookie."""

    def put(self, browser_session: str, login: PendingLogin) -> None:
        """Keep ``login`` for ``browser_session`` (several may wait: one per tab)."""

    def take(self, browser_session: str, state: str) -> PendingLogin | None:
        """Remove and return the pending login of ``browser_session`` with ``state``, if any."""


class MemoryPendingLoginStore:
    """In-process store for tests; services use ``sessions.DatabasePendingLoginStore``."""

    def __init__(self) -> None:
        self._logins: dict[tuple[str, str], PendingLogin] = {}
        self._lock = threading.Lock()

    def put(self, browser_session: str, login: PendingLogin) -> None:
        with self._lock:
            self._logins[(browser_session, login.state)] = login

    def take(self, browser_session: str, state: str) -> PendingLogin | None:
        with self._lock:
            return self._logins.pop((browser_session, state), None)


def _refused(reason: str, detail: str = REFUSED) -> Unauthenticated:
    log.info("login refused: %s", reason)
    return Unauthenticated(detail, reason=reason, code="login_refused")


@dataclass
class OidcLogin:
    """Login of citizens or of staff at one provider."""

    client: OidcClient
    provider: OidcProvider
    store: PendingLoginStore
    clock: Callable[[], float] = time.time

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.client.client_id,
            client_secret=self.client.client_secret,
            scope=self.client.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def start(self, browser_session: str, redirect_uri: str, return_to: str | None = None) -> str:
        """Begin a login for ``browser_session``; returns the URL to redirect the browser to.

        ``return_to`` (a local path the caller has checked) is kept with the pending login
        and handed back by ``finish``; it never travels to the provider."""
        metadata = self.provider.metadata()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            redirect_uri=redirect_uri,
            started_at=self.clock(),
            return_to=return_to,
        )
        with self._session(redirect_uri) as session:
            url, _ = session.create_authorization_url(
                metadata.authorization_endpoint,
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        self.store.put(browser_session, pending)
        return url

    def complete(self, browser_session: str, callback: Mapping[str, str]) -> Citizen | StaffMember:
        """Finish the login whose callback carried ``callback`` (its query parameters)."""
        return self.finish(browser_session, callback).principal

    def finish(self, browser_session: str, callback: Mapping[str, str]) -> CompletedLogin:
        """``complete``, also returning the ``return_to`` given to ``start``."""
        state = callback.get("state") or ""
        pending = self.store.take(browser_session, state) if state else None
        if pending is None:
            raise _refused("unknown or used state")
        if self.clock() - pending.started_at > PENDING_LOGIN_MAX_AGE_SECONDS:
            raise _refused("login took too long")
        if "error" in callback:
            raise _refused(f"provider answered {callback.get('error')!s:.40}", CANCELLED)
        if "iss" in callback and callback["iss"] != self.provider.issuer:  # RFC 9207: mix-up
            raise _refused("callback from another issuer")
        code = callback.get("code")
        if not code:
            raise _refused("no code")
        metadata = self.provider.metadata()
        try:
            with self._session(pending.redirect_uri) as session:
                token = session.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=self.provider.timeout,
                    allow_redirects=False,
                )
        except OAuthError as exc:
            raise _refused(f"token endpoint answered {exc.error!s:.40}") from None
        except (requests.RequestException, ValueError) as exc:
            log.warning("token endpoint unreachable or not answering JSON: %s", type(exc).__name__)
            raise UpstreamUnavailable(UNAVAILABLE, code="provider_unreachable") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _refused("no ID token")
        claims = validate_jwt(
            id_token,
            self.provider,
            audience=self.client.client_id,
            now=self.clock(),
            nonce=pending.nonce,
            authorized_party=self.client.client_id,
        )
        return CompletedLogin(principal_from_claims(self.client, claims), pending.return_to)
