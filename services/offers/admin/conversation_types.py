"""Conversation types (A-2): the national code list as data, read by the wizard, the offer
checks, the offer list and pages, and written by the administrators of every job centre.

A type is renamed or added with one PUT of its code; a code is never deleted, because
offers, variants and templates keep it. A retired type is not chosen for new offers or
variants; an offer that has it keeps it while staff leave the type as it is. The route has
checked that the caller administers every job centre.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.admin.operations import flush_unique
from services.offers.models import CONVERSATION_CODES, ConversationType, Offer
from shared.errors import NotFound
from shared.timeutil import utcnow

if TYPE_CHECKING:
    from services.offers.offers.revisions import Editor

NAME_LENGTH = 100
UNKNOWN = "Samtaletypen findes ikke."


def conversation_types(session: Session) -> Sequence[ConversationType]:
    """Every conversation type by code, the retired ones too."""
    return session.scalars(select(ConversationType).order_by(ConversationType.code)).all()


def type_names(session: Session) -> dict[int, str]:
    """The name of every conversation type by code (what offers, logs and lists show)."""
    return {row.code: row.name for row in conversation_types(session)}


def choosable_types(session: Session) -> dict[int, str]:
    """The types that new offers and variants may have: the ones not retired."""
    return {row.code: row.name for row in conversation_types(session) if not row.retired}


def offers_per_type(session: Session) -> dict[int, int]:
    """How many offers have each conversation type (what a rename or retirement touches)."""
    query = select(Offer.conversation_type, func.count()).group_by(Offer.conversation_type)
    return {int(code): int(count) for code, count in session.execute(query)}


def type_problem(
    problems: check.Problems, session: Session, field: str, value: Any, *, keeping: int | None = None
) -> int | None:
    """``value`` as the code of a type that may be chosen, or a Danish problem at ``field``.
    ``keeping`` is the type the offer already has, which it may keep although it is retired."""
    if value is None or value == "":
        problems.add(field, check.REQUIRED)
        return None
    row = session.get(ConversationType, value) if isinstance(value, int) and not isinstance(value, bool) else None
    if row is None:
        known = ", ".join(f"{code} ({name})" for code, name in choosable_types(session).items())
        problems.add(field, f"Ukendt samtaletype; brug en af {known}.")
        return None
    if row.retired and row.code != keeping:
        problems.add(field, f"Samtaletypen {row.code} {row.name} er udgået og kan ikke vælges længere.")
        return None
    return row.code


def put_conversation_type(
    session: Session, code: int, data: Mapping[str, Any], *, editor: Editor, only_new: bool = False
) -> tuple[ConversationType, bool]:
    """Rename, retire or bring back the type ``code``, or add it; returns it and whether it is
    new. Its name is unique among the types (a problem naming the type that has it).
    ``only_new``: add it, or refuse (at ``code``) when the code is taken."""
    low, high = CONVERSATION_CODES
    if not low <= code <= high:
        raise NotFound(f"{UNKNOWN} Koden skal være et tal fra {low} til {high}.", code="conversation_type_unknown")
    problems = check.Problems()
    existing = session.get(ConversationType, code) if only_new else None
    if existing is not None:
        problems.add("code", f"Koden {code} bruges allerede af {existing.name}; ret den i tabellen i stedet.")
    name = check.text(problems, data, "name", max_length=NAME_LENGTH, required=True)
    retired = check.boolean(problems, data, "retired", False)
    problems.raise_if_any()
    assert name is not None
    row = session.get(ConversationType, code, with_for_update=True)
    taken = session.scalar(
        select(ConversationType).where(func.lower(ConversationType.name) == name.lower(), ConversationType.code != code)
    )
    if taken is not None:
        problems.add("name", f"Navnet bruges allerede af samtaletype {taken.code} {taken.name}.")
        problems.raise_if_any()
    created = row is None
    if row is None:
        row = ConversationType(code=code)
        session.add(row)
    row.name, row.retired = name, retired
    row.changed_at, row.changed_by = utcnow(), editor.name or editor.actor
    flush_unique(session, f"Samtaletype {code} eller navnet {name} findes allerede.", "conversation_type_exists")
    return row, created


def conversation_type_json(row: ConversationType, offers: int) -> dict[str, Any]:
    """One type as the admin API shows it."""
    return {
        "code": row.code,
        "name": row.name,
        "retired": row.retired,
        "offers": offers,
        "changed_at": row.changed_at,
        "changed_by": row.changed_by,
    }


def all_types_json(session: Session) -> list[dict[str, Any]]:
    """Every type with the number of offers that have it."""
    used = offers_per_type(session)
    return [conversation_type_json(row, used.get(row.code, 0)) for row in conversation_types(session)]
