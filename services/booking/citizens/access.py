"""Looking a citizen up by CPR number: check it, log the access, ask the provider.

The access is logged before the provider is asked and committed before the request goes on,
so a refused request (unknown citizen, not eligible, registry down) still leaves its trace.
With the booking service's own store the log entry and the profile read share one short
transaction (one round of a pooled connection instead of two); an external registry is asked
after the entry is committed.
Each row names the authenticated actor (``shared.auth.web.actor_id``: ``citizen-self``,
``staff:<id>``, ``machine:<client id>``) and the route that looked the number up; the
number itself is indexed and sealed with ``vault`` (``shared.cpr_vault``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from services.booking.citizens.provider import CitizenProvider
from services.booking.citizens.store import StoreProvider
from services.booking.models import CprAccessLog
from shared.audit import log_cpr_access, record_cpr_access
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.cpr_vault import CprVault
from shared.db import Database
from shared.eligibility import CitizenProfile
from shared.errors import Forbidden, ValidationFailed

T = TypeVar("T")

UNKNOWN_CITIZEN = (
    "Jobcentret har ingen oplysninger om dig endnu, så du kan ikke se eller booke tilbud selv. Kontakt dit jobcenter."
)


def checked_cpr(cpr: Cpr | str) -> Cpr:
    """The CPR number, or ValidationFailed (422) whose message never repeats the digits."""
    if isinstance(cpr, Cpr):
        return cpr
    try:
        return parse_cpr(cpr)
    except InvalidCpr as exc:
        raise ValidationFailed(str(exc), extra={"errors": {"citizen": {"cpr": [str(exc)]}}}) from None


def look_up_citizen(
    db: Database,
    provider: CitizenProvider,
    cpr: Cpr | str,
    *,
    actor: str,
    purpose: str,
    route: str,
    vault: CprVault | None = None,
) -> CitizenProfile:
    """The citizen's profile; Forbidden (403) when the citizen is not known."""
    return look_up_checked(db, provider, cpr, _nothing, actor=actor, purpose=purpose, route=route, vault=vault)[1]


def _nothing(_session: Session) -> None:
    return None


def look_up_checked(
    db: Database,
    provider: CitizenProvider,
    cpr: Cpr | str,
    check: Callable[[Session], T],
    *,
    actor: str,
    purpose: str,
    route: str,
    vault: CprVault | None = None,
) -> tuple[T, CitizenProfile]:
    """``check``'s answer and the citizen's profile; Forbidden (403) when the citizen is not known.

    ``check`` (the caller's authorization, say) runs first in the transaction that logs the
    access: when it raises, nothing is looked up and nothing is logged. One transaction
    with the booking service's own store; an external registry is asked after it commits.
    """
    with db.transaction() as session:
        answer = check(session)
        checked = checked_cpr(cpr)
        record_cpr_access(session, CprAccessLog, actor=actor, purpose=purpose, cpr=checked, route=route, vault=vault)
        profile = provider.find_in(session, checked) if isinstance(provider, StoreProvider) else None
    if not isinstance(provider, StoreProvider):
        profile = provider.find(checked)
    if profile is None:
        raise Forbidden(UNKNOWN_CITIZEN, code="unknown_citizen")
    return answer, profile


def identify_citizen(
    db: Database, cpr: Cpr | str, *, actor: str, purpose: str, route: str, vault: CprVault | None = None
) -> Cpr:
    """The checked CPR number (from a login, or text from a body), its access logged (with
    ``vault``; default: the running service's); no profile needed (a citizen whose profile
    is gone may still cancel their own booking)."""
    checked = checked_cpr(cpr)
    log_cpr_access(db, CprAccessLog, actor=actor, purpose=purpose, cpr=checked, route=route, vault=vault)
    return checked
