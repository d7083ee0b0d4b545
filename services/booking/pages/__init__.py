"""The citizen's pages of the booking service (issue 11, first slice): "Mine mødetilbud",
"Vælg tidspunkt" (one ISO week), "Tjek og bekræft" and the receipt. Server-rendered, Danish,
no JavaScript; the routes are thin and call the same queries and operations as the JSON API
(``queries.list_times``, ``eligibility``, ``operations.book``).

Every page needs a logged-in citizen (``Action.CITIZEN_SELF_SERVICE``: staff have no citizen to
act for here). Anonymous visitors are sent to ``/login?next=...``; other refusals are pages,
never problem documents. No CPR number is ever in a URL, a page or a log: the citizen is the
login's, and the receipt names the booking by its id.
"""

from __future__ import annotations

from services.booking.pages.routes import bp

__all__ = ["bp"]
