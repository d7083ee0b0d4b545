"""What every staff page shares (issue 13): a blueprint per feature package with the same
error pages, the wide layout, and the shared templates (``templates/staff``: the problem page,
sortable table headers, pagination, the error summary).

Pages are server-rendered, Danish first, and work without JavaScript. They call the same
queries and operations as the JSON API; a route only parses, checks access, calls and
renders. Anonymous visitors are sent to ``/login?next=...``; refusals and errors are pages
(never problem documents) in the page's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, redirect, request
from flask_babel import gettext, lazy_gettext

from services.offers.validation import LABELS, REQUIRED
from shared.auth.access import Action
from shared.auth.web import current_principal, job_centres_allowed
from shared.errors import DatabaseUnavailable, PlannerError, Unauthenticated, ValidationFailed
from shared.pages import page_text, render_page
from shared.web import DATABASE_ERRORS, database_unavailable

HERE = Path(__file__).parent
PROBLEM_TITLES = {
    403: lazy_gettext("Du har ikke adgang til siden"),
    404: lazy_gettext("Siden findes ikke"),
    409: lazy_gettext("Det kunne ikke lade sig gøre"),
    429: lazy_gettext("Vent lidt, og prøv igen"),
}
FAILED = lazy_gettext("Det lykkedes ikke")


def staff_page(template: str, status: int = 200, **values: Any) -> Response:
    """``template`` on the base layout, wide enough for the staff's tables; never kept by a
    browser or proxy cache (the pages show citizens' data)."""
    page = render_page(template, status, wide=True, **values)
    page.headers["Cache-Control"] = "no-store"
    return page


def field_errors(exc: ValidationFailed, field: str) -> dict[str, list[str]]:
    """An operation's field problems in the page's language; one without fields (the whole
    body) at ``field``. A required field is named ("Navn skal udfyldes."), so the error
    summary says which field it means."""
    found = exc.extra.get("errors", {})
    return {name: [_message(name, m) for m in messages] for name, messages in found.items()} or {
        field: [page_text(exc.detail)]
    }


def _message(field: str, message: str) -> str:
    if message == REQUIRED and field in LABELS:
        return gettext("%(field)s skal udfyldes.", field=gettext(LABELS[field]))
    return page_text(message)


def error_links(errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The error summary's links: each field's first message, to the field."""
    return [(f"#{field}", messages[0]) for field, messages in errors.items()]


def _log_in_first(exc: Unauthenticated) -> Response:
    """Anonymous (or an expired session): log in, then come back to this page."""
    path = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect("/login?" + urlencode({"next": path}), 302)  # type: ignore[return-value]


def _problem_page(exc: PlannerError) -> Response:
    """A refusal or error as a page, in the page's language."""
    title = PROBLEM_TITLES.get(exc.status, FAILED)
    page = staff_page("staff/problem.html", status=exc.status, title=title, detail=page_text(exc.detail))
    if isinstance(exc, DatabaseUnavailable):
        page.headers["Retry-After"] = str(exc.retry_after)
    return page


def may_create_offers() -> bool:
    """Whether the person may create offers at some job centre."""
    return current_principal() is not None and job_centres_allowed(Action.WRITE_OFFERS) != frozenset()


def staff_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of staff pages whose templates are its package's ``templates`` folder,
    with the staff's login redirect and error pages."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix, template_folder="templates")
    bp.register_error_handler(Unauthenticated, _log_in_first)
    bp.register_error_handler(PlannerError, _problem_page)
    for error in DATABASE_ERRORS:
        bp.register_error_handler(error, lambda exc: _problem_page(database_unavailable(exc)))
    return bp


def install_staff_site(app: Flask) -> None:
    """The staff pages of every feature package, and the templates they share."""
    from services.offers.admin.advisor_pages import bp as advisor_pages
    from services.offers.admin.conversation_type_pages import bp as conversation_type_pages
    from services.offers.admin.pages import bp as admin_pages
    from services.offers.admin.team_room_pages import bp as team_room_pages
    from services.offers.calendars.pages import bp as calendar_pages
    from services.offers.meetings.pages import bp as meeting_pages
    from services.offers.meetings.participant_pages import bp as meeting_participant_pages
    from services.offers.offers.pages import bp as offer_pages
    from services.offers.offers.template_pages import bp as template_pages
    from services.offers.participants.pages import bp as participant_pages
    from services.offers.rules.pages import bp as reference_pages
    from services.offers.wizard.pages import bp as wizard_pages

    app.register_blueprint(Blueprint("staff", __name__, template_folder=str(HERE / "templates")))
    app.register_blueprint(offer_pages)
    app.register_blueprint(template_pages)
    app.register_blueprint(participant_pages)
    app.register_blueprint(wizard_pages)
    app.register_blueprint(calendar_pages)
    app.register_blueprint(admin_pages)
    app.register_blueprint(team_room_pages)
    app.register_blueprint(advisor_pages)
    app.register_blueprint(reference_pages)
    app.register_blueprint(conversation_type_pages)
    app.register_blueprint(meeting_pages)
    app.register_blueprint(meeting_participant_pages)

    @app.context_processor
    def _staff_menu() -> dict[str, Any]:
        """The header's menu shows "Opret tilbud" to those who may create offers somewhere."""
        return {"may_create_offers": may_create_offers}
