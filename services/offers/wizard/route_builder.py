"""Step 3's marker routes without JavaScript (R-5): a citizen with person-group marker M may
book only the advisors linked to M on this offer. The routes as form fields (``routes``: how
many; per route ``route-0-marker`` and the ticked ``route-0-advisors``), and the buttons that
add one (``new-route-marker`` and ``new-route-advisors``) or remove one. Pure.

The offers' check (``services.offers.rules.participant_rules.marker_routes``) decides what
is allowed: markers the centre sees, advisors of the offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.offers.wizard.rule_builder import form_count

MAX_ROUTES = 50
"""More routes than any centre has markers; the form says how many it has, bounded here."""

Routes = dict[str, list[str]]


def _ids(form: Any, field: str) -> list[str]:
    values = form.getlist(field) if hasattr(form, "getlist") else list(form.get(field) or [])
    return [str(v)[:36] for v in values][:MAX_ROUTES]


def routes_from_form(form: Any) -> Routes:
    """The routes the form's fields describe; a route whose advisors were all unticked goes."""
    routes: Routes = {}
    for i in range(form_count(form, "routes", MAX_ROUTES)):
        marker = str(form.get(f"route-{i}-marker", ""))[:100]
        advisors = _ids(form, f"route-{i}-advisors")
        if marker and advisors:
            routes.setdefault(marker, [])
            routes[marker] += [a for a in advisors if a not in routes[marker]]
    return routes


def apply(routes: Mapping[str, list[str]], action: str, form: Any) -> Routes:
    """The routes after the button ``action``: ``add_route`` (the new route's marker and
    advisors, joined to that marker's route if it has one; nothing without advisors) or
    ``remove_route:<n>``."""
    new = {marker: list(advisors) for marker, advisors in routes.items()}
    if action == "add_route":
        marker = str(form.get("new-route-marker", ""))[:100]
        advisors = _ids(form, "new-route-advisors")
        if marker and advisors:  # a route without advisors would go again at the next button
            new.setdefault(marker, [])
            new[marker] += [a for a in advisors if a not in new[marker]]
    elif action.startswith("remove_route:"):
        position = action.removeprefix("remove_route:")
        markers = list(new)
        if position.isdigit() and int(position) < len(markers):
            del new[markers[int(position)]]
    return new
