"""Staff's write on a calendar conflict: "Markér som håndteret" (the booking itself is never
moved or dropped; staff have contacted the citizen or changed the calendar)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from services.offers.models import CalendarConflict
from services.offers.offers.revisions import Editor
from shared.errors import NotFound
from shared.i18n import N_

NO_CONFLICT = N_("Konflikten findes ikke.")


def mark_handled(session: Session, booking_id: uuid.UUID, editor: Editor, now: datetime) -> CalendarConflict:
    """Mark the conflict of booking ``booking_id`` as handled by ``editor`` (again: unchanged).
    The route has checked that the caller may write calendars at the advisor's job centre."""
    conflict = session.get(CalendarConflict, booking_id)
    if conflict is None:
        raise NotFound(NO_CONFLICT)
    if conflict.handled_at is None:
        conflict.handled_at, conflict.handled_by, conflict.handled_by_name = now, editor.actor, editor.name
        session.flush()
    return conflict
