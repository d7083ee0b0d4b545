"""The citizen's site: the blueprint with every route of the pages registered on it."""

from __future__ import annotations

from services.booking.pages import booking_routes, meeting_routes, routes
from services.booking.pages.common import bp

__all__ = ["booking_routes", "bp", "meeting_routes", "routes"]
