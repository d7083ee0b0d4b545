"""A real OpenID Connect provider on loopback (the demo's embedded one) with its users,
this system's two client registrations at it, and helpers that log in as a person would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from services.demo.oidc_provider import EmbeddedOidcProvider, User, start_oidc_provider
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.grants import parse_group_grants
from shared.auth.principal import PrincipalKind

CPR_CLAIM = "https://data.gov.dk/model/core/eid/cprNumber"
ANNA_CPR = "1502893427"  # fictitious; 15 February 1989
API_AUDIENCE = "jobcenter-planner-api"
CALLBACK = "http://127.0.0.1:8081/login/callback"
GROUP_ROLES = "grp-planners-x=planner:10101;grp-readers-y=reader:20202;grp-admins-x=administrator:10101"

USERS = [
    User(sub="citizen-anna", claims={CPR_CLAIM: ANNA_CPR, "name": "Anna Borger"}),
    User(sub="citizen-no-cpr", claims={"name": "Uden CPR"}),
    User(sub="staff-pia", claims={"name": "Pia Planlægger", "groups": ["grp-planners-x", "grp-readers-y", "other"]}),
    User(sub="staff-nogroups", claims={"name": "Ny Medarbejder"}),
]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[EmbeddedOidcProvider]:
    provider = start_oidc_provider(USERS, access_token_audience=API_AUDIENCE)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def provider(oidc_provider: EmbeddedOidcProvider) -> OidcProvider:
    """This system's view of the provider, with fresh caches for each test."""
    return OidcProvider(oidc_provider.issuer, timeout=5.0, max_age=3600)


@pytest.fixture
def citizen_client(oidc_provider: EmbeddedOidcProvider) -> OidcClient:
    return OidcClient(
        kind=PrincipalKind.CITIZEN,
        issuer=oidc_provider.issuer,
        client_id="planner-citizens",
        client_secret="citizen-secret",
        cpr_claim=CPR_CLAIM,
    )


@pytest.fixture
def staff_client(oidc_provider: EmbeddedOidcProvider) -> OidcClient:
    return OidcClient(
        kind=PrincipalKind.STAFF,
        issuer=oidc_provider.issuer,
        client_id="planner-staff",
        client_secret="staff-secret",
        scopes=("openid", "profile"),
        group_claim="groups",
        group_grants=parse_group_grants(GROUP_ROLES),
    )


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def tokens_for(oidc_provider: EmbeddedOidcProvider, sub: str, client_id: str = "planner-citizens") -> dict[str, Any]:
    """Log ``sub`` in at the provider for ``client_id`` and return its token response (a client's view)."""
    metadata = requests.get(f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=5).json()
    options = {"scope": "openid profile", "redirect_uri": CALLBACK, "code_challenge_method": "S256"}
    with OAuth2Session(client_id, "secret", **options) as session:
        verifier = "v" * 50
        url, _ = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce="test-nonce"
        )
        callback = oidc_provider.log_in_as(url, sub)
        token = session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier, timeout=5
        )
        return dict(token)
