"""A principal from a validated token's claims. Pure.

Errors never repeat a claim's value: the CPR claim's content is only ever parsed, never
shown, logged or put into an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth.clients import OidcClient
from shared.auth.grants import grants_for_groups, groups_in_claim
from shared.auth.principal import Citizen, PrincipalKind, StaffMember
from shared.cpr import InvalidCpr, parse_cpr
from shared.errors import Unauthenticated
from shared.i18n import N_

REFUSED = N_("Login blev afvist. Prøv at logge ind igen.")


def principal_from_claims(client: OidcClient, claims: Mapping[str, Any]) -> Citizen | StaffMember:
    """The citizen or staff member that ``claims`` (already validated) describe."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated(REFUSED, reason="no subject")
    if client.kind is PrincipalKind.CITIZEN:
        value = claims.get(client.cpr_claim)
        if not isinstance(value, str):
            raise Unauthenticated(REFUSED, reason="no CPR claim")
        try:
            cpr = parse_cpr(value)
        except InvalidCpr:
            raise Unauthenticated(REFUSED, reason="CPR claim is not a CPR number") from None
        return Citizen(cpr=cpr, subject=subject)
    name = claims.get("name") or claims.get("preferred_username") or subject
    groups = groups_in_claim(claims.get(client.group_claim))
    return StaffMember(user_id=subject, name=str(name), grants=grants_for_groups(groups, client.group_grants))
