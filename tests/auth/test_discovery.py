"""Discovery document and signing keys: cached for a bounded time, fetched with a timeout,
a size bound and no redirects, and only from the configured issuer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from services.demo.oidc_provider import EmbeddedOidcProvider
from shared.auth.discovery import MAX_DOCUMENT_BYTES, MIN_REFETCH_SECONDS, OidcProvider
from shared.errors import UpstreamUnavailable


def _count(oidc_provider: EmbeddedOidcProvider, path: str) -> int:
    return sum(1 for url in oidc_provider.requested_urls if url == path)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_metadata_and_keys_are_cached_for_max_age_then_fetched_again(oidc_provider: EmbeddedOidcProvider) -> None:
    clock = FakeClock()
    provider = OidcProvider(oidc_provider.issuer, max_age=300, monotonic=clock)
    discovery, jwks = _count(oidc_provider, "/.well-known/openid-configuration"), _count(oidc_provider, "/jwks")
    for _ in range(3):
        provider.key_set()
    assert (_count(oidc_provider, "/.well-known/openid-configuration"), _count(oidc_provider, "/jwks")) == (
        discovery + 1,
        jwks + 1,
    )
    clock.now += 301
    provider.key_set()
    assert _count(oidc_provider, "/.well-known/openid-configuration") == discovery + 2
    assert _count(oidc_provider, "/jwks") == jwks + 2


def test_an_unknown_key_id_refetches_the_keys_at_most_once_a_minute(oidc_provider: EmbeddedOidcProvider) -> None:
    clock = FakeClock()
    provider = OidcProvider(oidc_provider.issuer, max_age=3600, monotonic=clock)
    provider.key_set()
    jwks = _count(oidc_provider, "/jwks")
    provider.key_set("rotated-or-forged")
    assert _count(oidc_provider, "/jwks") == jwks  # fetched less than a minute ago
    clock.now += MIN_REFETCH_SECONDS
    provider.key_set("rotated-or-forged")
    provider.key_set("rotated-or-forged")
    assert _count(oidc_provider, "/jwks") == jwks + 1


def test_a_discovery_document_of_another_issuer_is_refused(oidc_provider: EmbeddedOidcProvider) -> None:
    with pytest.raises(UpstreamUnavailable) as refused:
        OidcProvider(oidc_provider.issuer + "/").metadata()
    assert refused.value.code == "provider_issuer_mismatch"


class _NoRequests:
    def get(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a request was sent")


def test_plain_http_to_a_host_that_is_not_loopback_is_never_requested() -> None:
    with pytest.raises(UpstreamUnavailable) as refused:
        OidcProvider("http://login.example.org", session=_NoRequests()).metadata()  # type: ignore[arg-type]
    assert refused.value.code == "insecure_provider_url"


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Callable[[BaseHTTPRequestHandler], None]]] = {}

    def do_GET(self) -> None:
        self.routes[self.path](self)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def odd_server() -> Iterator[tuple[str, dict[str, Callable[[BaseHTTPRequestHandler], None]]]]:
    """A loopback server whose answers each test writes itself (routes: path -> handler)."""
    routes: ClassVar[dict[str, Callable[[BaseHTTPRequestHandler], None]]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    request.send_response(status)
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def test_a_document_past_the_size_bound_is_refused(odd_server: tuple[str, dict]) -> None:
    url, routes = odd_server
    big = json.dumps({"issuer": url, "padding": "x" * MAX_DOCUMENT_BYTES}).encode()
    routes["/.well-known/openid-configuration"] = lambda request: _send(request, 200, big)
    with pytest.raises(UpstreamUnavailable) as refused:
        OidcProvider(url).metadata()
    assert refused.value.code == "provider_document_too_large"


def test_a_redirect_is_not_followed(odd_server: tuple[str, dict]) -> None:
    url, routes = odd_server
    routes["/.well-known/openid-configuration"] = lambda request: _send(request, 302, b"", {"Location": "/elsewhere"})
    document = {"issuer": url, "authorization_endpoint": url, "token_endpoint": url, "jwks_uri": url}
    routes["/elsewhere"] = lambda request: _send(request, 200, json.dumps(document).encode())
    with pytest.raises(UpstreamUnavailable) as refused:
        OidcProvider(url).metadata()
    assert refused.value.code == "provider_error"


def test_a_provider_that_does_not_answer_in_time_is_unavailable(odd_server: tuple[str, dict]) -> None:
    url, routes = odd_server

    release = threading.Event()
    answered = threading.Event()

    def hanging(request: BaseHTTPRequestHandler) -> None:
        release.wait(30)
        answered.set()
        _send(request, 200, b"{}")

    routes["/.well-known/openid-configuration"] = hanging
    try:
        with pytest.raises(UpstreamUnavailable) as refused:
            OidcProvider(url, timeout=0.3).metadata()
        # the client gave up while the provider still had not answered
        assert not answered.is_set()
    finally:
        release.set()
    assert refused.value.code == "provider_unreachable"


def test_only_public_asymmetric_signing_keys_are_taken(odd_server: tuple[str, dict]) -> None:
    url, routes = odd_server
    metadata = {
        "issuer": url,
        "authorization_endpoint": f"{url}/a",
        "token_endpoint": f"{url}/t",
        "jwks_uri": f"{url}/jwks",
    }
    rsa = {
        "kty": "RSA",
        "kid": "rsa",
        "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1Wl"
        "UzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS"
        "8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGU"
        "IuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
        "e": "AQAB",
    }
    keys = {"keys": [{"kty": "oct", "kid": "shared", "k": "c2VjcmV0"}, rsa | {"kid": "enc", "use": "enc"}, rsa]}
    routes["/.well-known/openid-configuration"] = lambda request: _send(request, 200, json.dumps(metadata).encode())
    routes["/jwks"] = lambda request: _send(request, 200, json.dumps(keys).encode())
    assert [key.kid for key in OidcProvider(url).key_set()] == ["rsa"]
