"""Routes of the offers API under /api/v1: parse, check access, call one operation or query, serialise.

Who may call what (issue 9; ``services.offers.access``): every route needs an identity and
is marked with the action it takes. Job centres, closing days, teams, rooms and advisors
are admin data (read / write admin data); starting a calendar sync writes calendars; the
calendar conflicts and group-meeting times read calendars; offers are read and written as
offers; explaining an offer for a citizen reads participants (it uses a CPR number). The
reference lists belong to every centre: reading them needs the read somewhere, replacing
them the write at every centre. A resource of a job centre where the caller holds no role
answers 404, as an unknown id; a role there that may only read answers 403. Lists show only
the caller's centres.
"""

from __future__ import annotations

from services.offers.admin import api as admin_api
from services.offers.blueprint import bp
from services.offers.calendars import api as calendars_api
from services.offers.meetings import api as meetings_api
from services.offers.offers import api as offers_api
from services.offers.rules import api as rules_api

__all__ = ["admin_api", "bp", "calendars_api", "meetings_api", "offers_api", "rules_api"]
