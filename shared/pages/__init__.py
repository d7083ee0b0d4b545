"""The pages both services serve the same way: the start page after logging in and the
accessibility statement, on one small base layout (``../shared/UI.md``: Danish, WCAG 2.1 AA,
server-rendered, no JavaScript). The citizen and staff sites grow from here.

The start page says who is logged in (a citizen by "MitID", never their CPR number; a staff
member by name and roles per job centre), and has "Log ind" or "Log af" (a form POST with the
session's CSRF token), so a person who has just logged in lands somewhere that makes sense.

Danish first, English second (Flask-Babel, the catalogue of ``shared.i18n``): the header of
every page links the other language ("English" / "Dansk"), ``/sprog?til=en&next=/path``,
which keeps the choice in the ``planner_lang`` cookie for a year. Without the cookie a page
is Danish; with ``LANGUAGE_FROM_BROWSER`` on, the browser's Accept-Language decides
between Danish and English first (off by default: see ``select_locale``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, has_request_context, redirect, render_template, request
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup, escape

from shared import i18n
from shared.auth.principal import Citizen, Principal, Role
from shared.auth.web import current_principal, public

HERE = Path(__file__).parent
ROLE_NAMES = {
    Role.ADMINISTRATOR: i18n.N_("administrator i %(centre)s"),
    Role.PLANNER: i18n.N_("planlægger i %(centre)s"),
    Role.READER: i18n.N_("læser i %(centre)s"),
}
LANGUAGE_COOKIE = "planner_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
FROM_BROWSER = "LANGUAGE_FROM_BROWSER"
LANGUAGE_LINKS = {i18n.DANISH: (i18n.ENGLISH, "English"), i18n.ENGLISH: (i18n.DANISH, "Dansk")}
"""The header's link on a page in each language: the other language, in its own words."""


def select_locale() -> str:
    """The page's language: the ``planner_lang`` cookie if it says ``da`` or ``en``; else,
    when the app's ``LANGUAGE_FROM_BROWSER`` is on, the browser's Accept-Language
    best match among them; else Danish. (Off by default: Playwright's Chromium, which the
    Danish page tests drive, always asks for en-US.)"""
    if not has_request_context():
        return i18n.DANISH
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in i18n.LOCALES:
        return chosen
    if current_app.config.get(FROM_BROWSER):
        return request.accept_languages.best_match(i18n.LOCALES) or i18n.DANISH
    return i18n.DANISH


def page_locale() -> str:
    """``da`` or ``en``: the language of the page being built (Danish outside a request)."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None and str(locale) in i18n.LOCALES else i18n.DANISH


def page_text(message: str) -> str:
    """One of our Danish messages (an error's ``detail``) in the page's language; a text the
    catalogue lacks stays Danish, marked ``lang="da"`` for screen readers."""
    locale = page_locale()
    if i18n.is_translated(message, locale):
        return i18n.translate(message, locale)
    return Markup('<span lang="da">%s</span>') % escape(str(message))


def who(principal: Principal | None) -> dict[str, Any] | None:
    """What the header and the start page say about the person logged in."""
    if principal is None:
        return None
    if isinstance(principal, Citizen):
        return {"name": gettext("Du er logget ind med MitID"), "roles": []}
    roles = [
        gettext(ROLE_NAMES[grant.role], centre=gettext("alle jobcentre") if grant.job_centre_code == "*"
                else grant.job_centre_code)
        for grant in sorted(principal.grants)
    ]  # fmt: skip
    return {"name": principal.name, "roles": roles}


def _here() -> str:
    """The page to come back to after choosing a language (GET: with its query)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.path


PAGES = "planner.pages"


def render_page(template: str, status: int = 200, *, here: str | None = None, **values: Any) -> Response:
    """``template`` on the base layout, with the site's name, the person logged in and the
    link to the other language (back to ``here``, by default this page)."""
    site = dict(current_app.extensions[PAGES])
    site["site"] = gettext(site["site"])
    locale = page_locale()
    other, other_name = LANGUAGE_LINKS[locale]
    language = {"lang": locale, "other_lang": other, "other_lang_name": other_name, "lang_next": here or _here()}
    body = render_template(template, person=who(current_principal()), **site, **language, **values)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.update(("Cookie", "Accept-Language"))
    return response


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

    @bp.get("/sprog")
    @public
    def language() -> Response:
        """Choose the pages' language (``til``: ``da`` or ``en``), then back to ``next``
        when it is a path on this site (else the start page). GET: it only sets a preference."""
        from shared.auth.login_routes import safe_return_path  # that module renders our pages

        response = redirect(safe_return_path(request.args.get("next")) or "/", 303)
        chosen = request.args.get("til")
        if chosen in i18n.LOCALES:
            secure = current_app.extensions["planner"].settings.cookie_secure
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_AGE, path="/", secure=secure, httponly=True,
                samesite="Lax",
            )  # fmt: skip
        response.headers["Cache-Control"] = "no-store"
        return response

    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DANISH)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.CATALOGUE))
    app.config.setdefault(FROM_BROWSER, False)
    Babel(app, locale_selector=select_locale)
    app.extensions[PAGES] = {"site": site, "audience": audience, "login": login}
    app.register_blueprint(bp)
