"""``planner offers consume``: apply calendar health and booking conflict events until stopped."""

from __future__ import annotations

from services.offers.consumer import handle
from services.offers.models import OutboxMessage
from shared.config import Settings
from shared.messaging import consume_until_signalled
from shared.service import build_context


def run_consumer_forever(settings: Settings) -> None:
    """Consume the offers queue; SIGTERM or SIGINT stops after the current message."""
    context = build_context(settings, settings.offers_database_url, OutboxMessage)
    try:
        consume_until_signalled(settings.broker_url, settings.events_exchange, "offers", lambda e: handle(context, e))
    finally:
        context.close()
