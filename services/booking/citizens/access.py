"""Looking a citizen up by CPR number: check it, log the access, ask the provider.

The access is logged before the provider is asked and in a transaction of its own, so a
refused request (unknown citizen, not eligible, registry down) still leaves its trace.
"""

from __future__ import annotations

from services.booking.citizens.provider import CitizenProvider
from services.booking.models import CprAccessLog
from shared.audit import log_cpr_access
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.db import Database
from shared.eligibility import CitizenProfile
from shared.errors import Forbidden, ValidationFailed

UNKNOWN_CITIZEN = (
    "Jobcentret har ingen oplysninger om dig endnu, så du kan ikke se eller booke tilbud selv. Kontakt dit jobcenter."
)


def checked_cpr(text: str) -> Cpr:
    """The CPR number, or ValidationFailed (422) whose message never repeats the digits."""
    try:
        return parse_cpr(text)
    except InvalidCpr as exc:
        raise ValidationFailed(str(exc), extra={"errors": {"citizen": {"cpr": [str(exc)]}}}) from None


def look_up_citizen(
    db: Database, provider: CitizenProvider, cpr_text: str, *, actor: str, purpose: str
) -> CitizenProfile:
    """The citizen's profile; Forbidden (403) when the citizen is not known."""
    profile = provider.find(identify_citizen(db, cpr_text, actor=actor, purpose=purpose))
    if profile is None:
        raise Forbidden(UNKNOWN_CITIZEN, code="unknown_citizen")
    return profile


def identify_citizen(db: Database, cpr_text: str, *, actor: str, purpose: str) -> Cpr:
    """The checked CPR number, its access logged; no profile needed (a citizen whose
    profile is gone may still cancel their own booking)."""
    cpr = checked_cpr(cpr_text)
    log_cpr_access(db, CprAccessLog, actor=actor, purpose=purpose, cpr=cpr)
    return cpr
