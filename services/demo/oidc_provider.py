"""An embedded OpenID Connect provider for the tests and (next) the demo.

It is the PyPI package ``oidc-provider-mock`` (authlib's server parts: discovery, JWKS,
RS256-signed ID tokens, a login form where a person picks who they are) served by waitress
in a daemon thread on a free loopback port, like ``embedded_radicale``. Two things are added
around it so that it behaves as NemLog-in and Entra ID do where this project relies on it:

- **PKCE is enforced** (S256 only): the mock ignores ``code_challenge``, so a small WSGI
  layer refuses an authorization request without an S256 challenge and a token request
  whose ``code_verifier`` does not match the challenge of its code.
- **Access tokens are JWTs** (RFC 9068 style, signed with the provider's key, audience
  ``access_token_audience``, carrying the user's claims, e.g. the CPR claim or groups), as
  Entra ID's are; the mock's own are opaque random strings.

Users are ``oidc_provider_mock.User(sub=..., claims={...})``: the claims (a CPR claim,
``groups``, ``name``) go into the ID token and the access token. ``requested_urls`` keeps
every path and query the provider was asked for, so a test can show that no CPR number
travelled in a URL. Never point a production service at it: anyone may log in as anyone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flask
import oidc_provider_mock
import requests
from joserfc import jwk, jwt
from waitress.server import create_server
from werkzeug.debug import DebuggedApplication

from services.demo.waitress_thread import stop_server

log = logging.getLogger(__name__)

User = oidc_provider_mock.User

_STANDARD_CLAIMS = {"sub", "iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "scope", "client_id"}


def s256(code_verifier: str) -> str:
    """The PKCE S256 challenge of ``code_verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _json_response(start_response: Callable[..., Any], status: str, body: dict[str, str]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class _PkceAndRecording:
    """WSGI layer: records every requested URL and enforces PKCE S256 (see the module)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requested_urls: list[str] = []
        self._challenges: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        with self._lock:
            self.requested_urls.append(f"{path}?{query}" if query else path)
        if path == "/oauth2/authorize":
            return self._authorize(environ, start_response, parse_qs(query))
        if path == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _authorize(
        self, environ: dict[str, Any], start_response: Callable[..., Any], args: dict[str, list[str]]
    ) -> Iterable[bytes]:
        challenge = args.get("code_challenge", [""])[0]
        if not challenge or args.get("code_challenge_method", [""])[0] != "S256":
            return _json_response(start_response, "400 Bad Request", {"error": "invalid_request"})
        captured: dict[str, str] = {}

        def remember_location(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured.update({name.lower(): value for name, value in headers})
            return start_response(status, headers, *rest)

        body = self.app(environ, remember_location)
        code = parse_qs(urlsplit(captured.get("location", "")).query).get("code", [""])[0]
        if code:
            with self._lock:
                self._challenges[code] = challenge
        return body

    def _token(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        form = parse_qs(raw.decode("utf-8", "replace"))
        if form.get("grant_type", [""])[0] == "authorization_code":
            code, verifier = form.get("code", [""])[0], form.get("code_verifier", [""])[0]
            with self._lock:
                challenge = self._challenges.get(code)
            if challenge is not None and not (verifier and secrets.compare_digest(s256(verifier), challenge)):
                return _json_response(start_response, "400 Bad Request", {"error": "invalid_grant"})
        return self.app(environ, start_response)


def _access_token_generator(audience: str, max_age: timedelta) -> Callable[..., str]:
    """An authlib token generator that issues signed JWT access tokens (RFC 9068)."""

    def generate(client: Any, grant_type: str, user: Any, scope: str) -> str:
        key = jwk.import_key(flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True), "RSA")
        now = int(time.time())
        claims = {name: value for name, value in user.claims.items() if name not in _STANDARD_CLAIMS}
        claims |= {
            "iss": flask.request.host_url.rstrip("/"),
            "sub": user.sub,
            "aud": audience,
            "client_id": client.get_client_id(),
            "scope": scope,
            "iat": now,
            "exp": now + int(max_age.total_seconds()),
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)

    return generate


@dataclass
class EmbeddedOidcProvider:
    """A running embedded provider; ``issuer`` is its URL (no trailing slash)."""

    issuer: str
    access_token_audience: str
    _recorder: _PkceAndRecording = field(repr=False)
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def requested_urls(self) -> list[str]:
        """Every path (with its query) requested so far, in order."""
        return list(self._recorder.requested_urls)

    def put_user(self, sub: str, claims: dict[str, object]) -> None:
        """Add or replace the user ``sub`` and the claims their tokens carry."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def log_in_as(self, authorization_url: str, sub: str) -> str:
        """Do what a person does on the login form: choose ``sub`` and authorize.

        Returns the URL the provider redirects the browser to (the client's callback with
        ``code`` and ``state``), without following it.
        """
        response = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        if response.status_code != 302:
            raise RuntimeError(f"the provider did not redirect (HTTP {response.status_code})")
        return response.headers["Location"]

    def stop(self) -> None:
        """Stop serving and wait for the server thread (idempotent)."""
        stop_server(self._server, self._thread)


def start_oidc_provider(
    users: Sequence[User] = (),
    *,
    access_token_audience: str = "jobcenter-planner",
    access_token_max_age: timedelta = timedelta(hours=1),
    host: str = "127.0.0.1",
    port: int = 0,
) -> EmbeddedOidcProvider:
    """Start the provider with ``users`` on ``host``:``port`` (0: a free port)."""
    # Named after the package, so Flask finds its templates (the login form a person sees).
    app = flask.Flask(oidc_provider_mock.__name__)
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = _access_token_generator(access_token_audience, access_token_max_age)
    oidc_provider_mock.init_app(
        app, require_nonce=True, issue_refresh_token=False, access_token_max_age=access_token_max_age, user_claims=users
    )
    # init_app turns on Flask's debug mode and Werkzeug's interactive debugger: not here.
    app.debug = False
    if isinstance(app.wsgi_app, DebuggedApplication):
        app.wsgi_app = app.wsgi_app.app
    app.secret_key = secrets.token_bytes(32)
    recorder = _PkceAndRecording(app)
    server = create_server(recorder, host=host, port=port, threads=4, ident="oidc-provider-embedded")
    thread = threading.Thread(target=server.run, name=f"oidc-provider-{server.effective_port}", daemon=True)
    thread.start()
    issuer = f"http://{host}:{int(server.effective_port)}"
    log.info("embedded OIDC provider serving on %s", issuer)
    return EmbeddedOidcProvider(
        issuer=issuer, access_token_audience=access_token_audience, _recorder=recorder, _server=server, _thread=thread
    )
