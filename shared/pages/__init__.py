"""The pages both services serve the same way: the start page after logging in and the
accessibility statement, on one small base layout (``../shared/UI.md``: Danish, WCAG 2.1 AA,
server-rendered, no JavaScript). The citizen and staff sites grow from here.

The start page says who is logged in (a citizen by "MitID", never their CPR number; a staff
member by name and roles per job centre), and has "Log ind" or "Log af" (a form POST with the
session's CSRF token), so a person who has just logged in lands somewhere that makes sense.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template

from shared.auth.principal import Citizen, Principal, Role
from shared.auth.web import current_principal, public

HERE = Path(__file__).parent
ROLE_NAMES = {Role.ADMINISTRATOR: "administrator", Role.PLANNER: "planlægger", Role.READER: "læser"}


def who(principal: Principal | None) -> dict[str, Any] | None:
    """What the header and the start page say about the person logged in."""
    if principal is None:
        return None
    if isinstance(principal, Citizen):
        return {"name": "Du er logget ind med MitID", "roles": []}
    roles = [
        f"{ROLE_NAMES[grant.role]} i {'alle jobcentre' if grant.job_centre_code == '*' else grant.job_centre_code}"
        for grant in sorted(principal.grants)
    ]
    return {"name": principal.name, "roles": roles}


PAGES = "planner.pages"


def render_page(template: str, status: int = 200, **values: Any) -> Response:
    """``template`` on the base layout, with the site's name and the person logged in."""
    site = current_app.extensions[PAGES]
    body = render_template(template, person=who(current_principal()), **site, **values)
    return Response(body, status=status, mimetype="text/html")


def install_pages(app: Flask, *, site: str, audience: str, login: bool) -> None:
    """The start page (``/``) and ``/tilgaengelighed`` for ``site`` ("Booking af møder",
    "Mødetilbud for medarbejdere"); ``audience`` is "citizens" or "staff"; ``login`` says
    whether this service has a login configured."""
    bp = Blueprint(
        "pages", __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
        static_url_path="/assets/pages",
    )  # fmt: skip

    @bp.get("/")
    @public
    def start() -> Response:
        return render_page("pages/start.html")

    @bp.get("/tilgaengelighed")
    @public
    def accessibility() -> Response:
        return render_page("pages/accessibility.html")

    app.extensions[PAGES] = {"site": site, "audience": audience, "login": login}
    app.register_blueprint(bp)
