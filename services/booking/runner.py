"""``planner booking consume``: apply offer and availability events until stopped."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from services.booking.app import build_booking_context
from services.booking.consumer import handle
from shared.config import Settings
from shared.messaging import run_consumer

log = logging.getLogger(__name__)


def run_consumer_forever(settings: Settings) -> None:
    """Consume the booking queue; SIGTERM or SIGINT stops after the current message."""
    context = build_booking_context(settings)
    consumer = run_consumer(settings.broker_url, settings.events_exchange, "booking", lambda e: handle(context, e))

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the booking consumer", signum)
        consumer.should_stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        consumer.run()
    finally:
        context.close()
