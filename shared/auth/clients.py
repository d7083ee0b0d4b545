"""This system's registrations at the two OpenID Connect providers, from the settings.

The citizens' provider is a MitID broker (NemLog-in or a certified one); the claim that
carries the CPR number differs between brokers and is a setting. The staff provider is the
municipality's (Entra ID, ADFS); its group claim is mapped to grants by a setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.auth.grants import GroupGrants, parse_group_grants
from shared.auth.principal import PrincipalKind
from shared.config import Settings


@dataclass(frozen=True)
class OidcClient:
    """One client registration: who logs in here (citizens or staff) and how to read their claims."""

    kind: PrincipalKind
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid",)
    cpr_claim: str = ""  # citizens
    group_claim: str = ""  # staff
    group_grants: GroupGrants = field(default_factory=dict, compare=False)

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def _scopes(text: str) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(text.split()))
    return scopes if "openid" in scopes else ("openid", *scopes)


def citizen_client(settings: Settings) -> OidcClient | None:
    """The citizens' provider, or ``None`` when no issuer is set."""
    if not settings.citizen_oidc_issuer:
        return None
    return OidcClient(
        kind=PrincipalKind.CITIZEN,
        issuer=settings.citizen_oidc_issuer,
        client_id=settings.citizen_oidc_client_id,
        client_secret=settings.citizen_oidc_client_secret.get_secret_value(),
        scopes=_scopes(settings.citizen_oidc_scopes),
        cpr_claim=settings.citizen_oidc_cpr_claim,
    )


def staff_client(settings: Settings) -> OidcClient | None:
    """The staff provider, or ``None`` when no issuer is set."""
    if not settings.staff_oidc_issuer:
        return None
    return OidcClient(
        kind=PrincipalKind.STAFF,
        issuer=settings.staff_oidc_issuer,
        client_id=settings.staff_oidc_client_id,
        client_secret=settings.staff_oidc_client_secret.get_secret_value(),
        scopes=_scopes(settings.staff_oidc_scopes),
        group_claim=settings.staff_oidc_group_claim,
        group_grants=parse_group_grants(settings.staff_group_roles),
    )
