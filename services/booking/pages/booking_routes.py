"""The routes of a citizen's own bookings (see the package): the receipt and its calendar
file, Mine aftaler, and cancelling with a confirmation step. Moving a booking goes through
the week page (``routes``, ``?flyt=<booking id>``)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext

from services.booking import changes, queries
from services.booking.mail import compose
from services.booking.models import Booking, OfferView
from services.booking.pages import my_bookings, views
from services.booking.pages.common import CITIZEN, bp, citizen_cpr, context, now, own_booking
from shared.auth.web import requires
from shared.i18n import N_
from shared.pages import page_locale, page_text, render_page

MESSAGES = {"aflyst": N_("Dit møde er aflyst. Tiden er givet fri til andre.")}
"""The notices Mine aftaler shows after a change, by a fixed key (nothing from the URL is echoed)."""


def _booking_values(booking: Booking, offer: OfferView) -> dict[str, Any]:
    tz, locale = queries.offer_zone(offer), page_locale()
    start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
    return {
        "booking_id": booking.id,
        "reference": booking.reference,
        "offer": views.offer_card(offer, locale),
        "when": views.when_text(start, end, locale),
        "terms": views.terms(booking, locale),
        "actions": my_bookings.booking_actions(booking, offer, now(), locale),
        "booking_status": booking.status,
    }


@bp.get("/kvittering/<uuid:booking_id>")
@requires(CITIZEN)
def receipt(booking_id: uuid.UUID) -> Response:
    """Kvittering: the citizen's own booking only."""
    with context().db.transaction() as session:
        booking, offer = own_booking(session, booking_id)
        values = _booking_values(booking, offer)
        values["moved"] = session.query(Booking.id).filter(Booking.rebooked_to_id == booking.id).first() is not None
    return render_page("citizen/receipt.html", **values)


@bp.get("/kvittering/<uuid:booking_id>/moede.ics")
@requires(CITIZEN)
def receipt_calendar(booking_id: uuid.UUID) -> Response:
    """Tilføj til kalender: the booked meeting as an iCalendar file (the receipt's access)."""
    with context().db.transaction() as session:
        booking, offer = own_booking(session, booking_id)
        reference = booking.reference
        body = compose.calendar_for("confirmation", offer, booking, now())  # the file the e-mail carries
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="moede-{reference}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/aftaler")
@requires(CITIZEN)
def bookings() -> Response:
    """Mine aftaler: the citizen's upcoming meetings with move and cancel, then the past and
    cancelled ones."""
    ctx, instant = context(), now()
    with ctx.db.transaction() as session:
        upcoming, earlier = my_bookings.my_bookings(session, ctx.settings, citizen_cpr(), instant, page_locale())
        waiting = my_bookings.my_waiting_lists(session, ctx.settings, citizen_cpr(), page_locale())
    notice = MESSAGES.get(request.args.get("besked", ""))
    notice = page_text(notice) if notice else None
    return render_page("citizen/bookings.html", upcoming=upcoming, earlier=earlier, waiting=waiting, notice=notice)


@bp.get("/aftaler/<uuid:booking_id>/aflys")
@requires(CITIZEN)
def cancel_question(booking_id: uuid.UUID) -> Response:
    """Aflys mødet, step 1: ask before cancelling."""
    with context().db.transaction() as session:
        booking, offer = own_booking(session, booking_id)
        values = _booking_values(booking, offer)
    if not values["actions"]["can_cancel"]:
        if booking.cancelled_at is not None:
            reason = page_text(changes.ALREADY_MOVED if booking.rebooked_to_id else changes.ALREADY_CANCELLED)
        else:  # the terms' reason is in the page's language already
            reason = values["actions"]["cancel_reason"] or page_text(changes.MEETING_BEGUN)
        title = gettext("Mødet kan ikke aflyses")
        return render_page("citizen/problem.html", status=409, title=title, detail=reason)
    return render_page("citizen/cancel.html", **values)


@bp.post("/aftaler/<uuid:booking_id>/aflys")
@requires(CITIZEN)
def cancel(booking_id: uuid.UUID) -> Response:
    """Aflys mødet, step 2: cancel (``changes.cancel_booking``), then Mine aftaler."""
    ctx = context()
    with ctx.db.transaction() as session:
        own_booking(session, booking_id)
        changes.cancel_booking(session, booking_id, citizen_cpr(), now(), settings=ctx.settings)
    return redirect(url_for(".bookings", besked="aflyst"), 303)  # type: ignore[return-value]
