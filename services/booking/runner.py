"""``planner booking consume``: apply offer and availability events until stopped."""

from __future__ import annotations

from services.booking.app import build_booking_context
from services.booking.consumer import handle
from shared.config import Settings
from shared.messaging import consume_until_signalled


def run_consumer_forever(settings: Settings) -> None:
    """Consume the booking queue; SIGTERM or SIGINT stops after the current message."""
    context = build_booking_context(settings)
    try:
        consume_until_signalled(settings.broker_url, settings.events_exchange, "booking", lambda e: handle(context, e))
    finally:
        context.close()
