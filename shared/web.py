"""What every Flask service does the same way: JSON problem documents (RFC 9457),
health checks and the mapping of the shared error hierarchy."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apiflask import APIFlask, Schema, fields
from apiflask.exceptions import HTTPError
from flask import Response, jsonify, send_from_directory
from marshmallow import INCLUDE
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.danish_messages import danish_errors
from shared.errors import DatabaseUnavailable, PlannerError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INVALID_VALUE = (
    "En af værdierne kan ikke bruges (fx et for stort tal eller et kontroltegn). Ret oplysningerne og prøv igen."
)

_TITLES = {
    400: "Ugyldig forespørgsel",
    401: "Log ind for at fortsætte",
    403: "Ikke tilladt",
    404: "Ikke fundet",
    405: "Metoden er ikke tilladt",
    409: "Konflikt",
    415: "Forkert indholdstype",
    422: "Ugyldige oplysninger",
    500: "Intern fejl",
    503: "Tjenesten er midlertidigt utilgængelig",
}


_DETAILS = {
    400: "Forespørgslen kunne ikke læses. Send gyldig JSON med Content-Type: application/json.",
    404: "Adressen findes ikke.",
    405: "Metoden er ikke tilladt på denne adresse.",
    415: "Send indholdet som JSON (Content-Type: application/json).",
}


def _flatten_locations(detail: Any) -> Any:
    """APIFlask nests field errors by location (``{"json": {field: [...]}}``); the
    operations report ``{field: [...]}``. Clients get one shape: the latter."""
    if isinstance(detail, dict) and detail and all(isinstance(v, dict) for v in detail.values()):
        flat: dict[str, Any] = {}
        for errors in detail.values():
            flat.update(errors)
        return flat
    return detail


def problem(status: int, detail: str, *, code: str, title: str | None = None, **extra: Any) -> Response:
    """A JSON problem document response."""
    body = {
        "type": f"urn:planner:problem:{code}",
        "title": title or _TITLES.get(status, "Fejl"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


class Problem(Schema):
    """An error as an RFC 9457 problem document (application/problem+json); some carry
    more members (extensions), e.g. ``advisor_ids`` or ``rebooked_to``."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "urn:planner:problem:<code>"})
    title = fields.String(metadata={"description": "Short Danish title."})
    status = fields.Integer(metadata={"description": "HTTP status."})
    detail = fields.String(metadata={"description": "Danish explanation for the person."})
    code = fields.String(metadata={"description": "Stable machine-readable error code."})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "For 422: the problems per field: Danish messages, or {path, code, message} objects "
            "for rules, marker_routes, citizen and the reference lists (path: a JSON pointer into that field). "
            "For 409 on a reference list: 'offers' names the offers in the way."
        },
    )


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BAD_REQUEST = "The body or a parameter cannot be read or stored (problem document)"


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the API does on errors: every error response is
    ``application/problem+json``, and every operation that takes input can answer 400 (a
    body that is not JSON, a value the database refuses). Needs a ``Problem`` schema."""
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                content = response.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    response["content"] = {PROBLEM_JSON: content["application/json"]}
            if ("requestBody" in operation or operation.get("parameters")) and "400" not in responses:
                responses["400"] = {"description": BAD_REQUEST, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    return spec


def json_schema_nulls(node: Any) -> Any:
    """OpenAPI 3.1 is JSON Schema: ``{"type": "string", "nullable": true}`` (3.0's way, which
    apispec still writes for parameters) becomes ``{"type": ["string", "null"]}``."""
    if isinstance(node, list):
        return [json_schema_nulls(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: json_schema_nulls(value)
        for key, value in node.items()
        if not (key == "nullable" and isinstance(value, bool))  # a property called "nullable" stays
    }
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif kind is None:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def install_error_handling(app: APIFlask, *spec_processors: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Map PlannerError, APIFlask's HTTP errors (validation included) and values the
    database refuses to problems, and document them so (``document_problems``, then the
    app's own ``spec_processors``: APIFlask keeps only one)."""
    app.config.update(HTTP_ERROR_SCHEMA=Problem, VALIDATION_ERROR_SCHEMA=Problem)

    def process(spec: dict[str, Any]) -> dict[str, Any]:
        spec = document_problems(spec)
        for processor in spec_processors:
            spec = processor(spec)
        return json_schema_nulls(spec)

    app.spec_processor(process)

    @app.errorhandler(PlannerError)
    def _planner_error(exc: PlannerError) -> Response:
        response = problem(exc.status, exc.detail, code=exc.code, title=exc.title, **exc.extra)
        if exc.status == 401:  # RFC 6750: say which credential is wanted
            error = ', error="invalid_token"' if exc.code == "invalid_token" else ""
            response.headers["WWW-Authenticate"] = f'Bearer realm="jobcenter-planner"{error}'
        if isinstance(exc, DatabaseUnavailable):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    for error in DATABASE_ERRORS:
        app.register_error_handler(error, lambda exc: _planner_error(database_unavailable(exc)))

    @app.errorhandler(DataError)
    def _data_error(exc: DataError) -> Response:
        # A value the database cannot store that no check caught (a NUL character, a number
        # out of range): the person's input, not a fault of ours. The statement's parameters
        # are not logged: they may hold a CPR number.
        log.warning("refused a value the database cannot store: %s", type(exc.orig).__name__)
        return problem(400, INVALID_VALUE, code="invalid_value")

    @app.error_processor
    def _http_error(error: HTTPError) -> Response:
        if error.status_code == 422:
            return problem(
                422,
                "Oplysningerne er ikke gyldige. Ret felterne i 'errors' og prøv igen.",
                code="validation_failed",
                errors=danish_errors(_flatten_locations(error.detail)),
            )
        detail = _DETAILS.get(error.status_code) or _TITLES.get(error.status_code, "Fejl")
        response = problem(error.status_code, detail, code=f"http_{error.status_code}")
        response.headers.update(error.headers or {})
        return response


DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, PoolTimeout)
"""What SQLAlchemy raises when the database cannot be reached or does not answer in time."""


def database_unavailable(exc: Exception) -> DatabaseUnavailable:
    """The 503 to answer for ``exc`` (one of ``DATABASE_ERRORS``), logged by its kind only: the
    message of a database error may quote a statement's values."""
    log.warning("the database did not answer: %s", type(getattr(exc, "orig", None) or exc).__name__)
    return DatabaseUnavailable()


class ReadyOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})
    checked = fields.List(fields.String(), required=True, metadata={"description": "What was asked: database, broker."})


def install_health(app: APIFlask, checks: dict[str, Callable[[], None]]) -> None:
    """``GET /healthz``: 200 while the process answers at all (liveness: nothing it depends on
    is asked, so a database outage never gets the process restarted). ``GET /readyz``: 200
    when every one of ``checks`` (its name: "database", "broker") passes, else 503 naming the
    ones that failed, by name and the kind of error only (readiness: no traffic until then)."""

    @app.get("/healthz")
    @app.doc(summary="Liveness: the process answers", tags=["Drift"])
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    @app.output(ReadyOut)
    @app.doc(
        summary="Readiness: the database and the broker answer",
        tags=["Drift"],
        responses={503: "Databasen eller RabbitMQ svarer ikke (problem document: 'failed' names them)."},
    )
    def readyz() -> Any:
        failed = {}
        for name, check in checks.items():
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                failed[name] = type(exc).__name__
        if failed:
            log.warning("not ready: %s", ", ".join(f"{n} ({kind})" for n, kind in sorted(failed.items())))
            names = {"database": "databasen", "broker": "RabbitMQ"}
            which = " og ".join(names.get(n, n) for n in sorted(failed))
            return problem(503, f"Tjenesten er ikke klar: {which} svarer ikke.", code="not_ready", failed=failed)
        return {"status": "ok", "checked": sorted(checks)}


def database_check(db: Any) -> Callable[[], None]:
    """A readiness check: ``SELECT 1`` on a connection of ``db``'s pool."""
    from sqlalchemy import text

    def check() -> None:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def broker_check(url: str) -> Callable[[], None]:
    """A readiness check: connect to the broker at ``url`` (2 seconds at most) and let go."""
    from shared.messaging import broker_connection

    def check() -> None:
        with broker_connection(url) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)

    return check


DOCS_ASSETS = "/docs/assets"


def swagger_ui_folder() -> str:
    """Swagger UI 5 (it reads OpenAPI 3.1) as the PyPI package ``swagger-ui-py`` ships it;
    found without importing the package, whose adapters for other frameworks are not needed."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "static")


def install_docs_assets(app: APIFlask) -> None:
    """Serve Swagger UI (the ``/docs`` page) from the installed ``swagger-ui-py`` instead
    of a CDN, so the page works where the servers have no internet access."""
    folder = swagger_ui_folder()
    app.config.update(
        SWAGGER_UI_CSS=f"{DOCS_ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
    )

    @app.get(f"{DOCS_ASSETS}/<path:filename>")
    @app.doc(hide=True)
    def docs_asset(filename: str) -> Response:
        return send_from_directory(folder, filename, max_age=86400)
