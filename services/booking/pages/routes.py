"""The routes from an offer to a booking (see the package): Mine mødetilbud, Vælg tidspunkt,
the hold, Tjek og bekræft and Book mødet. Parse, call, render."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Response, current_app, redirect, request, url_for
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from services.booking import changes, eligibility, holds, queries, week_times
from services.booking.models import Booking, OfferView
from services.booking.pages import views
from services.booking.pages.common import CITIZEN, bp, citizen, citizen_cpr, context, now, prepared_times
from shared import formatting as fmt
from shared.auth.web import requires
from shared.cpr_vault import CprVault, vault_for_settings
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, UserError
from shared.pages import page_locale, page_text, render_page
from shared.timeutil import today_in, zone

TAKEN = lazy_gettext("Tiden er desværre ikke ledig længere. Vælg en anden tid.")
CHOOSE = lazy_gettext("Vælg et tidspunkt")
NO_PREFERENCE = lazy_gettext("Ingen præference")


@bp.get("")
@requires(CITIZEN)
def offers() -> Response:
    """Mine mødetilbud: the offers the citizen may book now (B-1)."""
    profile, ctx, instant, locale = citizen("eligible_offers"), context(), now(), page_locale()
    cache: eligibility.EligibilityCache = current_app.extensions["booking.eligibility"]
    with ctx.db.transaction() as session:
        day = today_in(zone(ctx.settings.timezone), instant)
        found = eligibility.eligible_offers(session, cache, profile, instant, day)
        cards = [views.offer_card(o, locale) for o in found]
    return render_page("citizen/offers.html", offers=cards)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _week_page(
    offer_id: uuid.UUID,
    week: str | None,
    advisor: str | None,
    *,
    moving: uuid.UUID | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """Vælg tidspunkt for one ISO week (``week``: ``2026-W50``; default: the week of the
    citizen's current hold, else of the first free time). ``moving``: the booking the
    citizen is moving (B-4), which must still be movable."""
    profile, ctx, instant, locale = citizen("times"), context(), now(), page_locale()
    with ctx.db.transaction() as session:
        offer = queries.bookable_offer(session, offer_id, instant)
        old = _movable(session, offer, moving, instant) if moving else None
        hold = holds.current_hold(session, ctx.settings, offer.id, citizen_cpr(), instant)
        choices = views.advisor_choices(offer, profile, locale)
        chosen = views.chosen_advisor(advisor, choices)
        tz = queries.offer_zone(offer)
        today = today_in(tz, instant)
        held_start = hold.start_at.astimezone(tz) if hold else None
        monday = fmt.parse_iso_week(week) or (views.monday_of(held_start.date()) if held_start else None)
        found = week_times.citizen_week(
            session,
            ctx.settings,
            offer,
            profile,
            instant,
            monday,
            advisor_id=chosen,
            ignore_hold=hold.id if hold else None,
            prepared=None if hold else prepared_times().get(session, offer.id, instant),
        )
        shown = views.week_view(found, today, offer, checked=held_start, locale=locale)
        values = {
            "offer": views.offer_card(offer, locale),
            "week": shown,
            "advisors": choices,
            "advisor": str(chosen) if chosen else views.NO_PREFERENCE,
            "moving": old.id if old else None,
            "hold_minutes": ctx.settings.hold_minutes,
            "next_period": None if found.first_free else views.next_period(offer, today, locale),
            "live_times": views.live_times_url(offer, found.monday, chosen),
            "current": views.when_text(old.start_at.astimezone(tz), old.end_at.astimezone(tz), locale) if old else None,
        }
    return render_page("citizen/times.html", status=status, error=error, **values)


def _movable(session: Session, offer: OfferView, booking_id: uuid.UUID, instant: datetime) -> Booking:
    """The citizen's booking in ``offer`` that they are moving (refusals as pages)."""
    old = changes.movable_booking(session, booking_id, citizen_cpr(), instant, _vault())
    if old.offer_id != offer.id:
        raise NotFound(holds.WRONG_OFFER)
    return old


def _vault() -> CprVault:
    return vault_for_settings(context().settings)


@bp.get("/<uuid:offer_id>/tider")
@requires(CITIZEN)
def times(offer_id: uuid.UUID) -> Response:
    """Vælg tidspunkt: ``?uge=2026-W50&raadgiver=<id>&flyt=<booking id>``."""
    args = request.args
    return _week_page(offer_id, args.get("uge"), args.get("raadgiver"), moving=_uuid(args.get("flyt")))


def _chosen_start(value: str | None) -> datetime | None:
    try:
        start = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return start if start.tzinfo is not None else None


def _week_of(start: datetime | None) -> str | None:
    return fmt.iso_week(start.date()) if start else None


@bp.post("/<uuid:offer_id>/tider")
@requires(CITIZEN)
def choose(offer_id: uuid.UUID) -> Response:
    """Fortsæt on the week page: hold the chosen time (``holds.hold_time``), then show its
    summary. A time taken meanwhile brings the citizen back to its week with the message."""
    form = request.form
    start, advisor, moving = _chosen_start(form.get("start")), form.get("raadgiver"), _uuid(form.get("flyt"))
    week = _week_of(start) or form.get("uge")
    if start is None:
        return _week_page(offer_id, week, advisor, moving=moving, error=CHOOSE, status=400)
    profile, ctx, instant = citizen("times"), context(), now()
    try:
        with ctx.db.transaction() as session:
            offer = queries.bookable_offer(session, offer_id, instant)
            chosen = views.chosen_advisor(advisor, views.advisor_choices(offer, profile))
            hold = holds.hold_time(
                session, ctx.settings, offer_id, start, profile, chosen, instant, rebooking_of=moving
            )
            hold_id = hold.id
    except Conflict as exc:
        message = TAKEN if exc.code in ("time_not_free", "time_taken") else page_text(exc.detail)
        return _week_page(offer_id, week, advisor, moving=moving, error=message, status=409)
    except (NotFound, Forbidden, Unauthenticated):
        raise
    except UserError as exc:
        return _week_page(offer_id, week, advisor, moving=moving, error=page_text(exc.detail), status=400)
    return redirect(url_for(".reservation", hold_id=hold_id), 303)  # type: ignore[return-value]


def _summary(session: Session, hold: Booking, profile: CitizenProfile) -> dict[str, Any]:
    """Tjek og bekræft's values for ``hold``."""
    ctx, locale = context(), page_locale()
    offer = session.get(OfferView, hold.offer_id)
    if offer is None:
        raise NotFound(queries.OFFER_NOT_FOUND)
    tz = queries.offer_zone(offer)
    start = hold.start_at.astimezone(tz)
    choices = views.advisor_choices(offer, profile, locale)
    names = {c["id"]: c["name"] for c in choices}
    old = session.get(Booking, hold.rebooking_of_id) if hold.rebooking_of_id else None
    email = old.email if old else views.profile_email(session, ctx.settings, citizen_cpr())
    return {
        "hold_id": hold.id,
        "offer": views.offer_card(offer, locale),
        "when": views.when_text(start, hold.end_at.astimezone(tz), locale),
        "held_until": fmt.clock(hold.held_until.astimezone(tz), locale) if hold.held_until else None,
        "hold_minutes": ctx.settings.hold_minutes,
        "week_link": url_for(".times", offer_id=offer.id, uge=fmt.iso_week(start.date()), flyt=old.id if old else None),
        "advisor_name": (names.get(str(hold.advisor_id)) or NO_PREFERENCE) if choices else None,
        "terms": views.terms(hold, locale),
        "current": views.when_text(old.start_at.astimezone(tz), old.end_at.astimezone(tz), locale) if old else None,
        "email": email or "",
    }


@bp.get("/reservation/<uuid:hold_id>")
@requires(CITIZEN)
def reservation(hold_id: uuid.UUID) -> Response:
    """Tjek og bekræft: the held time's summary, the terms and "Book mødet"."""
    profile, ctx, instant = citizen("booking"), context(), now()
    try:
        with ctx.db.transaction() as session:
            hold = holds.held_time(session, ctx.settings, hold_id, citizen_cpr(), instant)
            if hold.held_until is None:  # confirmed already (the back button)
                return redirect(url_for(".receipt", booking_id=hold.id), 303)  # type: ignore[return-value]
            values = _summary(session, hold, profile)
    except Conflict as exc:  # expired
        return _expired(hold_id, page_text(exc.detail))
    return render_page("citizen/confirm.html", **values)


def _expired(hold_id: uuid.UUID, message: str) -> Response:
    """Back to the week of an expired hold, saying so."""
    with context().db.transaction() as session:
        row = session.get(Booking, hold_id)
        offer_id, start = (row.offer_id, row.start_at) if row else (None, None)
        moving = row.rebooking_of_id if row else None
    if offer_id is None or start is None:
        raise NotFound(holds.HOLD_NOT_FOUND)
    return _week_page(offer_id, _week_of(start), None, moving=moving, error=message, status=409)


@bp.post("/reservation/<uuid:hold_id>")
@requires(CITIZEN)
def book(hold_id: uuid.UUID) -> Response:
    """Book mødet (or Flyt mødet): confirm the hold (``holds.confirm_hold``), then the receipt."""
    email = (request.form.get("email") or "").strip()
    profile, ctx, instant = citizen("booking"), context(), now()
    problem = views.email_problem(email, page_locale())
    try:
        with ctx.db.transaction() as session:
            if problem:
                hold = holds.held_time(session, ctx.settings, hold_id, citizen_cpr(), instant)
                values = {**_summary(session, hold, profile), "email": email}
                return render_page("citizen/confirm.html", status=400, email_error=problem, **values)
            booking = holds.confirm_hold(session, ctx.settings, hold_id, profile, instant, email=email or None)
            booking_id = booking.id
    except Conflict as exc:  # expired, or booked meanwhile in another window
        return _expired(hold_id, page_text(exc.detail))
    return redirect(url_for(".receipt", booking_id=booking_id), 303)  # type: ignore[return-value]


@bp.post("/reservation/<uuid:hold_id>/frigiv")
@requires(CITIZEN)
def release(hold_id: uuid.UUID) -> Response:
    """Vælg en anden tid: give the held time back and return to its week."""
    ctx = context()
    with ctx.db.transaction() as session:
        row = session.get(Booking, hold_id)
        back = (row.offer_id, _week_of(row.start_at), row.rebooking_of_id) if row else None
        holds.release_hold(session, ctx.settings, hold_id, citizen_cpr())
    if back is None:
        return redirect(url_for(".offers"), 303)  # type: ignore[return-value]
    offer_id, week, moving = back
    return redirect(url_for(".times", offer_id=offer_id, uge=week, flyt=moving), 303)  # type: ignore[return-value]
