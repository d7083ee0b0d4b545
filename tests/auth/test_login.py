"""The browser login (code flow with PKCE, state, nonce) against the real provider on loopback."""

from __future__ import annotations

import dataclasses
import logging
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import requests

from services.demo.oidc_provider import EmbeddedOidcProvider, s256
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.login import (
    PENDING_LOGIN_MAX_AGE_SECONDS,
    MemoryPendingLoginStore,
    OidcLogin,
    PendingLogin,
)
from shared.auth.principal import Citizen, Grant, Role, StaffMember
from shared.errors import Unauthenticated
from tests.auth.conftest import ANNA_CPR, query_of
from tests.login import CALLBACK


class PeekingStore(MemoryPendingLoginStore):
    """The in-memory store, letting a test read (and tamper with) what is kept."""

    def pending(self, browser_session: str, state: str) -> PendingLogin:
        return self._logins[(browser_session, state)]

    def tamper(self, browser_session: str, state: str, **changes: str) -> None:
        key = (browser_session, state)
        self._logins[key] = dataclasses.replace(self._logins[key], **changes)


@pytest.fixture
def store() -> PeekingStore:
    return PeekingStore()


@pytest.fixture
def citizen_login(citizen_client: OidcClient, provider: OidcProvider, store: PeekingStore) -> OidcLogin:
    return OidcLogin(citizen_client, provider, store)


@pytest.fixture
def staff_login(staff_client: OidcClient, provider: OidcProvider, store: PeekingStore) -> OidcLogin:
    return OidcLogin(staff_client, provider, store)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(query_of(url) | changes)))


def test_citizen_login_yields_the_citizen_with_the_cpr_number_from_the_claim(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    principal = citizen_login.complete("browser-1", query_of(oidc_provider.log_in_as(url, "citizen-anna")))
    assert isinstance(principal, Citizen)
    assert principal.cpr.digits == ANNA_CPR
    assert principal.subject == "citizen-anna"


def test_staff_login_maps_groups_to_roles_per_job_centre(
    staff_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = staff_login.start("browser-1", CALLBACK)
    principal = staff_login.complete("browser-1", query_of(oidc_provider.log_in_as(url, "staff-pia")))
    assert principal == StaffMember(
        user_id="staff-pia",
        name="Pia Planlægger",
        grants=frozenset({Grant(Role.PLANNER, "10101"), Grant(Role.READER, "20202")}),
    )


def test_the_authorization_request_carries_an_s256_challenge_of_the_verifier_kept_server_side(
    citizen_login: OidcLogin, store: PeekingStore
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    query = query_of(url)
    pending = store.pending("browser-1", query["state"])
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(pending.code_verifier)
    assert query["nonce"] == pending.nonce
    assert pending.code_verifier not in url
    assert len(pending.state) >= 43 and len(pending.code_verifier) >= 43


def test_a_wrong_code_verifier_is_refused_by_the_provider(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider, store: PeekingStore
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    store.tamper("browser-1", callback["state"], code_verifier="x" * 64)
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback)
    assert refused.value.reason == "token endpoint answered invalid_grant"


def test_a_tampered_state_is_refused_and_the_real_one_still_completes(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback | {"state": callback["state"][:-2] + "xx"})
    assert refused.value.reason == "unknown or used state"
    assert isinstance(citizen_login.complete("browser-1", callback), Citizen)


def test_a_callback_made_for_another_browser_is_refused(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = citizen_login.start("attacker-browser", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("victim-browser", callback)
    assert refused.value.reason == "unknown or used state"


def test_a_replayed_callback_is_refused(citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    citizen_login.complete("browser-1", callback)
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback)
    assert refused.value.reason == "unknown or used state"


def test_a_replayed_code_is_refused_by_the_provider_even_with_its_own_verifier_and_nonce(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider, store: PeekingStore
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    used = store.pending("browser-1", callback["state"])
    citizen_login.complete("browser-1", callback)
    store.put("browser-1", dataclasses.replace(used, state="second-try", started_at=time.time()))
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback | {"state": "second-try"})
    assert refused.value.reason == "token endpoint answered invalid_grant"


def test_an_id_token_with_another_nonce_is_refused(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    # The code was issued for another authorization request (another nonce), e.g. injected.
    callback = query_of(oidc_provider.log_in_as(_with_query(url, nonce="someone-elses-nonce"), "citizen-anna"))
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback)
    assert refused.value.reason == "nonce"


def test_a_login_left_too_long_is_refused(
    citizen_client: OidcClient, provider: OidcProvider, oidc_provider: EmbeddedOidcProvider
) -> None:
    now = [time.time()]
    login = OidcLogin(citizen_client, provider, MemoryPendingLoginStore(), clock=lambda: now[0])
    url = login.start("browser-1", CALLBACK)
    callback = query_of(oidc_provider.log_in_as(url, "citizen-anna"))
    now[0] += PENDING_LOGIN_MAX_AGE_SECONDS + 1
    with pytest.raises(Unauthenticated) as refused:
        login.complete("browser-1", callback)
    assert refused.value.reason == "login took too long"


def test_a_denied_login_is_refused(citizen_login: OidcLogin) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    response = requests.post(url, data={"action": "deny"}, allow_redirects=False, timeout=10)
    callback = query_of(response.headers["Location"])
    assert callback["error"] == "access_denied"
    # The mock leaves out ``state`` on errors; RFC 6749 section 4.1.2.1 has providers send it back.
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", callback | {"state": query_of(url)["state"]})
    assert refused.value.detail == "Login blev afbrudt."
    with pytest.raises(Unauthenticated):
        citizen_login.complete("browser-1", callback)


def test_a_citizen_without_the_cpr_claim_is_refused(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider
) -> None:
    url = citizen_login.start("browser-1", CALLBACK)
    with pytest.raises(Unauthenticated) as refused:
        citizen_login.complete("browser-1", query_of(oidc_provider.log_in_as(url, "citizen-no-cpr")))
    assert refused.value.reason == "no CPR claim"


def test_the_cpr_number_is_in_no_log_line_url_or_repr_of_a_login(
    citizen_login: OidcLogin, oidc_provider: EmbeddedOidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    hyphenated, birth = f"{ANNA_CPR[:6]}-{ANNA_CPR[6:]}", ANNA_CPR[:6]
    before = len(oidc_provider.requested_urls)
    with caplog.at_level(logging.DEBUG):
        url = citizen_login.start("browser-1", CALLBACK)
        callback_url = oidc_provider.log_in_as(url, "citizen-anna")
        principal = citizen_login.complete("browser-1", query_of(callback_url))
        # a refused login logs too
        with pytest.raises(Unauthenticated):
            citizen_login.complete("browser-1", query_of(callback_url))
    assert principal.cpr.digits == ANNA_CPR  # the login did see it
    assert caplog.records, "the login logged nothing at all: the check below would prove nothing"
    urls = [url, callback_url, *oidc_provider.requested_urls[before:]]
    assert len(urls) >= 4  # authorize, the callback, token (discovery and JWKS are cached or fetched)
    ours = [r for r in caplog.records if r.name.startswith("shared")]
    texts = [caplog.text, *urls, *(repr(vars(record)) for record in ours), repr(principal), str(principal)]
    for text in texts:
        assert ANNA_CPR not in text and hyphenated not in text
    assert birth not in repr(principal) and birth not in str(principal)
