"""Who is calling, on every request of a Flask service, and the checks routes make.

- ``install_authentication`` runs before every request: it turns the request's credential
  into ``g.principal`` (``Authorization: Bearer plk_...`` an API key, ``Authorization:
  Bearer <JWT>`` an access token of a configured provider, else the server-side session of
  the session cookie) and refuses the request at once when the endpoint needs an identity
  that is not there (401) or one that can never do it (403). A credential that is given but
  not valid is refused with 401 even on a public route: the caller should know.
- Every endpoint is marked: ``@public`` (the public offer and time listings) or
  ``@requires(action, ...)`` (the actions the route may need). An endpoint that is neither
  is refused for everyone (fail closed); the authorisation matrix test finds it.
- Inside a route, ``authorize(action, job_centre_code)`` checks the resource's job centre:
  a staff member without any role there gets **404** (ids do not leak), one who may read
  it but not do this gets 403.
- The OpenAPI document says per operation which credential it takes and which actions
  (``x-planner-actions``), and documents 401 and 403.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from apiflask import APIFlask
from flask import current_app, g, request

from shared.audit import CITIZEN_SELF
from shared.auth.access import Action, job_centres_where, may
from shared.auth.api_keys import StoredApiKey, looks_like_api_key, parse_api_keys, verify_api_key
from shared.auth.clients import OidcClient, citizen_client, staff_client
from shared.auth.discovery import OidcProvider
from shared.auth.principal import EVERY_JOB_CENTRE, Citizen, Machine, Principal, StaffMember
from shared.auth.tokens import BearerAuthenticator
from shared.config import Settings
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.i18n import N_

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])

PUBLIC_MARK = "_planner_public"
ACTIONS_MARK = "_planner_actions"
ALWAYS_PUBLIC_ENDPOINTS = frozenset(
    {
        "openapi.spec",
        "openapi.docs",
        "openapi.redoc",
        "openapi.swagger_ui_oauth_redirect",
        "static",
        "healthz",
        "readyz",
        "docs_asset",
    }
)
"""Health, the OpenAPI documents and their assets answer anyone."""

SESSION_COOKIE = "planner_session"
LOG_IN = "Log ind for at fortsætte."
NOT_ALLOWED = N_("Du har ikke adgang til at gøre dette.")
NOT_CONFIGURED = "Denne adgang er ikke sat op på serveren."
NOT_FOUND = N_("Adressen findes ikke.")


def public(view: View) -> View:
    """Mark a route that answers without an identity (the public listings)."""
    setattr(view, PUBLIC_MARK, True)
    return view


def requires(*actions: Action) -> Callable[[View], View]:
    """Mark a route that needs an identity able to do one of ``actions`` somewhere.

    Put it directly above the function (below APIFlask's decorators): the mark is copied
    onto their wrappers. The job-centre scope is the route's own ``authorize`` call.
    """
    if not actions:
        raise ValueError("requires() needs at least one action")

    def mark(view: View) -> View:
        setattr(view, ACTIONS_MARK, frozenset(actions))
        return view

    return mark


def endpoint_actions(view: Callable[..., Any]) -> frozenset[Action] | None:
    """The actions a view is marked with, ``frozenset()`` for a public one, ``None`` unmarked."""
    if getattr(view, PUBLIC_MARK, False):
        return frozenset()
    return getattr(view, ACTIONS_MARK, None)


class Credential(StrEnum):
    """How the caller of a request proved who they are (``g.credential``)."""

    NONE = "none"
    API_KEY = "api key"
    BEARER_TOKEN = "bearer token"
    SESSION = "session"  # the session cookie: unsafe methods need the CSRF token too


class SessionPrincipals(Protocol):
    """Where the server-side sessions of browsers live (the service's database)."""

    def principal_for(self, cookie_value: str) -> Principal | None:
        """The principal logged in with this session cookie, or ``None`` (none, expired)."""


@dataclass
class Authenticator:
    """Credentials of one service -> principals (thread-safe; provider keys are cached)."""

    api_keys: Mapping[str, StoredApiKey] = field(default_factory=dict)
    bearer: BearerAuthenticator | None = None
    sessions: SessionPrincipals | None = None

    @classmethod
    def from_settings(cls, settings: Settings, sessions: SessionPrincipals | None = None) -> Authenticator:
        """API keys from ``PLANNER_API_KEYS``; bearer tokens of the citizens' and the staff
        provider when ``PLANNER_TOKEN_AUDIENCE`` is set."""
        providers: list[tuple[OidcClient, OidcProvider]] = []
        for client in (citizen_client(settings), staff_client(settings)):
            if client is not None:
                provider = OidcProvider(
                    client.issuer, timeout=settings.oidc_timeout_seconds, max_age=settings.oidc_keys_cache_seconds
                )
                providers.append((client, provider))
        bearer = BearerAuthenticator(providers, audience=settings.token_audience) if settings.token_audience else None
        return cls(api_keys=parse_api_keys(settings.api_keys), bearer=bearer, sessions=sessions)

    def authenticate(self, authorization: str | None, cookie: str | None) -> tuple[Principal | None, Credential]:
        """The caller (``None`` without a credential) and how they proved it;
        ``Unauthenticated`` for a credential that is not valid."""
        principal = self._principal(authorization, cookie)
        if principal is None:
            return None, Credential.NONE
        if authorization:
            return principal, Credential.API_KEY if isinstance(principal, Machine) else Credential.BEARER_TOKEN
        return principal, Credential.SESSION

    def _principal(self, authorization: str | None, cookie: str | None) -> Principal | None:
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            credential = credential.strip()
            if scheme.lower() != "bearer" or not credential:
                raise Unauthenticated(LOG_IN, reason="not a bearer credential", code="invalid_token")
            if looks_like_api_key(credential):
                machine = verify_api_key(credential, self.api_keys)
                if machine is None:
                    raise Unauthenticated(LOG_IN, reason="unknown API key", code="invalid_token")
                return machine
            if self.bearer is None:
                raise Unauthenticated(NOT_CONFIGURED, reason="bearer tokens are not configured", code="invalid_token")
            return self.bearer.authenticate(credential)
        if cookie and self.sessions is not None:
            return self.sessions.principal_for(cookie)
        return None


def current_principal() -> Principal | None:
    """The caller of this request (``None``: anonymous)."""
    return g.get("principal")


def current_credential() -> Credential:
    """How the caller of this request proved who they are."""
    return g.get("credential", Credential.NONE)


def require_principal() -> Principal:
    """The caller; ``Unauthenticated`` (401) when anonymous."""
    principal = current_principal()
    if principal is None:
        raise Unauthenticated(LOG_IN, reason="no credential")
    return principal


def current_citizen() -> Citizen | None:
    """The citizen calling about themself, or ``None`` (staff, machines, anonymous)."""
    principal = current_principal()
    return principal if isinstance(principal, Citizen) else None


def actor_id(principal: Principal) -> str:
    """Who did it, for the CPR access log and revision logs: a stable id, never a CPR number."""
    if isinstance(principal, Citizen):
        return CITIZEN_SELF
    if isinstance(principal, StaffMember):
        return f"staff:{principal.user_id}"
    return f"machine:{principal.client_id}"


def current_actor() -> str:
    """``actor_id`` of this request's caller (401 when anonymous)."""
    return actor_id(require_principal())


def actor_name(principal: Principal) -> str:
    """Who did it, as a revision log shows it to staff: a staff member's or system's name
    (a citizen is "borger", never a CPR number)."""
    if isinstance(principal, Citizen):
        return "borger"
    return principal.name


def current_actor_name() -> str:
    """``actor_name`` of this request's caller (401 when anonymous)."""
    return actor_name(require_principal())


def current_route() -> str:
    """The request's route as written in the code (``/api/v1/offers/<uuid:offer_id>/explain``),
    for the CPR access log: never the path itself, which could carry what a caller typed."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"


def authorize(action: Action, job_centre_code: str | None, not_found: str = NOT_FOUND) -> Principal:
    """The caller, if they may do ``action`` at ``job_centre_code``.

    Anonymous: 401. A staff member or machine without any role at that centre (or a
    citizen): 404 with ``not_found``, the message of an unknown id, as if the resource did
    not exist. A role there without this action: 403.
    """
    principal = require_principal()
    if may(principal, action, job_centre_code):
        return principal
    if isinstance(principal, Citizen) or job_centre_code is None or not principal.roles_at(job_centre_code):
        raise NotFound(not_found)
    raise Forbidden(NOT_ALLOWED, code="not_allowed")


def authorize_everywhere(action: Action) -> Principal:
    """The caller, if they may do ``action`` at every job centre (lists that belong to no one
    centre: the reference lists, the citizen profiles). Otherwise 403."""
    principal = require_principal()
    if isinstance(principal, Citizen) or EVERY_JOB_CENTRE not in job_centres_where(principal, action):
        raise Forbidden(NOT_ALLOWED, code="not_allowed")
    return principal


def job_centres_allowed(action: Action) -> frozenset[str] | None:
    """The centre codes whose resources the caller may ``action``; ``None``: every centre."""
    centres = job_centres_where(require_principal(), action)
    return None if EVERY_JOB_CENTRE in centres else centres


def may_at(action: Action, job_centre_code: str) -> bool:
    """Whether the caller may ``action`` at the centre ``job_centre_code`` (a page shows a
    form only to those who may send it)."""
    allowed = job_centres_allowed(action)
    return allowed is None or job_centre_code in allowed


def may_somewhere(principal: Principal, actions: Iterable[Action]) -> bool:
    """Whether ``principal`` could do one of ``actions`` at some job centre (or as a citizen)."""
    if isinstance(principal, Citizen):
        return any(may(principal, action) for action in actions)
    return any(job_centres_where(principal, action) for action in actions)


def install_authentication(app: APIFlask, authenticator: Authenticator) -> None:
    """Authenticate every request and apply each endpoint's mark (see the module)."""
    app.extensions["planner.authenticator"] = authenticator

    @app.before_request
    def _authenticate() -> None:
        g.principal, g.credential = authenticator.authenticate(
            request.headers.get("Authorization"), request.cookies.get(SESSION_COOKIE)
        )
        endpoint = request.endpoint
        if endpoint is None:  # 404 or 405 from routing: nothing to protect
            return
        if endpoint in ALWAYS_PUBLIC_ENDPOINTS or endpoint.endswith(".static"):  # blueprints' own assets
            return
        actions = endpoint_actions(current_app.view_functions[endpoint])
        if actions is None:
            log.error("endpoint %s has no access mark; refused", endpoint)
            raise Forbidden(NOT_ALLOWED, code="not_allowed")
        if not actions:
            return
        principal = require_principal()
        if not may_somewhere(principal, actions):
            raise Forbidden(NOT_ALLOWED, code="not_allowed")


BEARER_SCHEME = "bearer"
SESSION_SCHEME = "session"
SECURITY_SCHEMES = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token (JWT) of the citizens' or the staff identity provider, or an API key "
        "(plk_...) that IT created with `planner apikey create`.",
    },
    SESSION_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session after logging in on the service's pages.",
    },
}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _openapi_path(rule: str) -> str:
    """``/api/v1/offers/<uuid:offer_id>`` -> ``/api/v1/offers/{offer_id}``."""
    out, rest = [], rule
    while "<" in rest:
        head, _, tail = rest.partition("<")
        variable, _, rest = tail.partition(">")
        out.append(head + "{" + variable.rpartition(":")[2] + "}")
    return "".join(out) + rest


def document_access(app: APIFlask) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A spec processor: the security schemes, and per operation its credential, its actions
    (``x-planner-actions``) and its 401/403 answers; public operations say ``security: []``."""

    def process(spec: dict[str, Any]) -> dict[str, Any]:
        spec.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        for rule in app.url_map.iter_rules():
            item = spec.get("paths", {}).get(_openapi_path(rule.rule))
            if item is None:
                continue
            actions = endpoint_actions(app.view_functions[rule.endpoint])
            for method in rule.methods or ():
                operation = item.get(method.lower())
                if operation is None:
                    continue
                if not actions:
                    operation["security"] = []
                    continue
                operation["security"] = [{BEARER_SCHEME: []}, {SESSION_SCHEME: []}]
                operation["x-planner-actions"] = sorted(actions)
                responses = operation.setdefault("responses", {})
                responses.setdefault(
                    "401", {"description": "No identity, or one that is not valid", "content": _PROBLEM}
                )
                responses.setdefault(
                    "403", {"description": "The identity may not do this (problem document)", "content": _PROBLEM}
                )
        return spec

    return process


__all__ = [
    "Authenticator",
    "Credential",
    "Machine",
    "actor_id",
    "authorize",
    "authorize_everywhere",
    "current_actor",
    "current_citizen",
    "current_credential",
    "current_principal",
    "current_route",
    "document_access",
    "install_authentication",
    "job_centres_allowed",
    "public",
    "require_principal",
    "requires",
]
