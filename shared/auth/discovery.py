"""An OpenID Connect provider's discovery document and signing keys, fetched and cached.

Both come over HTTPS (or loopback HTTP, for the demo and tests) with a timeout, without
following redirects, and are refused past ``MAX_DOCUMENT_BYTES``. They are kept for
``max_age`` seconds (the setting ``PLANNER_OIDC_KEYS_CACHE_SECONDS``). A token signed with a
key id the cached set does not know makes one early refetch (the provider rotated its keys),
at most once per ``MIN_REFETCH_SECONDS``, so forged key ids cannot make us hammer the
provider. The discovery document's ``issuer`` must be exactly the configured issuer. Only
asymmetric public signing keys are taken from the JWKS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import is_secure_transport
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from shared.errors import UpstreamUnavailable

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 256 * 1024
MIN_REFETCH_SECONDS = 60.0
SIGNING_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})  # public keys only: never a shared (oct) secret
UNAVAILABLE = "Login-tjenesten svarer ikke lige nu. Prøv igen om lidt."


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None


def fetch_json(url: str, *, timeout: float, session: requests.Session | None = None) -> Any:
    """GET ``url`` as JSON: secure transport, a timeout, no redirects, at most ``MAX_DOCUMENT_BYTES``."""
    if not is_secure_transport(url):
        raise UpstreamUnavailable(UNAVAILABLE, code="insecure_provider_url")
    http = session or requests
    try:
        headers = {"Accept": "application/json"}
        with http.get(url, timeout=timeout, stream=True, allow_redirects=False, headers=headers) as response:
            if response.status_code != 200:
                raise UpstreamUnavailable(UNAVAILABLE, code="provider_error", extra={"status": response.status_code})
            body = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        log.warning("OpenID Connect provider unreachable at %s: %s", url, type(exc).__name__)
        raise UpstreamUnavailable(UNAVAILABLE, code="provider_unreachable") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise UpstreamUnavailable(UNAVAILABLE, code="provider_document_too_large")
    try:
        return json.loads(body)
    except ValueError:
        raise UpstreamUnavailable(UNAVAILABLE, code="provider_document_invalid") from None


class OidcProvider:
    """One issuer's metadata and keys, shared by every request of a process (thread-safe)."""

    def __init__(
        self,
        issuer: str,
        *,
        timeout: float = 5.0,
        max_age: float = 3600.0,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer  # exact, as the tokens name it (Entra ID v1 ends in a slash)
        self.timeout = timeout
        self.max_age = max_age
        self._session = session or requests.Session()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def metadata(self) -> ProviderMetadata:
        """The discovery document (cached)."""
        with self._lock:
            if self._metadata is None or self._monotonic() - self._metadata[0] > self.max_age:
                self._metadata = (self._monotonic(), self._fetch_metadata())
            return self._metadata[1]

    def key_set(self, kid: str | None = None) -> KeySet:
        """The signing keys (cached); refetched early once when ``kid`` is not among them."""
        metadata = self.metadata()
        with self._lock:
            now = self._monotonic()
            stale = self._keys is None or now - self._keys[0] > self.max_age
            unknown = self._keys is not None and kid is not None and kid not in {k.kid for k in self._keys[1]}
            if stale or (unknown and now - self._keys[0] >= MIN_REFETCH_SECONDS):
                self._keys = (now, self._fetch_keys(metadata.jwks_uri))
            return self._keys[1]

    def _fetch_metadata(self) -> ProviderMetadata:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = fetch_json(url, timeout=self.timeout, session=self._session)
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            log.error("the discovery document of %s names another issuer", self.issuer)
            raise UpstreamUnavailable(UNAVAILABLE, code="provider_issuer_mismatch")
        try:
            metadata = ProviderMetadata(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                jwks_uri=document["jwks_uri"],
                end_session_endpoint=document.get("end_session_endpoint"),
            )
        except KeyError as exc:
            missing = {"missing": str(exc)}
            raise UpstreamUnavailable(UNAVAILABLE, code="provider_document_incomplete", extra=missing) from None
        for url in (metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri):
            if not isinstance(url, str) or not is_secure_transport(url):
                raise UpstreamUnavailable(UNAVAILABLE, code="insecure_provider_url")
        return metadata

    def _fetch_keys(self, jwks_uri: str) -> KeySet:
        document = fetch_json(jwks_uri, timeout=self.timeout, session=self._session)
        try:
            public = [
                key
                for key in document["keys"]
                if isinstance(key, dict)
                and key.get("kty") in SIGNING_KEY_TYPES
                and key.get("use", "sig") == "sig"
                and "d" not in key
            ]
            return KeySet.import_key_set({"keys": public})
        except (KeyError, TypeError, ValueError, JoseError):
            raise UpstreamUnavailable(UNAVAILABLE, code="provider_keys_invalid") from None
