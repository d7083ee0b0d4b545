"""Signed tokens (ID tokens, bearer access tokens) checked against the issuer's keys.

A token is accepted only when all of these hold: its ``alg`` is an asymmetric signature
algorithm (never ``none``, never an HMAC one, so a provider's public key cannot be used as a
shared secret); the signature verifies with one of the issuer's published keys; ``iss`` is
the issuer exactly; ``aud`` contains the expected audience; ``exp`` is in the future and
``nbf``/``iat`` not in it, with ``LEEWAY_SECONDS`` for clocks that drift; ``sub`` is there.
ID tokens also check ``nonce`` (in constant time) and, with several audiences, ``azp``.

``BearerAuthenticator`` turns an ``Authorization: Bearer`` access token into a principal:
the unverified ``iss`` only picks which configured provider's keys to check it with.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jws import extract_compact

from shared.auth.claims import principal_from_claims
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.principal import Citizen, StaffMember
from shared.errors import Unauthenticated
from shared.i18n import N_

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
TOKEN_REFUSED = N_("Adgangen kunne ikke bekræftes. Log ind igen.")


def _refused(reason: str) -> Unauthenticated:
    log.info("token refused: %s", reason)
    return Unauthenticated(TOKEN_REFUSED, reason=reason, code="invalid_token")


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, not yet verified (only to choose keys)."""
    try:
        obj = extract_compact(token.encode("ascii"))
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError):
        raise _refused("malformed") from None
    if not isinstance(claims, dict):
        raise _refused("malformed")
    return dict(obj.headers()), claims


def validate_jwt(
    token: str,
    provider: OidcProvider,
    *,
    audience: str,
    now: float,
    nonce: str | None = None,
    authorized_party: str | None = None,
) -> dict[str, Any]:
    """The claims of ``token`` if every check of the module holds; else ``Unauthenticated``.

    ``nonce`` (ID tokens) must equal the token's ``nonce``; ``authorized_party`` is the
    client id that ``azp`` must name when the token has several audiences.
    """
    header, _ = _unverified(token)
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise _refused("algorithm not allowed")
    kid = header.get("kid")
    keys = provider.key_set(kid if isinstance(kid, str) else None)
    try:
        claims = dict(jwt.decode(token, keys, algorithms=ALLOWED_ALGORITHMS).claims)
    except JoseError:
        raise _refused("signature") from None
    registry = jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise _refused("expired") from None
    except MissingClaimError as exc:
        raise _refused(f"missing claim {exc.claim}") from None
    except InvalidClaimError as exc:
        raise _refused(f"invalid claim {exc.claim}") from None
    if nonce is not None:
        presented = claims.get("nonce")
        if not isinstance(presented, str) or not hmac.compare_digest(presented.encode(), nonce.encode()):
            raise _refused("nonce")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    several = len(audiences) > 1 or "azp" in claims
    if authorized_party is not None and several and claims.get("azp") != authorized_party:
        raise _refused("authorized party")
    return claims


class BearerAuthenticator:
    """Access tokens of the configured providers -> principals (thread-safe, keys cached)."""

    def __init__(
        self,
        providers: Sequence[tuple[OidcClient, OidcProvider]],
        *,
        audience: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._by_issuer: dict[str, list[tuple[OidcClient, OidcProvider]]] = {}
        for client, provider in providers:
            self._by_issuer.setdefault(client.issuer, []).append((client, provider))
        self.audience = audience
        self._clock = clock

    def authenticate(self, token: str) -> Citizen | StaffMember:
        """The citizen or staff member ``token`` was issued to; ``Unauthenticated`` otherwise.

        Where citizens and staff log in at one provider (the demo), the token's client
        (``client_id``, RFC 9068, or ``azp``) says which registration it was issued through,
        so a citizen's token is never read as a staff member's or the other way round.
        """
        if not self.audience:
            raise _refused("bearer tokens are not configured")
        _, unverified = _unverified(token)
        found = self._by_issuer.get(str(unverified.get("iss", "")))
        if not found:
            raise _refused("unknown issuer")
        claims = validate_jwt(token, found[0][1], audience=self.audience, now=self._clock())
        if len(found) == 1:
            return principal_from_claims(found[0][0], claims)
        issued_to = claims.get("client_id", claims.get("azp"))
        for client, _ in found:
            if client.client_id == issued_to:
                return principal_from_claims(client, claims)
        raise _refused("issued to another client")
