"""The citizen's pages of the booking service (issue 11): "Mine mødetilbud", "Vælg
tidspunkt" (one ISO week), the hold and "Tjek og bekræft", the receipt with its calendar
file, and "Mine aftaler" with moving and cancelling. Server-rendered, Danish, no
JavaScript; the routes are thin and call the same queries and operations as the JSON API
(``prepared_times``, ``eligibility``, ``holds``, ``changes``).

Every page needs a logged-in citizen (``Action.CITIZEN_SELF_SERVICE``: staff have no citizen to
act for here). Anonymous visitors are sent to ``/login?next=...``; other refusals are pages,
never problem documents. No CPR number is ever in a URL, a page or a log: the citizen is the
login's, and the pages name a booking or a hold by its id.

The blueprint with all its routes is ``site.bp`` (importing this package registers nothing,
so the e-mails can reuse ``formatting`` and ``views``).
"""
