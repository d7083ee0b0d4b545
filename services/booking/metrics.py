"""The booking service's figures for ``/metrics`` (``shared.metrics``): bookings made and
refused, by kind, counted from the answers of the routes that book (the API's and the pages'),
and gauges read from its tables at each scrape (the outbox's lag, holds, waiting lists)."""

from __future__ import annotations

from collections.abc import Iterable

from apiflask import APIFlask
from flask import Response, request
from sqlalchemy import func, select

from services.booking.models import Booking, GroupMeetingView, OutboxMessage, WaitingListEntry
from shared.db import Database
from shared.metrics import Gauge, GaugeSource, count_booking, install_metrics, outbox_lag_source
from shared.timeutil import utcnow

BOOKING_ENDPOINTS = {
    "booking.create_booking": "time",
    "booking.book_seat": "seat",
    "booking.rebook_booking": "rebooking",
    "booking.rebook_seat": "rebooking",
    "booking.cancel_booking": "cancellation",
    "booking.take_offered_seat": "seat",
    "citizen_pages.book": "time",
    "citizen_pages.book_seat": "seat",
    "citizen_pages.take_offered_seat": "seat",
    "citizen_pages.cancel": "cancellation",
}
"""The routes that make a booking (or change one), and the kind each counts as."""
OUTCOMES = {303: "made", 200: "made", 201: "made", 403: "refused", 404: "not_found", 409: "conflict", 422: "invalid",
            429: "too_many", 503: "unavailable"}  # fmt: skip


def _held_and_waiting(db: Database) -> GaugeSource:
    def read() -> Iterable[Gauge]:
        now = utcnow()
        with db.transaction() as session:
            holds = session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.cancelled_at.is_(None), Booking.held_until.is_not(None), Booking.held_until > now)
            )
            held = session.scalar(select(func.coalesce(func.sum(GroupMeetingView.held), 0)))
            waiting = session.scalar(
                select(func.count()).select_from(WaitingListEntry).where(WaitingListEntry.status == "waiting")
            )
        return [
            Gauge("planner_holds", "Times held for citizens who are confirming them now.", float(holds or 0)),
            Gauge("planner_waiting_list_held_seats", "Seats of group meetings held for a waiting list.", float(held)),
            Gauge(
                "planner_waiting_list_citizens",
                "Citizens waiting for a seat at a full group meeting.",
                float(waiting or 0),
            ),
        ]

    return read


def install_booking_metrics(app: APIFlask, db: Database) -> None:
    """``/metrics`` of the booking service, and the bookings counted as they are answered."""
    install_metrics(app, "booking", [outbox_lag_source(db, OutboxMessage), _held_and_waiting(db)])

    @app.after_request
    def _count(response: Response) -> Response:
        kind = BOOKING_ENDPOINTS.get(request.endpoint or "")
        if kind is not None and request.method == "POST":
            count_booking(kind, OUTCOMES.get(response.status_code, str(response.status_code)))
        return response
