"""The authorisation matrix: every operation of both OpenAPI documents, and every other
route of both services, called as each kind of person, answers as ``EXPECTED`` says.

The identities are real: citizens and staff log in at the embedded OpenID Connect provider
and call with its access tokens (staff roles come from their groups). Each operation is
called on the resources of job centre X. An answer is "ok" when the access check let the
request through (whatever the operation then said: 200, 201, 409, 422), else its status:
401 (no identity), 403 (may never do this), 404 (another centre's resource, or another
citizen's booking: as if it did not exist). The pages (``PAGES``) answer everyone alike. A
route missing from the tables fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import text

from services.booking.db import migrate as migrate_booking
from services.demo.oidc_provider import EmbeddedOidcProvider
from services.offers.db import migrate as migrate_offers
from shared import events as ev
from shared.db import Database
from tests.auth.conftest import API_AUDIENCE, CPR_CLAIM
from tests.booking.conftest import TODAY, BookingService, at, build_service, daily_starts, fictitious_cpr
from tests.login import Logins
from tests.offers.conftest import WEEKDAYS, Api, build_app, today

X, Y = "10101", "20202"
ANON, CITIZEN_A, CITIZEN_B = "anonymous", "citizen A", "citizen B"
PLANNER_X, PLANNER_Y, READER_X, ADMIN_X = "planner X", "planner Y", "reader X", "administrator X"
IDENTITIES = (ANON, CITIZEN_B, PLANNER_Y, READER_X, ADMIN_X, CITIZEN_A, PLANNER_X)
"""In this order per operation: refusals first, so an allowed write (a cancellation) comes last."""
GROUP_ROLES = (
    "m-planner-x=planner:10101;m-planner-y=planner:20202;m-reader-x=reader:10101;m-admin-x=administrator:10101"
)
USERS = {
    CITIZEN_A: {CPR_CLAIM: fictitious_cpr(1), "name": "Borger A"},
    CITIZEN_B: {CPR_CLAIM: fictitious_cpr(2), "name": "Borger B"},
    PLANNER_X: {"name": "Planlægger X", "groups": ["m-planner-x"]},
    PLANNER_Y: {"name": "Planlægger Y", "groups": ["m-planner-y"]},
    READER_X: {"name": "Læser X", "groups": ["m-reader-x"]},
    ADMIN_X: {"name": "Administrator X", "groups": ["m-admin-x"]},
}
CITIZENS_CLIENT, STAFF_CLIENT = "planner-citizens", "planner-staff"

OK = "ok"
ACCESS_TABLES = ("cpr_access_log", "web_session", "pending_login", "rate_limit", "alembic_version")
"""Tables that record the access itself (a refused request may leave its trace there)."""


def answers(default: object = OK, **cells: object) -> dict[str, object]:
    """One row: ``default`` for every identity but those named (anonymous: 401 unless named)."""
    names = {
        "anon": ANON,
        "citizen_a": CITIZEN_A,
        "citizen_b": CITIZEN_B,
        "planner_x": PLANNER_X,
        "planner_y": PLANNER_Y,
        "reader_x": READER_X,
        "admin_x": ADMIN_X,
    }
    row: dict[str, object] = dict.fromkeys(IDENTITIES, default)
    row[ANON] = 401
    for name, value in cells.items():
        row[names[name]] = value
    return row


PUBLIC = answers(OK, anon=OK)
STAFF_READ = answers(OK, citizen_a=403, citizen_b=403)  # lists: each sees their own centres
STAFF_READ_X = answers(OK, citizen_a=403, citizen_b=403, planner_y=404)
ADMIN_WRITE_X = answers(403, admin_x=OK, planner_y=403)
PLANNER_WRITE_X = answers(403, planner_x=OK, planner_y=404)
EVERY_CENTRE_ONLY = answers(403)  # nobody here has a grant at every job centre
ADMINISTRATORS = answers(403, admin_x=OK)
CITIZENS = answers(403, citizen_a=OK, citizen_b=OK)
MONITORS = answers(403)  # nobody here has the monitor role (tests/booking/test_health_and_metrics.py)
CITIZEN_OR_STAFF_READ_X = answers(OK, planner_y=404)
CITIZEN_OR_PLANNER_X = answers(OK, planner_y=404, reader_x=403, admin_x=403)
OWN_BOOKING_READ = answers(OK, citizen_b=404, planner_y=404)
OWN_BOOKING_WRITE = answers(OK, citizen_b=404, planner_y=404, reader_x=403, admin_x=403)

EXPECTED: dict[str, dict[str, dict[str, object]]] = {
    "offers": {
        "POST /api/v1/job-centres": ADMIN_WRITE_X,
        "GET /api/v1/job-centres": STAFF_READ,
        "GET /api/v1/job-centres/{job_centre_id}": STAFF_READ_X,
        "PATCH /api/v1/job-centres/{job_centre_id}": ADMIN_WRITE_X,
        "POST /api/v1/job-centres/{job_centre_id}/closing-days": ADMIN_WRITE_X,
        "DELETE /api/v1/job-centres/{job_centre_id}/closing-days/{day}": ADMIN_WRITE_X,  # the day the POST added
        "GET /api/v1/job-centres/{job_centre_id}/conversation-variants": STAFF_READ_X,
        "POST /api/v1/job-centres/{job_centre_id}/conversation-variants": ADMIN_WRITE_X,
        "DELETE /api/v1/job-centres/{job_centre_id}/conversation-variants/{variant_id}": ADMIN_WRITE_X,
        "POST /api/v1/teams": ADMIN_WRITE_X,
        "GET /api/v1/teams": STAFF_READ,
        "PATCH /api/v1/teams/{team_id}": ADMIN_WRITE_X,
        "POST /api/v1/rooms": ADMIN_WRITE_X,
        "GET /api/v1/rooms": STAFF_READ,
        "PATCH /api/v1/rooms/{room_id}": ADMIN_WRITE_X,
        "POST /api/v1/advisors": ADMIN_WRITE_X,
        "GET /api/v1/advisors": STAFF_READ,
        "GET /api/v1/advisors/{advisor_id}": STAFF_READ_X,
        "PATCH /api/v1/advisors/{advisor_id}": ADMIN_WRITE_X,
        "POST /api/v1/advisors/{advisor_id}/sync": PLANNER_WRITE_X,
        "GET /api/v1/calendar-conflicts": STAFF_READ,
        "GET /api/v1/group-meeting-times": STAFF_READ_X,
        "POST /api/v1/offers": answers(403, planner_x=OK, planner_y=422),  # Y: centre X "findes ikke"
        "GET /api/v1/offers": STAFF_READ,
        "GET /api/v1/offers/{offer_id}": STAFF_READ_X,
        "PATCH /api/v1/offers/{offer_id}": PLANNER_WRITE_X,
        "POST /api/v1/offers/{offer_id}/explain": STAFF_READ_X,
        # the offer is an individual one: those who may change it hear that it has no meetings (409)
        "GET /api/v1/offers/{offer_id}/meetings": STAFF_READ_X,
        "POST /api/v1/offers/{offer_id}/meetings": PLANNER_WRITE_X,
        "PATCH /api/v1/offers/{offer_id}/meetings/{meeting_id}": PLANNER_WRITE_X,
        "POST /api/v1/offers/{offer_id}/meetings/{meeting_id}/cancel": PLANNER_WRITE_X,
        "GET /api/v1/offer-templates": STAFF_READ,
        "POST /api/v1/offer-templates": answers(403, planner_x=OK, planner_y=404),  # X's centre: absent to Y
        "DELETE /api/v1/offer-templates/{template_id}": PLANNER_WRITE_X,
        "GET /api/v1/reference-lists": STAFF_READ,
        "GET /api/v1/reference-lists/{kind}": STAFF_READ,
        "PUT /api/v1/reference-lists/{kind}": EVERY_CENTRE_ONLY,
        "GET /api/v1/conversation-types": STAFF_READ,
        "PUT /api/v1/conversation-types/{code}": EVERY_CENTRE_ONLY,
        "POST /api/v1/access-log/search": ADMINISTRATORS,
        "GET /healthz": PUBLIC,
        "GET /readyz": PUBLIC,
        "GET /metrics": MONITORS,
    },
    "booking": {
        "GET /api/v1/offers": PUBLIC,
        "GET /api/v1/offers/{offer_id}": PUBLIC,
        "GET /api/v1/offers/{offer_id}/times": PUBLIC,
        "POST /api/v1/eligible-offers": answers(OK),
        "POST /api/v1/offers/{offer_id}/times": CITIZEN_OR_STAFF_READ_X,
        "POST /api/v1/offers/{offer_id}/participants": STAFF_READ_X,
        "POST /api/v1/bookings/lookup": STAFF_READ,  # answers only the caller's centres' bookings
        "POST /api/v1/bookings": CITIZEN_OR_PLANNER_X,
        "GET /api/v1/bookings/{booking_id}": OWN_BOOKING_READ,
        "POST /api/v1/bookings/{booking_id}/cancel": OWN_BOOKING_WRITE,
        "POST /api/v1/bookings/{booking_id}/rebook": OWN_BOOKING_WRITE,
        # the offer is an individual one: a seat is refused after the identity and the role
        "GET /api/v1/offers/{offer_id}/meetings": PUBLIC,
        "POST /api/v1/offers/{offer_id}/meetings/{meeting_id}/seats": CITIZEN_OR_PLANNER_X,
        "POST /api/v1/bookings/{booking_id}/rebook-seat": OWN_BOOKING_WRITE,
        "POST /api/v1/offers/{offer_id}/meetings/{meeting_id}/waiting-list": CITIZEN_OR_PLANNER_X,
        "GET /api/v1/offers/{offer_id}/meetings/{meeting_id}/waiting-list": STAFF_READ_X,
        # citizen A's place on the waiting list of X's group meeting: no seat is held for her (409)
        "POST /api/v1/waiting-list/{entry_id}/take": OWN_BOOKING_WRITE,
        "POST /api/v1/waiting-list/{entry_id}/leave": OWN_BOOKING_WRITE,
        "POST /api/v1/citizens": EVERY_CENTRE_ONLY,
        "POST /api/v1/access-log/search": ADMINISTRATORS,
        "GET /api/v1/access-log/mine": CITIZENS,
        "GET /healthz": PUBLIC,
        "GET /readyz": PUBLIC,
        "GET /metrics": MONITORS,
    },
}
PAGES = {
    # The pages (not in the OpenAPI documents): everyone gets them; each says who is logged in.
    "/": 200,
    "/tilgaengelighed": 200,
    "/login": 302,  # to the identity provider
    "/openapi.json": 200,
    "/docs": 200,
}
CITIZEN_PAGE = {ANON: 302, CITIZEN_A: 200, CITIZEN_B: 200, PLANNER_X: 403, PLANNER_Y: 403, READER_X: 403, ADMIN_X: 403}
BOOKING_PAGES = {
    # The citizen's pages (services/booking/pages): a citizen's own; anonymous visitors are sent to
    # /login (302), staff have no citizen to act for here (403). The receipt is its booker's only.
    "/mine-moedetilbud": CITIZEN_PAGE,
    "/mine-moedetilbud/{booking_offer_id}/tider?uge=2026-W50": CITIZEN_PAGE,
    # a group meeting's seats; the offer here is an individual one: unknown as a group meeting
    "/mine-moedetilbud/{booking_offer_id}/moeder": CITIZEN_PAGE | {CITIZEN_A: 404, CITIZEN_B: 404},
    # a hold's summary; for a hold confirmed already, its booker is sent on to the receipt (303)
    "/mine-moedetilbud/reservation/{booking_id}": CITIZEN_PAGE | {CITIZEN_A: 303, CITIZEN_B: 404},
    "/mine-moedetilbud/aftaler": CITIZEN_PAGE,
    # A's booking was moved by the operations above: her question is answered "already moved" (409)
    "/mine-moedetilbud/aftaler/{booking_id}/aflys": CITIZEN_PAGE | {CITIZEN_A: 409, CITIZEN_B: 404},
    "/mine-moedetilbud/kvittering/{booking_id}": CITIZEN_PAGE | {CITIZEN_B: 404},
    "/mine-moedetilbud/kvittering/{booking_id}/moede.ics": CITIZEN_PAGE | {CITIZEN_B: 404},
}
CENTRE_ADMIN_PAGE = {
    ANON: 302,
    CITIZEN_A: 403,
    CITIZEN_B: 403,
    PLANNER_X: 403,
    PLANNER_Y: 403,
    READER_X: 403,
    ADMIN_X: 200,
}
STAFF_PAGE = {ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 200, PLANNER_Y: 200, READER_X: 200, ADMIN_X: 200}
OFFERS_PAGES = {
    # The staff's pages (services/offers/*/pages.py): anyone with a role may read (a list shows
    # only their centres' rows); another centre's offer is 404, as in the API; citizens 403.
    "/tilbud": STAFF_PAGE,
    "/tilbud?channel=phone&sort=team&order=desc&page=2": STAFF_PAGE,
    "/tilbud/{offer_id}": STAFF_PAGE | {PLANNER_Y: 404},
    # the wizard: planners only; a draft is its owner's (anyone else's, like an unknown one, is 404)
    "/tilbud/ny": STAFF_PAGE | {READER_X: 403, ADMIN_X: 403},
    "/kalenderkonflikter": STAFF_PAGE,
    "/tilbud/skabeloner": STAFF_PAGE,
    "/referencelister": STAFF_PAGE,
    "/referencelister/contact_groups": STAFF_PAGE | {PLANNER_X: 403, PLANNER_Y: 403, READER_X: 403, ADMIN_X: 403},
    "/samtaletyper": STAFF_PAGE,
    "/samtaletyper/7": STAFF_PAGE | {PLANNER_X: 403, PLANNER_Y: 403, READER_X: 403, ADMIN_X: 403},
    "/tilbud/{offer_id}/skabelon": STAFF_PAGE | {PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},  # planners'
    # a group offer's meetings: its centre's planners; the offer here is individual (409)
    "/tilbud/{offer_id}/moeder/nyt": STAFF_PAGE | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    "/tilbud/{offer_id}/moeder/{unknown_id}": STAFF_PAGE
    | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    "/kalenderkonflikter?vis=alle": STAFF_PAGE,
    "/jobcentre": STAFF_PAGE,
    "/jobcentre/{job_centre_id}": STAFF_PAGE | {PLANNER_Y: 404},
    # a centre's teams and rooms are changed by its administrators only; its advisors anyone reads
    "/jobcentre/{job_centre_id}/teams/nyt": CENTRE_ADMIN_PAGE,
    "/jobcentre/team/{team_id}": CENTRE_ADMIN_PAGE,
    "/jobcentre/{job_centre_id}/lokaler/nyt": CENTRE_ADMIN_PAGE,
    "/jobcentre/lokale/{room_id}": CENTRE_ADMIN_PAGE,
    "/jobcentre/vejleder/{advisor_id}": STAFF_PAGE | {PLANNER_Y: 404},
    "/jobcentre/{job_centre_id}/vejledere/ny": CENTRE_ADMIN_PAGE,
    "/jobcentre/nyt": CENTRE_ADMIN_PAGE,
    "/tilbud/kladde/{unknown_id}/trin/1": STAFF_PAGE | {PLANNER_X: 404, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
}
PLANNERS_DRAFT = {
    ANON: 302,
    CITIZEN_A: 403,
    CITIZEN_B: 403,
    PLANNER_X: 404,
    PLANNER_Y: 404,
    READER_X: 403,
    ADMIN_X: 403,
}
CENTRE_ADMINS = {ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 403, PLANNER_Y: 403, READER_X: 403, ADMIN_X: 303}
OFFERS_PAGE_POSTS = {
    # Form posts of the staff's pages: only a planner of the offer's centre; after the
    # change the browser is sent back to the page (303).
    "/tilbud/{offer_id}/status": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 303, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403,
    },
    # the participant list: search and "Vis" answer the offer page (booking is not set up here, so
    # the page says the list cannot be fetched); the Excel file then answers 409 (not set up)
    "/tilbud/{offer_id}/deltagere": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 200, PLANNER_Y: 404, READER_X: 200, ADMIN_X: 200,
    },
    "/kalenderkonflikter/{unknown_id}/haandteret": {  # no such conflict; only those who write calendars get so far
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 404, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403,
    },
    "/tilbud/{offer_id}/rediger": {  # an edit's draft (V-6), the planner's own
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 303, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403,
    },
    "/tilbud/kladde/{unknown_id}/trin/1": PLANNERS_DRAFT,
    "/tilbud/kladde/{unknown_id}/gem": PLANNERS_DRAFT,
    "/tilbud/kladde/{unknown_id}/slet": PLANNERS_DRAFT,
    # a new draft (the planners' own; X's planner last, so the table above is not disturbed)
    "/tilbud/ny": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 303, PLANNER_Y: 303, READER_X: 403, ADMIN_X: 403,
    },
    # the job centre's closing days: its administrators only (no day given: 422; no such day: 404)
    "/jobcentre/{job_centre_id}/lukkedage": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/{job_centre_id}/lukkedage/2030-01-02/fjern": CENTRE_ADMINS | {ADMIN_X: 404},
    "/jobcentre/{job_centre_id}/faste-lukkedage": CENTRE_ADMINS,
    "/jobcentre/{job_centre_id}/varianter": CENTRE_ADMINS | {ADMIN_X: 422},  # no type given
    "/jobcentre/{job_centre_id}/varianter/{unknown_id}/fjern": CENTRE_ADMINS | {ADMIN_X: 404},
    # teams, rooms and an advisor's forms: its administrators only (an empty form: 422; no such exception: 404)
    "/jobcentre/{job_centre_id}/teams/nyt": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/team/{team_id}": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/{job_centre_id}/lokaler/nyt": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/lokale/{room_id}": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/{job_centre_id}/vejledere/ny": CENTRE_ADMINS | {ADMIN_X: 422},  # no name given
    "/jobcentre/nyt": CENTRE_ADMINS | {ADMIN_X: 422},  # no code given
    "/jobcentre/vejleder/{advisor_id}/oplysninger": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/vejleder/{advisor_id}/kalender": CENTRE_ADMINS | {ADMIN_X: 422},  # a password without an address
    "/jobcentre/vejleder/{advisor_id}/undtagelser": CENTRE_ADMINS | {ADMIN_X: 422},
    "/jobcentre/vejleder/{advisor_id}/undtagelser/2030-01-02/fjern": CENTRE_ADMINS | {ADMIN_X: 404},
    "/jobcentre/vejleder/{advisor_id}/arbejdstid": CENTRE_ADMINS,  # no hours given: the advisor works no day
    # "Læs kalenderen nu": those who write calendars (planners), as POST .../sync
    "/jobcentre/vejleder/{advisor_id}/synk": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 303, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403,
    },
    # "Gem som skabelon" (no name given: 422) and removing one (no such template: 404): the centre's planners
    "/tilbud/{offer_id}/skabelon": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 422, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403,
    },
    "/tilbud/skabeloner/{unknown_id}/slet": PLANNERS_DRAFT,
    "/tilbud/{offer_id}/moeder/nyt": STAFF_PAGE | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    "/tilbud/{offer_id}/moeder/{unknown_id}": STAFF_PAGE
    | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    "/tilbud/{offer_id}/moeder/{unknown_id}/aflys": STAFF_PAGE
    | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    # a meeting's "Vis" (a CPR number) and "Tilføj borger": its centre's planners, as the meeting's page
    "/tilbud/{offer_id}/moeder/{unknown_id}/deltagere": STAFF_PAGE
    | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    "/tilbud/{offer_id}/moeder/{unknown_id}/borgere": STAFF_PAGE
    | {PLANNER_X: 409, PLANNER_Y: 404, READER_X: 403, ADMIN_X: 403},
    # a meeting's Excel file: those who read participants at the centre, as the offer's (an individual offer: 409)
    "/tilbud/{offer_id}/moeder/{unknown_id}/deltagere.xlsx": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 409, PLANNER_Y: 404, READER_X: 409, ADMIN_X: 409,
    },
    # replacing a reference list: administrators of every job centre only (nobody here)
    "/referencelister/contact_groups": CENTRE_ADMINS | {ADMIN_X: 403},
    # adding, renaming or retiring a conversation type: the same
    "/samtaletyper": CENTRE_ADMINS | {ADMIN_X: 403},
    "/samtaletyper/7": CENTRE_ADMINS | {ADMIN_X: 403},
    "/tilbud/{offer_id}/deltagere.xlsx": {
        ANON: 302, CITIZEN_A: 403, CITIZEN_B: 403, PLANNER_X: 409, PLANNER_Y: 404, READER_X: 409, ADMIN_X: 409,
    },
}  # fmt: skip
OTHER_ROUTES = {
    # Not operations of the OpenAPI documents, and public by design.
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/docs/assets/<path:filename>",
    "/static/<path:filename>",
    "/login",  # the login pages: public by design (tests/auth/test_login_routes.py)
    "/login/callback",
    "/logout",
    "/",  # the start page and the accessibility statement (tests/pages)
    "/tilgaengelighed",
    "/sprog",  # the language link in every page's header (tests/pages/test_english.py)
    "/assets/pages/<path:filename>",
    "/mine-moedetilbud",  # the citizen's pages: BOOKING_PAGES
    "/mine-moedetilbud/<uuid:offer_id>/tider",
    "/mine-moedetilbud/<uuid:offer_id>/moeder",  # its POST: tests/pages/test_citizen_group_meetings.py
    # the waiting list's forms (POST only): tests/pages/test_citizen_waiting_list.py
    "/mine-moedetilbud/<uuid:offer_id>/venteliste",
    "/mine-moedetilbud/<uuid:offer_id>/venteliste/<uuid:entry_id>/tag-pladsen",
    "/mine-moedetilbud/<uuid:offer_id>/venteliste/<uuid:entry_id>/forlad",
    "/mine-moedetilbud/reservation/<uuid:hold_id>",  # GET here; its POST "Book mødet": tests/pages
    "/mine-moedetilbud/reservation/<uuid:hold_id>/frigiv",  # form POSTs: tests/pages/test_citizen_changes_pages
    "/mine-moedetilbud/aftaler",
    "/mine-moedetilbud/aftaler/<uuid:booking_id>/aflys",
    "/mine-moedetilbud/kvittering/<uuid:booking_id>",
    "/mine-moedetilbud/kvittering/<uuid:booking_id>/moede.ics",
    "/tilbud",  # the staff's pages: OFFERS_PAGES and OFFERS_PAGE_POSTS
    "/tilbud/<uuid:offer_id>",
    "/tilbud/<uuid:offer_id>/status",
    "/tilbud/<uuid:offer_id>/deltagere",
    "/tilbud/<uuid:offer_id>/deltagere.xlsx",
    "/tilbud/ny",
    "/tilbud/<uuid:offer_id>/rediger",
    "/tilbud/skabeloner",
    "/referencelister",
    "/referencelister/<kind>",
    "/samtaletyper",
    "/samtaletyper/<int:code>",
    "/tilbud/<uuid:offer_id>/moeder/nyt",
    "/tilbud/<uuid:offer_id>/moeder/<uuid:meeting_id>",
    "/tilbud/<uuid:offer_id>/moeder/<uuid:meeting_id>/aflys",
    "/tilbud/<uuid:offer_id>/moeder/<uuid:meeting_id>/deltagere",
    "/tilbud/<uuid:offer_id>/moeder/<uuid:meeting_id>/deltagere.xlsx",
    "/tilbud/<uuid:offer_id>/moeder/<uuid:meeting_id>/borgere",
    "/tilbud/<uuid:offer_id>/skabelon",
    "/tilbud/skabeloner/<uuid:template_id>/slet",
    "/kalenderkonflikter",
    "/kalenderkonflikter/<uuid:booking_id>/haandteret",
    "/tilbud/kladde/<uuid:draft_id>/trin/<int:number>",
    "/tilbud/kladde/<uuid:draft_id>/gem",
    "/tilbud/kladde/<uuid:draft_id>/slet",
    "/jobcentre",
    "/jobcentre/<uuid:job_centre_id>",
    "/jobcentre/<uuid:job_centre_id>/lukkedage",
    "/jobcentre/<uuid:job_centre_id>/lukkedage/<day>/fjern",
    "/jobcentre/<uuid:job_centre_id>/faste-lukkedage",
    "/jobcentre/<uuid:job_centre_id>/varianter",
    "/jobcentre/<uuid:job_centre_id>/varianter/<uuid:variant_id>/fjern",
    "/jobcentre/<uuid:job_centre_id>/teams/nyt",
    "/jobcentre/team/<uuid:team_id>",
    "/jobcentre/<uuid:job_centre_id>/lokaler/nyt",
    "/jobcentre/lokale/<uuid:room_id>",
    "/jobcentre/vejleder/<uuid:advisor_id>",
    "/jobcentre/<uuid:job_centre_id>/vejledere/ny",
    "/jobcentre/nyt",
    "/jobcentre/vejleder/<uuid:advisor_id>/oplysninger",
    "/jobcentre/vejleder/<uuid:advisor_id>/kalender",
    "/jobcentre/vejleder/<uuid:advisor_id>/arbejdstid",
    "/jobcentre/vejleder/<uuid:advisor_id>/undtagelser",
    "/jobcentre/vejleder/<uuid:advisor_id>/undtagelser/<day>/fjern",
    "/jobcentre/vejleder/<uuid:advisor_id>/synk",
}


@dataclass
class Fixture:
    """Both services with centre X's resources, and every identity's credentials."""

    offers: APIFlask
    booking: BookingService
    ids: dict[str, Any]
    headers: dict[str, dict[str, str]]

    def state(self) -> dict[str, str]:
        """A digest of every row of both services' tables, but the logs of access itself."""
        digests = {}
        for app in (self.offers, self.booking.app):
            db: Database = app.extensions["planner"].db
            with db.engine.connect() as connection:
                tables = connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL(:skip)"),
                    {"skip": list(ACCESS_TABLES)},
                ).scalars()
                for table in tables:
                    query = f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
                    digests[f"{db.engine.url.database}.{table}"] = connection.execute(text(query)).scalar_one()
        return digests

    def client(self, service: str) -> FlaskClient:
        app = self.offers if service == "offers" else self.booking.app
        return FlaskClient(app)  # no default credential: each call says who it is


def _settings(oidc_provider: EmbeddedOidcProvider) -> dict[str, Any]:
    return {
        "citizen_oidc_issuer": oidc_provider.issuer,
        "citizen_oidc_client_id": CITIZENS_CLIENT,
        "citizen_oidc_cpr_claim": CPR_CLAIM,
        "staff_oidc_issuer": oidc_provider.issuer,
        "staff_oidc_client_id": STAFF_CLIENT,
        "staff_group_roles": GROUP_ROLES,
        "token_audience": API_AUDIENCE,
    }


@pytest.fixture
def world(
    oidc_provider: EmbeddedOidcProvider,
    create_database: Callable[[str], str],
    secret_keys: str,
) -> Iterator[Fixture]:
    offers_url, booking_url = create_database("matrix_offers"), create_database("matrix_booking")
    migrate_offers(offers_url)
    migrate_booking(booking_url)
    offers = build_app(offers_url, secret_keys, **_settings(oidc_provider))
    api = Api(offers.test_client())
    centre_x, centre_y = api.centre(code=X), api.centre(code=Y)
    team = api.team(centre_x)
    room = api.room(centre_x)
    template = api.post("/offer-templates", {"job_centre_id": centre_x["id"], "name": "Skabelon", "fields": {}})
    variant = api.post(
        f"/job-centres/{centre_x['id']}/conversation-variants", {"conversation_type": 7, "name": "Opstart"}
    )
    advisor = api.advisor(centre_x, team)
    api.advisor(centre_y, api.team(centre_y), email="bo@example.org")
    offer = api.offer(team, [advisor])

    booking = build_service(booking_url, known_citizens=False, **_settings(oidc_provider))
    booking.add_citizens(1, 2)
    published = booking.publish_offer(job_centre_code=X, advisor_ids=[advisor["id"]])
    starts = daily_starts(TODAY + timedelta(days=2), 3, [(9, 0), (10, 0), (11, 0), (13, 0)])
    booking.compute(str(published.offer_id), {advisor["id"]: starts})
    booked = booking.book(str(published.offer_id), at(TODAY + timedelta(days=2), 9), n=1)
    assert booked.status_code == 201, booked.get_json()
    entry_id = _waiting_list_entry(booking, advisor["id"])

    headers: dict[str, dict[str, str]] = {ANON: {}}
    for who, claims in USERS.items():
        sub = f"matrix-{who.replace(' ', '-')}-{uuid.uuid4().hex[:6]}"
        oidc_provider.put_user(sub, claims)
        client_id = CITIZENS_CLIENT if who.startswith("citizen") else STAFF_CLIENT
        headers[who] = Logins(oidc_provider, client_id).headers(sub)
    ids = {
        "job_centre_id": centre_x["id"],
        "day": (today() + timedelta(days=40)).isoformat(),  # the closing day the matrix's POST adds
        "advisor_id": advisor["id"],
        "offer_id": offer["id"],
        "booking_offer_id": str(published.offer_id),
        "booking_id": booked.get_json()["id"],
        "kind": "contact_groups",
        "code": 7,
        "meeting_id": str(uuid.uuid4()),
        "offer_body": api.offer_body(team, [advisor], name="Nyt tilbud"),
        "team_id": team["id"],
        "room_id": room["id"],
        "variant_id": variant["id"],
        "template_id": template["id"],
        "start": at(TODAY + timedelta(days=3), 10).isoformat(),
        "rebook_start": at(TODAY + timedelta(days=3), 11).isoformat(),
        "entry_id": entry_id,
    }
    yield Fixture(offers, booking, ids, headers)
    booking.context.close()
    offers.extensions["planner"].close()


def _waiting_list_entry(booking: BookingService, advisor_id: str) -> str:
    """Citizen A on the waiting list of X's group meeting, whose one seat citizen B has."""
    day = TODAY + timedelta(days=5)
    meeting = ev.GroupMeetingPayload(meeting_id=str(uuid.uuid4()), start=at(day, 10), end=at(day, 11), seats=1,
                                     extra_seats=0)  # fmt: skip
    group = booking.publish_offer(
        job_centre_code=X, advisor_ids=[advisor_id], meeting_form="group", start_minutes=[],
        citizen_may_choose_advisor=False, duration_minutes=60, meetings=[meeting],
    )  # fmt: skip
    path = f"/api/v1/offers/{group.offer_id}/meetings/{meeting.meeting_id}"
    taken = booking.client().post(f"{path}/seats", json={"citizen": {"cpr": fictitious_cpr(2)}})
    assert taken.status_code == 201, taken.get_json()
    entry = booking.client().post(
        f"{path}/waiting-list", json={"citizen": {"cpr": fictitious_cpr(1)}, "email": "a@example.org"}
    )
    assert entry.status_code == 201, entry.get_json()
    return str(entry.get_json()["id"])


def request_for(service: str, operation: str, ids: dict[str, Any], who: str) -> tuple[str, dict[str, Any]]:
    """The path and the request arguments (body, query) that call ``operation`` on X's resources."""
    template = operation.partition(" ")[2]
    names = dict(ids)
    if service == "booking":
        names["offer_id"] = ids["booking_offer_id"]
    path = template.format(**names)
    staff_for_citizen = who not in (CITIZEN_A, CITIZEN_B)
    citizen = {"citizen": {"cpr": fictitious_cpr(1)}} if staff_for_citizen else {}
    bodies: dict[str, Any] = {
        "POST /api/v1/job-centres": {"code": X, "name": "Jobcenter X"},  # taken: 409 when allowed
        "PATCH /api/v1/job-centres/{job_centre_id}": {"closed_optional_days": []},
        "POST /api/v1/job-centres/{job_centre_id}/closing-days": {"day": (today() + timedelta(days=40)).isoformat()},
        "POST /api/v1/teams": {"job_centre_id": ids["job_centre_id"], "name": "Team Nord", "phone": "70000002"},
        "PATCH /api/v1/teams/{team_id}": {"phone": "70000005"},
        "POST /api/v1/job-centres/{job_centre_id}/conversation-variants": {"conversation_type": 9, "name": "Ny"},
        "POST /api/v1/offer-templates": {"job_centre_id": ids["job_centre_id"], "name": "Skabelon", "fields": {}},
        "PATCH /api/v1/rooms/{room_id}": {"capacity": 5},
        "POST /api/v1/rooms": {
            "job_centre_id": ids["job_centre_id"],
            "name": "Lokale 2",
            "address": "Torvet 2",
            "capacity": 4,
        },
        "POST /api/v1/advisors": {
            "job_centre_id": ids["job_centre_id"],
            "name": "Ny Vejleder",
            "email": "ny@example.org",
            "phone": "70000003",
            "team_ids": [],
            "working_hours": WEEKDAYS,
            "caldav_url": "https://cal.example.org/ny/arbejde/",
            "caldav_username": "ny",
            "caldav_password": "ny-secret",
        },
        "PATCH /api/v1/advisors/{advisor_id}": {"phone": "70000004"},
        "POST /api/v1/advisors/{advisor_id}/sync": {},
        "POST /api/v1/offers": ids["offer_body"],
        "PATCH /api/v1/offers/{offer_id}": {"description": "Ændret."},
        "POST /api/v1/offers/{offer_id}/explain": {"citizen": {"cpr": fictitious_cpr(1)}},
        "PUT /api/v1/reference-lists/{kind}": {"values": ["Dagpengemodtager"]},
        "PUT /api/v1/conversation-types/{code}": {"name": "Jobsamtale om job"},
        "POST /api/v1/offers/{offer_id}/meetings": {"start": at(TODAY + timedelta(days=3), 10).isoformat()},
        "PATCH /api/v1/offers/{offer_id}/meetings/{meeting_id}": {"seats": 5},
        "POST /api/v1/eligible-offers": citizen,
        "POST /api/v1/offers/{offer_id}/times": citizen,
        "POST /api/v1/bookings": {"offer_id": ids["booking_offer_id"], "start": ids["start"], **citizen},
        "POST /api/v1/bookings/lookup": {"booking_ids": [ids["booking_id"]]},
        "POST /api/v1/offers/{offer_id}/meetings/{meeting_id}/seats": citizen,
        "POST /api/v1/offers/{offer_id}/meetings/{meeting_id}/waiting-list": {"email": "a@example.org", **citizen},
        "POST /api/v1/waiting-list/{entry_id}/take": citizen,
        "POST /api/v1/waiting-list/{entry_id}/leave": citizen,
        "POST /api/v1/bookings/{booking_id}/rebook-seat": {"meeting_id": ids["meeting_id"], **citizen},
        "POST /api/v1/bookings/{booking_id}/cancel": citizen,
        "POST /api/v1/bookings/{booking_id}/rebook": {"start": ids["rebook_start"], **citizen},
        "POST /api/v1/citizens": [{"cpr": fictitious_cpr(3), "name": "Borger C", "contact_group": "Dagpengemodtager"}],
        "POST /api/v1/access-log/search": {"citizen": {"cpr": fictitious_cpr(1)}},
    }
    queries: dict[str, dict[str, Any]] = {
        "GET /api/v1/group-meeting-times": {
            "advisor_id": ids["advisor_id"],
            "first_date": (today() + timedelta(days=2)).isoformat(),
            "last_date": (today() + timedelta(days=3)).isoformat(),
            "duration_minutes": 60,
        },
    }
    arguments: dict[str, Any] = {}
    if operation in bodies or (service, operation) in (("booking", "POST /api/v1/offers/{offer_id}/times"),):
        arguments["json"] = bodies.get(operation, citizen)
    if operation in queries:
        arguments["query_string"] = queries[operation]
    return path, arguments


def outcome(status: int) -> object:
    """The access decision an answer shows: 422 is a body naming another centre's row, which
    is answered as if it did not exist (every allowed call below sends a valid body)."""
    return status if status in (401, 403, 404, 422) else OK


def operations(spec: dict[str, Any]) -> set[str]:
    methods = ("get", "post", "put", "patch", "delete")
    return {f"{m.upper()} {path}" for path, item in spec["paths"].items() for m in item if m in methods}


def test_every_route_answers_each_identity_as_the_table_says(world: Fixture) -> None:
    wrong: list[str] = []
    for service, table in EXPECTED.items():
        client = world.client(service)
        documented = operations(client.get("/openapi.json").get_json())
        assert documented == set(table), f"{service}: add new operations to EXPECTED, remove old ones"
        app = world.offers if service == "offers" else world.booking.app
        routes = {rule.rule for rule in app.url_map.iter_rules()}
        documented_paths = {op.partition(" ")[2].replace("{", "<").replace("}", ">") for op in table}
        undocumented = {r for r in routes if _template(r) not in documented_paths} - OTHER_ROUTES
        assert not undocumented, f"{service}: routes outside the OpenAPI document: {sorted(undocumented)}"
        for operation, row in table.items():
            for who in IDENTITIES:
                path, arguments = request_for(service, operation, world.ids, who)
                method = operation.partition(" ")[0].lower()
                before = world.state() if row[who] != OK else None
                response = getattr(client, method)(path, headers=world.headers[who], **arguments)
                got = outcome(response.status_code)
                if got == OK and response.status_code >= 400 and response.status_code != 409:
                    wrong.append(f"{service} {operation} as {who}: allowed, but {response.status_code}")
                if got != row[who]:
                    wrong.append(f"{service} {operation} as {who}: {got} ({response.status_code}), table: {row[who]}")
                elif before is not None and world.state() != before:
                    wrong.append(f"{service} {operation} as {who}: refused ({got}) but changed data")
        for path, status in PAGES.items():
            for who in IDENTITIES:
                got_status = client.get(path, headers=world.headers[who]).status_code
                if got_status != status:
                    wrong.append(f"{service} page {path} as {who}: {got_status}, expected {status}")
    for template, statuses in BOOKING_PAGES.items():
        free = at(TODAY + timedelta(days=4), 13).isoformat()  # a time no operation above books
        path = template.format(**{**world.ids, "start": quote(free)})
        for who in IDENTITIES:
            got_status = world.client("booking").get(path, headers=world.headers[who]).status_code
            if got_status != statuses[who]:
                wrong.append(f"booking page {path} as {who}: {got_status}, expected {statuses[who]}")
    unknown = {"unknown_id": "6f1c1f7e-0000-4000-8000-000000000000"}
    for template, statuses in OFFERS_PAGES.items():
        path = template.format(**world.ids, **unknown)
        for who in IDENTITIES:
            got_status = world.client("offers").get(path, headers=world.headers[who]).status_code
            if got_status != statuses[who]:
                wrong.append(f"offers page {path} as {who}: {got_status}, expected {statuses[who]}")
    for template, statuses in OFFERS_PAGE_POSTS.items():
        path = template.format(**world.ids, **unknown)
        for who in IDENTITIES:
            before = world.state() if statuses[who] not in (200, 303) else None
            got_status = world.client("offers").post(path, headers=world.headers[who], data={"active": "true"})
            if got_status.status_code != statuses[who]:
                wrong.append(f"offers form {path} as {who}: {got_status.status_code}, expected {statuses[who]}")
            elif before is not None and world.state() != before:
                wrong.append(f"offers form {path} as {who}: refused but changed data")
    assert not wrong, "\n".join(wrong)


def _template(rule: str) -> str:
    """``/api/v1/offers/<uuid:offer_id>`` -> ``/api/v1/offers/<offer_id>``."""
    out, rest = [], rule
    while "<" in rest:
        head, _, tail = rest.partition("<")
        variable, _, rest = tail.partition(">")
        out.append(f"{head}<{variable.rpartition(':')[2]}>")
    return "".join(out) + rest
