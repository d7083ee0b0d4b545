"""The citizen's way to a seat at a group meeting (fællesmøde): Vælg møde, with each
meeting's free seats ("3 ledige pladser"), then Book pladsen (or Flyt pladsen, B-4, where
the meeting's extra seats are open to the citizen); when the meeting they want is full, its
waiting list (afventerliste): join it, take the seat held for them, or leave it. Parse,
call, render."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from services.booking import changes, queries, seats, waiting_list
from services.booking.eligibility import require_eligible
from services.booking.models import Booking, OfferView
from services.booking.pages import views
from services.booking.pages.common import CITIZEN, bp, citizen, citizen_cpr, context, now
from services.booking.pages.routes import _movable
from shared import formatting as fmt
from shared.auth.web import requires
from shared.errors import Conflict
from shared.i18n import N_
from shared.pages import page_locale, page_text, render_page
from shared.timeutil import today_in

WAITING_NOTICES = {
    "venteliste": N_("Du står nu på ventelisten. Bliver der en plads ledig, får du besked på e-mail."),
    "forladt": N_("Du er meldt af ventelisten."),
}


def _meeting_page(offer_id: uuid.UUID, moving: uuid.UUID | None, form: dict[str, str], errors: dict[str, str],
                  status: int = 200, notice: str | None = None) -> Response:  # fmt: skip
    """Vælg møde: the offer's meetings a citizen may book now, full ones marked."""
    profile, ctx, instant, locale = citizen("times"), context(), now(), page_locale()
    with ctx.db.transaction() as session:
        offer = queries.bookable_offer(session, offer_id, instant, "group")
        old = _movable(session, offer, moving, instant) if moving else None
        tz = queries.offer_zone(offer)
        rows = []
        require_eligible(offer, profile, today_in(tz, instant))
        for meeting in seats.bookable_meetings(session, ctx.settings, offer, instant):
            free = meeting.free_for(rebooking=old is not None)  # a mover may take the extra seats
            rows.append({
                "id": str(meeting.id),
                "when": views.when_text(meeting.start_at.astimezone(tz), meeting.end_at.astimezone(tz), locale),
                "free": free, "mine": old is not None and old.group_meeting_id == meeting.id,
                "seats_text": ngettext("%(num)d ledig plads", "%(num)d ledige pladser", free) if free else None,
            })  # fmt: skip
        email = form.get("email", views.profile_email(session, ctx.settings, citizen_cpr()) or "")
        waiting = None if old else _waiting_view(session, offer, rows, tz, locale)
        may_wait = old is None and waiting is None and not waiting_list.has_seat(session, ctx.settings, offer.id,
                                                                                  citizen_cpr())  # fmt: skip
        values = {
            "waiting": waiting, "full": [r for r in rows if not r["free"]] if may_wait else [],
            "any_free": any(r["free"] for r in rows), "hold_hours": ctx.settings.waiting_list_hold_hours,
            "waiting_email": form.get("venteliste_email", email),
            "offer": views.offer_card(offer, locale), "meetings": rows, "moving": old.id if old else None,
            "terms": views.terms(offer, locale), "email": email,
            "current": views.when_text(old.start_at.astimezone(tz), old.end_at.astimezone(tz), locale) if old else None,
        }  # fmt: skip
    return render_page("citizen/meetings.html", status=status, chosen=form.get("meeting_id", ""), errors=errors,
                       chosen_waiting=form.get("venteliste_moede", ""),
                       notice=notice, **values)  # fmt: skip


def _waiting_view(session: Session, offer: OfferView, rows: list[dict[str, Any]], tz: Any,
                  locale: str) -> dict[str, Any] | None:  # fmt: skip
    """The citizen's place on a waiting list of the offer: which meeting, their place in line,
    or until when the seat freed for them is held."""
    entry = waiting_list.active_entry(session, context().settings, offer.id, citizen_cpr())
    if entry is None:
        return None
    when = next((r["when"] for r in rows if r["id"] == str(entry.group_meeting_id)), None)
    until = entry.offer_expires_at.astimezone(tz) if entry.offer_expires_at else None
    for row in rows:
        row["waiting"] = entry.status if row["id"] == str(entry.group_meeting_id) else None
    return {
        "id": entry.id, "when": when, "offered": entry.status == "offered",
        "position": waiting_list.position(session, entry),
        "until": fmt.moment(until, locale) if until else None,
    }  # fmt: skip


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


@bp.get("/<uuid:offer_id>/moeder")
@requires(CITIZEN)
def meetings(offer_id: uuid.UUID) -> Response:
    """Vælg møde: ``?flyt=<booking id>`` to move a seat."""
    notice = WAITING_NOTICES.get(request.args.get("besked", ""))
    moving = _uuid(request.args.get("flyt"))
    return _meeting_page(offer_id, moving, {}, {}, notice=page_text(notice) if notice else None)


@bp.post("/<uuid:offer_id>/venteliste")
@requires(CITIZEN)
def join_waiting_list(offer_id: uuid.UUID) -> Response:
    """Skriv mig på ventelisten: the chosen full meeting and the address a freed seat is offered at."""
    form = {key: (request.form.get(key) or "").strip()[:300] for key in ("venteliste_moede", "venteliste_email")}
    meeting_id = _uuid(form["venteliste_moede"])
    errors: dict[str, str] = {}
    if meeting_id is None:
        errors["venteliste_moede"] = gettext("Vælg det møde, du vil på venteliste til.")
    email = form["venteliste_email"]
    problem = views.email_problem(email, page_locale()) if email else gettext(waiting_list.EMAIL_NEEDED)
    if problem:
        errors["venteliste_email"] = problem
    if errors:
        return _meeting_page(offer_id, None, form, errors, 400)
    assert meeting_id is not None
    profile, ctx = citizen("waiting_list"), context()
    try:
        with ctx.db.transaction() as session:
            waiting_list.join_waiting_list(session, ctx.settings, offer_id, meeting_id, profile, email, now())
    except Conflict as exc:  # a seat was freed meanwhile, or booked or listed in another window
        return _meeting_page(offer_id, None, form, {"venteliste_moede": page_text(exc.detail)}, 409)
    return redirect(url_for(".meetings", offer_id=offer_id, besked="venteliste"), 303)  # type: ignore[return-value]


@bp.post("/<uuid:offer_id>/venteliste/<uuid:entry_id>/tag-pladsen")
@requires(CITIZEN)
def take_offered_seat(offer_id: uuid.UUID, entry_id: uuid.UUID) -> Response:
    """Tag pladsen: the seat held for the citizen becomes their booking, then the receipt."""
    profile, ctx = citizen("waiting_list"), context()
    try:
        with ctx.db.transaction() as session:
            booking_id = waiting_list.take_offered_seat(session, ctx.settings, entry_id, profile, now()).id
    except Conflict as exc:  # the time ran out
        return _meeting_page(offer_id, None, {}, {"venteliste": page_text(exc.detail)}, 409)
    return redirect(url_for(".receipt", booking_id=booking_id), 303)  # type: ignore[return-value]


@bp.post("/<uuid:offer_id>/venteliste/<uuid:entry_id>/forlad")
@requires(CITIZEN)
def leave_waiting_list(offer_id: uuid.UUID, entry_id: uuid.UUID) -> Response:
    """Meld mig af ventelisten (a seat held for the citizen goes to the next at once)."""
    ctx = context()
    with ctx.db.transaction() as session:
        waiting_list.leave_waiting_list(session, ctx.settings, entry_id, citizen_cpr(), now())
    return redirect(url_for(".meetings", offer_id=offer_id, besked="forladt"), 303)  # type: ignore[return-value]


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
