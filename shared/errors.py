"""The error hierarchy every service maps the same way.

Each error carries a Danish message for people (pages and the problem document's
``detail``) and an HTTP status; routes never build error responses themselves.
"""

from __future__ import annotations

from typing import Any

from shared.i18n import N_


class PlannerError(Exception):
    """Base of all expected errors."""

    status = 500
    title = "Intern fejl"
    code = "internal_error"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra or {}


class UserError(PlannerError):
    """The request is wrong; the person can fix it."""

    status = 400
    title = "Ugyldig forespørgsel"
    code = "invalid_request"


class ValidationFailed(UserError):
    """The input does not pass validation; ``extra['errors']`` lists each field."""

    status = 422
    title = "Ugyldige oplysninger"
    code = "validation_failed"


class Unauthenticated(UserError):
    """No identity, or one that cannot be trusted (a refused login or token): 401.

    ``reason`` names the check that refused it, in English, for logs and tests; it never
    repeats a token, a claim value or a CPR number.
    """

    status = 401
    title = "Ikke logget ind"
    code = "unauthenticated"

    def __init__(self, detail: str, *, reason: str, code: str | None = None):
        super().__init__(detail, code=code)
        self.reason = reason


class NotFound(UserError):
    status = 404
    title = "Ikke fundet"
    code = "not_found"


class Forbidden(UserError):
    status = 403
    title = "Ikke tilladt"
    code = "forbidden"


class Conflict(PlannerError):
    """The request collides with the current state (a time already taken)."""

    status = 409
    title = "Konflikt"
    code = "conflict"


class UpstreamUnavailable(PlannerError):
    """A part we depend on (calendar server, broker, registry) does not answer."""

    status = 503
    title = "Tjenesten er midlertidigt utilgængelig"
    code = "upstream_unavailable"


class DatabaseUnavailable(UpstreamUnavailable):
    """The service's own database does not answer (a restart, a failover, a terminated
    connection, every pooled connection in use, a lock not granted in time): try again."""

    code = "database_unavailable"
    retry_after = 2
    """Seconds a client may wait before trying again (``Retry-After``)."""

    def __init__(self) -> None:
        super().__init__(N_("Tjenesten kan ikke nå sin database lige nu. Prøv igen om lidt."))
