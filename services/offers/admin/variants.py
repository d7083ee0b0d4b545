"""Conversation type variants per job centre (A-2): the list a centre keeps, read by the
wizard and the offer checks, and its writes, each in the caller's transaction.

The conversation types are the national code list (``conversation_types``); a centre adds
the variants it offers under them ("Opstart" of 7 Jobsamtale) and removes those it no
longer wants. An offer that names a removed variant keeps it until staff change the offer.
The route has checked the caller's right at the centre in the path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.admin.conversation_types import type_names, type_problem
from services.offers.admin.operations import flush_unique
from services.offers.lookup import get_or_404
from services.offers.models import ConversationVariant, JobCentre
from shared.errors import Conflict, NotFound
from shared.timeutil import utcnow

NAME_LENGTH = 100


def variants_of(session: Session, job_centre_id: uuid.UUID) -> Sequence[ConversationVariant]:
    """The centre's variants, by conversation type code and name."""
    query = select(ConversationVariant).where(ConversationVariant.job_centre_id == job_centre_id)
    return session.scalars(query.order_by(ConversationVariant.conversation_type, ConversationVariant.name)).all()


def variant_names(session: Session, job_centre_id: uuid.UUID, conversation_type: Any) -> list[str]:
    """The names of the centre's variants of one conversation type."""
    return [v.name for v in variants_of(session, job_centre_id) if v.conversation_type == conversation_type]


def add_variant(session: Session, job_centre_id: uuid.UUID, data: Mapping[str, Any]) -> ConversationVariant:
    """Add a variant ``name`` of ``conversation_type`` to the centre's list (409 if it has it)."""
    get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.", lock=True)
    problems = check.Problems()
    kind = type_problem(problems, session, "conversation_type", data.get("conversation_type"))
    name = check.text(problems, data, "name", max_length=NAME_LENGTH, required=True)
    problems.raise_if_any()
    assert kind is not None and name is not None
    taken = f"Jobcentret har allerede varianten {name} af {type_names(session)[kind]}."
    if name in variant_names(session, job_centre_id, kind):
        raise Conflict(taken, code="variant_exists")
    variant = ConversationVariant(job_centre_id=job_centre_id, conversation_type=kind, name=name, created_at=utcnow())
    session.add(variant)
    flush_unique(session, taken, "variant_exists")
    session.refresh(variant, ["conversation_type_name"])  # the answer shows it after the session closed
    return variant


def remove_variant(session: Session, job_centre_id: uuid.UUID, variant_id: uuid.UUID) -> None:
    """Remove a variant from the centre's list; offers that name it keep it until they are changed."""
    get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.", lock=True)
    variant = session.get(ConversationVariant, variant_id)
    if variant is None or variant.job_centre_id != job_centre_id:
        raise NotFound("Varianten findes ikke.", code="variant_unknown")
    session.delete(variant)
    session.flush()
