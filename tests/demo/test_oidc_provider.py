"""The embedded OIDC provider enforces PKCE S256 and issues JWT access tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from services.demo.oidc_provider import EmbeddedOidcProvider, User, s256, start_oidc_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[EmbeddedOidcProvider]:
    started = start_oidc_provider([User(sub="anna", claims={"groups": ["g"]})], access_token_audience="api")
    try:
        yield started
    finally:
        started.stop()


def _authorize_url(provider: EmbeddedOidcProvider, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": "c",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "scope": "openid",
        "state": "s",
        "nonce": "n",
    } | extra
    return f"{provider.issuer}/oauth2/authorize?{urlencode(query)}"


def _token(provider: EmbeddedOidcProvider, code: str, verifier: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:1/cb",
        "code_verifier": verifier,
    }
    return requests.post(f"{provider.issuer}/oauth2/token", data=data, auth=("c", "x"), timeout=10)


def _code(callback: str) -> str:
    return callback.split("code=")[1].split("&")[0]


def test_an_authorization_request_without_s256_is_refused(provider: EmbeddedOidcProvider) -> None:
    for extra in ({}, {"code_challenge": "abc", "code_challenge_method": "plain"}):
        assert requests.get(_authorize_url(provider, **extra), timeout=10).status_code == 400


def test_the_code_needs_its_verifier_and_then_yields_a_jwt_access_token(provider: EmbeddedOidcProvider) -> None:
    verifier = "v" * 60
    url = _authorize_url(provider, code_challenge=s256(verifier), code_challenge_method="S256")
    code = _code(provider.log_in_as(url, "anna"))
    assert _token(provider, code, "w" * 60).json() == {"error": "invalid_grant"}
    response = _token(provider, code, verifier)
    assert response.status_code == 200, response.text
    header, payload = (
        json.loads(base64.urlsafe_b64decode(part + "==")) for part in response.json()["access_token"].split(".")[:2]
    )
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt"
    assert payload["aud"] == "api" and payload["iss"] == provider.issuer and payload["groups"] == ["g"]


def test_a_person_sees_the_login_form_with_the_users_to_choose_from(provider: EmbeddedOidcProvider) -> None:
    url = _authorize_url(provider, code_challenge=s256("v" * 50), code_challenge_method="S256")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<form" in page.text and ">anna<" in page.text
