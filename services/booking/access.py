"""For whom a citizen route acts, and whether the caller may (issue 9). Used by ``api``.

- A logged-in **citizen** acts for themself: the CPR number is the one of their login
  (``current_citizen()``). A body carrying ``citizen.cpr`` anyway is refused with 422 (the
  number is never repeated). A booking that is not theirs answers 404, exactly as an
  unknown id does, so booking ids do not leak.
- **Staff and machines** act for a citizen named by ``citizen.cpr`` in the body (required:
  422 without it), under their own identity, and need the staff action at the offer's job
  centre: ``READ`` for eligible offers, the citizen's times and a booking, ``WRITE`` for
  booking, cancelling and rebooking. A centre where they hold no role answers 404, one
  where they may only read answers 403 (``shared.auth.web.authorize``). The job centre is
  checked before the citizen is looked up: a refused caller causes no CPR lookup.
- Every lookup is written to the CPR access log with the authenticated actor
  (``actor_id``) and the route (``request.url_rule.rule``).
- CPR numbers are compared by their keyed index (``cpr_vault``: the vault of the app's
  settings), never read back in plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from services.booking.changes import BOOKING_NOT_FOUND
from services.booking.citizens import CitizenProvider, identify_citizen, look_up_citizen
from services.booking.citizens.access import look_up_checked as look_up_checked_in
from services.booking.models import Booking, OfferView
from services.booking.queries import OFFER_NOT_FOUND
from shared.auth.access import Action
from shared.auth.web import authorize, current_actor, current_citizen, current_route, job_centres_allowed
from shared.cpr import Cpr
from shared.cpr_vault import CprVault, vault_for_settings
from shared.db import Database
from shared.eligibility import CitizenProfile
from shared.errors import NotFound, ValidationFailed
from shared.service import ServiceContext

T = TypeVar("T")

READ = Action.READ_PARTICIPANTS
WRITE = Action.WRITE_PARTICIPANTS
SELF_READ = (Action.CITIZEN_SELF_SERVICE, READ)
"""The marks of a citizen's own reads: the citizen themself, or staff who read participants."""
SELF_WRITE = (Action.CITIZEN_SELF_SERVICE, WRITE)
"""The marks of a citizen's own writes: the citizen themself, or staff who write participants."""

ONLY_YOURSELF = (
    "Du er logget ind som dig selv og kan kun se, booke og ændre dine egne tider. "
    "Send ikke et CPR-nummer: det kommer fra dit login."
)
ONLY_YOURSELF_FIELD = "Må ikke sendes, når du er logget ind som borger."
CPR_NEEDED = "Angiv borgerens CPR-nummer i feltet citizen.cpr, når du handler på vegne af en borger."
CPR_NEEDED_FIELD = "Mangler."


def subject_cpr(json_data: dict[str, Any]) -> Cpr | str:
    """The citizen the request is about: a citizen's own login, or the body's ``citizen.cpr``
    for staff and machines (not yet checked: the lookup checks and logs it)."""
    citizen = current_citizen()
    given = json_data.get("citizen")
    if citizen is not None:
        if given is not None:
            errors = {"citizen": {"cpr": [ONLY_YOURSELF_FIELD]}}
            raise ValidationFailed(ONLY_YOURSELF, code="cpr_not_allowed", extra={"errors": errors})
        return citizen.cpr
    if not given or not given.get("cpr"):
        errors = {"citizen": {"cpr": [CPR_NEEDED_FIELD]}}
        raise ValidationFailed(CPR_NEEDED, code="cpr_missing", extra={"errors": errors})
    return str(given["cpr"])


def authorize_offer(action: Action, offer: OfferView) -> None:
    """Staff and machines: ``action`` at the offer's job centre (404 as for an unknown
    offer, or 403). A citizen may use every bookable offer; whether they are eligible is
    the operation's question."""
    if current_citizen() is None:
        authorize(action, offer.job_centre_code, not_found=OFFER_NOT_FOUND)


def authorize_booking(action: Action, booking: Booking, offer: OfferView | None) -> None:
    """A citizen: only their own booking (another's is 404, as if unknown). Staff and
    machines: ``action`` at the job centre of the booking's offer (404 as if unknown, or 403)."""
    citizen = current_citizen()
    if citizen is not None:
        if not cpr_vault().matches(booking.citizen_cpr_index, citizen.cpr):
            raise NotFound(BOOKING_NOT_FOUND)
        return
    authorize(action, offer.job_centre_code if offer is not None else None, not_found=BOOKING_NOT_FOUND)


def readable_job_centres() -> frozenset[str] | None:
    """The job centres whose offers the caller may list for a citizen (``None``: every one)."""
    return None if current_citizen() is not None else job_centres_allowed(READ)


def look_up(cpr: Cpr | str, purpose: str) -> CitizenProfile:
    """The citizen's profile, the lookup logged with the caller and the route."""
    provider: CitizenProvider = current_app.extensions["booking.citizens"]
    return look_up_citizen(
        _db(), provider, cpr, actor=current_actor(), purpose=purpose, route=current_route(), vault=cpr_vault()
    )


def look_up_checked(cpr: Cpr | str, purpose: str, check: Callable[[Session], T]) -> tuple[T, CitizenProfile]:
    """``look_up`` with ``check`` (the caller's authorization) first, in the transaction that
    logs the lookup: ``check``'s answer and the profile (``citizens.access.look_up_checked``)."""
    provider: CitizenProvider = current_app.extensions["booking.citizens"]
    return look_up_checked_in(
        _db(), provider, cpr, check, actor=current_actor(), purpose=purpose, route=current_route(), vault=cpr_vault()
    )


def identify(cpr: Cpr | str, purpose: str) -> Cpr:
    """The checked CPR number, the lookup logged with the caller and the route (no profile)."""
    return identify_citizen(
        _db(), cpr, actor=current_actor(), purpose=purpose, route=current_route(), vault=cpr_vault()
    )


def cpr_vault() -> CprVault:
    """The vault of the app's settings (``PLANNER_CPR_KEYS``)."""
    context: ServiceContext = current_app.extensions["planner"]
    return vault_for_settings(context.settings)


def _db() -> Database:
    context: ServiceContext = current_app.extensions["planner"]
    return context.db
