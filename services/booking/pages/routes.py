"""The routes of the citizen's pages (see the package): parse, call, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request, url_for
from sqlalchemy.orm import Session

from services.booking import access, calendar_file, eligibility, operations, queries
from services.booking.models import Booking, OfferView
from services.booking.pages import formatting as fmt
from services.booking.pages import views
from shared.auth.access import Action
from shared.auth.web import current_citizen, requires
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, Forbidden, NotFound, PlannerError, Unauthenticated, UserError
from shared.pages import render_page
from shared.service import ServiceContext
from shared.timeutil import today_in, zone

bp = Blueprint("citizen_pages", __name__, url_prefix="/mine-moedetilbud", template_folder="templates")

CITIZEN = Action.CITIZEN_SELF_SERVICE
TAKEN = "Tiden er desværre ikke ledig længere. Vælg en anden tid."
CHOOSE = "Vælg et tidspunkt"
PROBLEM_TITLES = {403: "Du har ikke adgang til siden", 404: "Siden findes ikke", 429: "Vent lidt, og prøv igen"}


def _context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def _now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["booking.clock"]
    return clock()


def _citizen(purpose: str) -> CitizenProfile:
    """The logged-in citizen's profile (the lookup logged as the API's are)."""
    citizen = current_citizen()
    if citizen is None:  # staff with a bearer token: no citizen to act for
        raise Forbidden("Siderne er for borgere, der er logget ind med MitID.")
    return access.look_up(citizen.cpr, purpose)


@bp.errorhandler(Unauthenticated)
def _log_in_first(exc: Unauthenticated) -> Response:
    """Anonymous (or an expired session): log in, then come back here."""
    path = request.full_path.rstrip("?") if request.method == "GET" else url_for(".offers")
    return redirect("/login?" + urlencode({"next": path}), 302)  # type: ignore[return-value]


@bp.errorhandler(PlannerError)
def _problem_page(exc: PlannerError) -> Response:
    """Refusals and errors as pages with the Danish message (never a problem document)."""
    title = PROBLEM_TITLES.get(exc.status, "Det lykkedes ikke")
    return render_page("citizen/problem.html", status=exc.status, title=title, detail=exc.detail)


@bp.get("")
@requires(CITIZEN)
def offers() -> Response:
    """Mine mødetilbud: the offers the citizen may book now (B-1)."""
    citizen, context, now = _citizen("eligible_offers"), _context(), _now()
    cache: eligibility.EligibilityCache = current_app.extensions["booking.eligibility"]
    with context.db.transaction() as session:
        day = today_in(zone(context.settings.timezone), now)
        found = eligibility.eligible_offers(session, cache, citizen, now, day)
        cards = [views.offer_card(o) for o in found]
    return render_page("citizen/offers.html", offers=cards)


def _offer_times(
    session: Session, offer_id: uuid.UUID, advisor: str | None, citizen: CitizenProfile, now: datetime
) -> tuple[OfferView, list[dict[str, str]], uuid.UUID | None, list[queries.TimeOption]]:
    """The offer, the advisors the citizen may choose, the one chosen, and the free times."""
    offer = queries.bookable_offer(session, offer_id, now)
    choices = views.advisor_choices(offer, citizen)
    chosen = views.chosen_advisor(advisor, choices)
    return offer, choices, chosen, views.citizen_times(session, _context().settings, offer, citizen, now, chosen)


def _week_page(
    offer_id: uuid.UUID,
    week: str | None,
    advisor: str | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """Vælg tidspunkt for one ISO week (``week``: ``2026-W50``; default: the first free time's)."""
    citizen, context, now = _citizen("times"), _context(), _now()
    with context.db.transaction() as session:
        offer, choices, chosen, options = _offer_times(session, offer_id, advisor, citizen, now)
        today = today_in(queries.offer_zone(offer), now)
        monday = fmt.parse_iso_week(week) or views.first_week(options, today)
        shown = views.week_view(options, monday, today, offer)
        card = views.offer_card(offer)
    return render_page(
        "citizen/times.html",
        status=status,
        offer=card,
        week=shown,
        advisors=choices,
        advisor=str(chosen) if chosen else views.NO_PREFERENCE,
        error=error,
    )


@bp.get("/<uuid:offer_id>/tider")
@requires(CITIZEN)
def times(offer_id: uuid.UUID) -> Response:
    """Vælg tidspunkt: ``?uge=2026-W50&raadgiver=<id>``."""
    return _week_page(offer_id, request.args.get("uge"), request.args.get("raadgiver"))


def _chosen_start(value: str | None) -> datetime | None:
    try:
        start = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return start if start.tzinfo is not None else None


def _week_of(start: datetime | None) -> str | None:
    return fmt.iso_week(start.date()) if start else None


@bp.get("/<uuid:offer_id>/bekraeft")
@requires(CITIZEN)
def confirm(offer_id: uuid.UUID) -> Response:
    """Tjek og bekræft: ``?start=<ISO instant>&raadgiver=<id>``; the time must still be free."""
    start, advisor = _chosen_start(request.args.get("start")), request.args.get("raadgiver")
    if start is None:
        return _week_page(offer_id, request.args.get("uge"), advisor, error=CHOOSE, status=400)
    citizen, context, now = _citizen("times"), _context(), _now()
    with context.db.transaction() as session:
        offer, choices, chosen, options = _offer_times(session, offer_id, advisor, citizen, now)
        option = next((o for o in options if o.start == start), None)
        summary = _summary(offer, choices, chosen, option) if option else None
    if summary is None:
        return _week_page(offer_id, _week_of(start), advisor, error=TAKEN, status=409)
    return render_page("citizen/confirm.html", **summary)


def _summary(
    offer: OfferView, choices: list[dict[str, str]], chosen: uuid.UUID | None, option: queries.TimeOption
) -> dict[str, Any]:
    names = {c["id"]: c["name"] for c in choices}
    return {
        "offer": views.offer_card(offer),
        "when": views.when_text(option.start, option.end),
        "start": option.start.isoformat(),
        "week": fmt.iso_week(option.start.date()),
        "advisor": str(chosen) if chosen else views.NO_PREFERENCE,
        "advisor_name": names.get(str(chosen)) if chosen else ("Ingen præference" if choices else None),
        "terms": views.terms(offer),
    }


@bp.post("/<uuid:offer_id>/book")
@requires(CITIZEN)
def book(offer_id: uuid.UUID) -> Response:
    """Book mødet: the same operation as ``POST /api/v1/bookings``; a refused time goes back
    to its week with the message, the advisor kept."""
    start, advisor = _chosen_start(request.form.get("start")), request.form.get("raadgiver")
    if start is None:
        return _week_page(offer_id, None, advisor, error=CHOOSE, status=400)
    citizen, context = _citizen("booking"), _context()
    try:
        with context.db.transaction() as session:
            offer = queries.bookable_offer(session, offer_id, _now())
            chosen = views.chosen_advisor(advisor, views.advisor_choices(offer, citizen))
            booking = operations.book(
                session, context.settings, offer_id, start, citizen, advisor_id=chosen, now=_now()
            )
            booking_id = booking.id
    except Conflict as exc:  # taken meanwhile, or the citizen already holds a booking here
        message = exc.detail if exc.code == "already_booked" else TAKEN
        return _week_page(offer_id, _week_of(start), advisor, error=message, status=409)
    except (NotFound, Forbidden, Unauthenticated):
        raise
    except UserError as exc:
        return _week_page(offer_id, _week_of(start), advisor, error=exc.detail, status=400)
    return redirect(url_for(".receipt", booking_id=booking_id), 303)  # type: ignore[return-value]


def _own_booking(session: Session, booking_id: uuid.UUID) -> tuple[Booking, OfferView]:
    """The logged-in citizen's booking and its offer (another's is 404, as the API answers)."""
    if current_citizen() is None:
        raise Forbidden("Siderne er for borgere, der er logget ind med MitID.")
    booking = operations.get_booking(session, booking_id)
    offer = session.get(OfferView, booking.offer_id)
    access.authorize_booking(access.READ, booking, offer)
    if offer is None:
        raise NotFound("Mødet findes ikke.")
    return booking, offer


@bp.get("/kvittering/<uuid:booking_id>")
@requires(CITIZEN)
def receipt(booking_id: uuid.UUID) -> Response:
    """Kvittering: the citizen's own booking only."""
    with _context().db.transaction() as session:
        booking, offer = _own_booking(session, booking_id)
        tz = queries.offer_zone(offer)
        start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
        values = {
            "booking_id": booking.id,
            "reference": booking.reference,
            "offer": views.offer_card(offer),
            "when": views.when_text(start, end),
            "terms": views.terms(booking),
        }
    return render_page("citizen/receipt.html", **values)


@bp.get("/kvittering/<uuid:booking_id>/moede.ics")
@requires(CITIZEN)
def receipt_calendar(booking_id: uuid.UUID) -> Response:
    """Tilføj til kalender: the booked meeting as an iCalendar file (the receipt's access)."""
    with _context().db.transaction() as session:
        booking, offer = _own_booking(session, booking_id)
        reference = booking.reference
        body = calendar_file.booking_ics(
            booking_id=booking.id,
            reference=reference,
            offer_name=offer.name,
            channel=offer.channel,
            channel_text=views.channel_text(offer),
            place=offer.place,
            start=booking.start_at,
            end=booking.end_at,
            created=booking.created_at,
            timezone=queries.offer_zone(offer).key,
        )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="moede-{reference}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response
