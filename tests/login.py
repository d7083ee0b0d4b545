"""Logging in at the embedded OpenID Connect provider as a person would, for tests that
call the APIs as a citizen or a staff member (the code flow with PKCE, as an app does)."""

from __future__ import annotations

import threading
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from services.demo.oidc_provider import EmbeddedOidcProvider

CALLBACK = "http://127.0.0.1:8081/login/callback"


def tokens_for(provider: EmbeddedOidcProvider, sub: str, client_id: str = "planner-citizens") -> dict[str, Any]:
    """Log ``sub`` in at ``provider`` for ``client_id`` and return the token response."""
    metadata = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()
    options = {"scope": "openid profile", "redirect_uri": CALLBACK, "code_challenge_method": "S256"}
    with OAuth2Session(client_id, "secret", **options) as session:
        verifier = "v" * 50
        url, _ = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce="test-nonce"
        )
        callback = provider.log_in_as(url, sub)
        token = session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier, timeout=5
        )
        return dict(token)


class Logins:
    """Access-token headers per user of one provider, each user logged in once (thread-safe)."""

    def __init__(self, provider: EmbeddedOidcProvider, client_id: str = "planner-citizens") -> None:
        self.provider, self.client_id = provider, client_id
        self._headers: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def headers(self, sub: str) -> dict[str, str]:
        with self._lock:
            if sub not in self._headers:
                token = tokens_for(self.provider, sub, self.client_id)["access_token"]
                self._headers[sub] = {"Authorization": f"Bearer {token}"}
            return self._headers[sub]
