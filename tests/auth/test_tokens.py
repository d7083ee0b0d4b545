"""Bearer access tokens and ID tokens, checked against the real provider's published keys.

Genuine tokens come from the provider through the code flow; forged ones are built here the
way an attacker would (unsigned, HMAC with the public key, another RSA key, edited claims).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from services.demo.oidc_provider import EmbeddedOidcProvider
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.principal import Citizen, Grant, Role, StaffMember
from shared.auth.tokens import LEEWAY_SECONDS, BearerAuthenticator, validate_jwt
from shared.errors import Unauthenticated
from tests.auth.conftest import ANNA_CPR, API_AUDIENCE, CPR_CLAIM
from tests.login import tokens_for


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return (json.loads(base64.urlsafe_b64decode(header + "==")), json.loads(base64.urlsafe_b64decode(payload + "==")))


def _compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}"


@pytest.fixture(scope="module")
def anna_tokens(oidc_provider: EmbeddedOidcProvider) -> dict[str, Any]:
    return tokens_for(oidc_provider, "citizen-anna")


@pytest.fixture(scope="module")
def pia_tokens(oidc_provider: EmbeddedOidcProvider) -> dict[str, Any]:
    return tokens_for(oidc_provider, "staff-pia", client_id="planner-staff")


@pytest.fixture
def bearer(citizen_client: OidcClient, staff_client: OidcClient, oidc_provider: EmbeddedOidcProvider) -> Any:
    """Factory: a bearer authenticator for both clients (they share the test issuer) at ``now``."""

    def make(now: float | None = None, audience: str = API_AUDIENCE, client: OidcClient = citizen_client) -> Any:
        provider = OidcProvider(oidc_provider.issuer, timeout=5.0)
        clock = (lambda: now) if now is not None else time.time
        return BearerAuthenticator([(client, provider)], audience=audience, clock=clock)

    return make


def _refusal(authenticator: BearerAuthenticator, token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        authenticator.authenticate(token)
    return refused.value.reason


def test_a_citizens_access_token_yields_the_citizen(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    principal = bearer().authenticate(anna_tokens["access_token"])
    assert isinstance(principal, Citizen) and principal.cpr.digits == ANNA_CPR


def test_a_staff_access_token_yields_the_staff_member_with_mapped_roles(
    bearer: Any, staff_client: OidcClient, pia_tokens: dict[str, Any]
) -> None:
    principal = bearer(client=staff_client).authenticate(pia_tokens["access_token"])
    assert isinstance(principal, StaffMember)
    assert principal.grants == {Grant(Role.PLANNER, "10101"), Grant(Role.READER, "20202")}


def test_one_provider_for_citizens_and_staff_tells_them_apart_by_the_tokens_client(
    citizen_client: OidcClient,
    staff_client: OidcClient,
    oidc_provider: EmbeddedOidcProvider,
    anna_tokens: dict[str, Any],
    pia_tokens: dict[str, Any],
) -> None:
    provider = OidcProvider(oidc_provider.issuer, timeout=5.0)
    both = BearerAuthenticator([(citizen_client, provider), (staff_client, provider)], audience=API_AUDIENCE)
    assert isinstance(both.authenticate(anna_tokens["access_token"]), Citizen)
    assert isinstance(both.authenticate(pia_tokens["access_token"]), StaffMember)
    stranger = tokens_for(oidc_provider, "staff-pia", client_id="another-app")["access_token"]
    assert _refusal(both, stranger) == "issued to another client"


def test_a_token_for_another_audience_is_refused(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    # The ID token is genuine and signed by the provider, but meant for the login client.
    assert _parts(anna_tokens["id_token"])[1]["aud"] == ["planner-citizens"]
    assert _refusal(bearer(), anna_tokens["id_token"]) == "invalid claim aud"
    assert _refusal(bearer(audience="another-api"), anna_tokens["access_token"]) == "invalid claim aud"


def test_an_unsigned_token_is_refused(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    _, claims = _parts(anna_tokens["access_token"])
    for alg in ("none", "None", "NONE"):
        assert _refusal(bearer(), _compact({"alg": alg, "typ": "JWT"}, claims)) == "algorithm not allowed"


def test_a_token_signed_with_hs256_and_the_public_key_as_secret_is_refused(
    bearer: Any, anna_tokens: dict[str, Any], oidc_provider: EmbeddedOidcProvider
) -> None:
    jwks = requests.get(f"{oidc_provider.issuer}/jwks", timeout=5).json()
    public_pem = RSAKey.import_key(jwks["keys"][0]).as_pem(private=False)
    header, claims = {"alg": "HS256", "typ": "JWT"}, _parts(anna_tokens["access_token"])[1]
    signing_input = _compact(header, claims).rsplit(".", 1)[0].encode()
    for secret in (public_pem, json.dumps(jwks["keys"][0]).encode(), jwks["keys"][0]["n"].encode()):
        signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
        assert _refusal(bearer(), _compact(header, claims, signature)) == "algorithm not allowed"


def test_a_token_signed_with_another_key_is_refused(
    bearer: Any, anna_tokens: dict[str, Any], oidc_provider: EmbeddedOidcProvider
) -> None:
    header, claims = _parts(anna_tokens["access_token"])
    attacker = RSAKey.generate_key(2048, private=True)
    # with the provider's key id, and with a key id of its own
    same_kid = jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, attacker)
    own_kid = jwt.encode({"alg": "RS256", "kid": "attacker"}, claims, attacker)
    assert _refusal(bearer(), same_kid) == "signature"
    assert _refusal(bearer(), own_kid) == "signature"


def test_a_genuine_token_with_edited_claims_is_refused(
    bearer: Any, staff_client: OidcClient, pia_tokens: dict[str, Any]
) -> None:
    header, payload, signature = pia_tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["groups"] = ["grp-admins-x"]
    edited = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert _refusal(bearer(client=staff_client), edited) == "signature"


def test_an_expired_token_is_refused_past_the_small_leeway(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    expires = _parts(anna_tokens["access_token"])[1]["exp"]
    assert isinstance(bearer(now=expires + LEEWAY_SECONDS - 5).authenticate(anna_tokens["access_token"]), Citizen)
    assert _refusal(bearer(now=expires + LEEWAY_SECONDS + 1), anna_tokens["access_token"]) == "expired"
    assert LEEWAY_SECONDS <= 120


def test_a_token_from_the_future_is_refused(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    issued = _parts(anna_tokens["access_token"])[1]["iat"]
    assert _refusal(bearer(now=issued - LEEWAY_SECONDS - 10), anna_tokens["access_token"]) == "invalid claim iat"


def test_a_token_of_an_issuer_that_is_not_configured_is_refused(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    _, claims = _parts(anna_tokens["access_token"])
    forged = _compact({"alg": "RS256"}, claims | {"iss": "https://evil.example"}, b"x")
    assert _refusal(bearer(), forged) == "unknown issuer"


def test_a_token_naming_the_issuer_but_signed_elsewhere_checks_the_issuers_keys(
    bearer: Any, anna_tokens: dict[str, Any]
) -> None:
    claims = _parts(anna_tokens["access_token"])[1]
    assert _refusal(bearer(), jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048))) == "signature"


def test_garbage_is_refused(bearer: Any) -> None:
    for token in ("", "abc", "a.b.c", "a.b.c.d.e", "plk_0123456789ab_notajwt"):
        assert _refusal(bearer(), token) == "malformed"


def test_bearer_tokens_are_refused_when_no_audience_is_configured(bearer: Any, anna_tokens: dict[str, Any]) -> None:
    assert _refusal(bearer(audience=""), anna_tokens["access_token"]) == "bearer tokens are not configured"


def test_an_id_token_checks_its_nonce(provider: OidcProvider, anna_tokens: dict[str, Any]) -> None:
    now = time.time()
    claims = validate_jwt(anna_tokens["id_token"], provider, audience="planner-citizens", now=now, nonce="test-nonce")
    assert claims[CPR_CLAIM] == ANNA_CPR
    with pytest.raises(Unauthenticated) as refused:
        validate_jwt(anna_tokens["id_token"], provider, audience="planner-citizens", now=now, nonce="other")
    assert refused.value.reason == "nonce"


class _TrustedKeyProvider:
    """A provider whose published key the test holds (to isolate the claim checks from the signature)."""

    issuer = "https://broker.example"

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True, auto_kid=True)

    def key_set(self, kid: str | None = None) -> KeySet:
        return KeySet([RSAKey.import_key(self.key.as_dict(private=False))])

    def sign(self, **claims: Any) -> str:
        now = int(time.time())
        merged = {"iss": self.issuer, "sub": "s", "aud": "api", "iat": now, "exp": now + 300} | claims
        payload = {name: value for name, value in merged.items() if value is not None}
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, payload, self.key)


def test_a_token_of_another_issuer_signed_with_a_trusted_key_is_refused() -> None:
    trusted = _TrustedKeyProvider()
    check = {"audience": "api", "now": time.time()}
    assert validate_jwt(trusted.sign(), trusted, **check)["sub"] == "s"  # type: ignore[arg-type]
    for claims, reason in (
        ({"iss": "https://other.example"}, "invalid claim iss"),
        ({"exp": None}, "missing claim exp"),
        ({"sub": None}, "missing claim sub"),
        ({"aud": None}, "missing claim aud"),
        ({"nbf": int(time.time()) + 3600}, "invalid claim nbf"),
    ):
        with pytest.raises(Unauthenticated) as refused:
            validate_jwt(trusted.sign(**claims), trusted, **check)  # type: ignore[arg-type]
        assert refused.value.reason == reason, claims
