"""The citizen's way to a seat at a group meeting (fællesmøde): Vælg møde, with each
meeting's free seats ("3 ledige pladser"), then Book pladsen (or Flyt pladsen, B-4, where
the meeting's extra seats are open to the citizen). Parse, call, render."""

from __future__ import annotations

import uuid

from flask import Response, redirect, request, url_for
from flask_babel import gettext, ngettext

from services.booking import changes, queries, seats
from services.booking.eligibility import require_eligible
from services.booking.models import Booking
from services.booking.pages import views
from services.booking.pages.common import CITIZEN, bp, citizen, citizen_cpr, context, now
from services.booking.pages.routes import _movable
from shared.auth.web import requires
from shared.errors import Conflict
from shared.pages import page_locale, page_text, render_page
from shared.timeutil import today_in


def _meeting_page(offer_id: uuid.UUID, moving: uuid.UUID | None, form: dict[str, str], errors: dict[str, str],
                  status: int = 200) -> Response:  # fmt: skip
    """Vælg møde: the offer's meetings a citizen may book now, full ones marked."""
    profile, ctx, instant, locale = citizen("times"), context(), now(), page_locale()
    with ctx.db.transaction() as session:
        offer = queries.bookable_offer(session, offer_id, instant, "group")
        old = _movable(session, offer, moving, instant) if moving else None
        tz = queries.offer_zone(offer)
        rows = []
        require_eligible(offer, profile, today_in(tz, instant))
        for meeting in seats.bookable_meetings(session, ctx.settings, offer, instant):
            limit = meeting.seats + (meeting.extra_seats if old else 0)  # a mover may take the extra seats
            free = max(0, limit - meeting.taken)
            rows.append({
                "id": str(meeting.id),
                "when": views.when_text(meeting.start_at.astimezone(tz), meeting.end_at.astimezone(tz), locale),
                "free": free, "mine": old is not None and old.group_meeting_id == meeting.id,
                "seats_text": ngettext("%(num)d ledig plads", "%(num)d ledige pladser", free) if free else None,
            })  # fmt: skip
        email = form.get("email", views.profile_email(session, ctx.settings, citizen_cpr()) or "")
        values = {
            "offer": views.offer_card(offer, locale), "meetings": rows, "moving": old.id if old else None,
            "terms": views.terms(offer, locale), "email": email,
            "current": views.when_text(old.start_at.astimezone(tz), old.end_at.astimezone(tz), locale) if old else None,
        }  # fmt: skip
    return render_page("citizen/meetings.html", status=status, chosen=form.get("meeting_id", ""), errors=errors,
                       **values)  # fmt: skip


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


@bp.get("/<uuid:offer_id>/moeder")
@requires(CITIZEN)
def meetings(offer_id: uuid.UUID) -> Response:
    """Vælg møde: ``?flyt=<booking id>`` to move a seat."""
    return _meeting_page(offer_id, _uuid(request.args.get("flyt")), {}, {})


@bp.post("/<uuid:offer_id>/moeder")
@requires(CITIZEN)
def book_seat(offer_id: uuid.UUID) -> Response:
    """Book pladsen (or Flyt pladsen): a seat at the chosen meeting, then the receipt."""
    form = {key: (request.form.get(key) or "").strip()[:300] for key in ("meeting_id", "email", "flyt")}
    moving, meeting_id = _uuid(form["flyt"]), _uuid(form["meeting_id"])
    errors: dict[str, str] = {}
    if meeting_id is None:
        errors["meeting_id"] = gettext("Vælg et møde.")
    problem = None if moving else views.email_problem(form["email"], page_locale())
    if problem:
        errors["email"] = problem
    if errors:
        return _meeting_page(offer_id, moving, form, errors, 400)
    assert meeting_id is not None
    profile, ctx, instant = citizen("booking"), context(), now()
    try:
        with ctx.db.transaction() as session:
            booking: Booking
            if moving:
                booking = changes.rebook_seat(session, ctx.settings, moving, meeting_id, profile, instant)
            else:
                booking = seats.book_seat(session, ctx.settings, offer_id, meeting_id, profile, instant,
                                          email=form["email"] or None)  # fmt: skip
            booking_id = booking.id
    except Conflict as exc:  # full by now, or booked meanwhile in another window
        return _meeting_page(offer_id, moving, form, {"meeting_id": page_text(exc.detail)}, 409)
    return redirect(url_for(".receipt", booking_id=booking_id), 303)  # type: ignore[return-value]
