"""Settings from environment variables with the prefix ``PLANNER_``.

Each service has its own database URL; all share the broker. Defaults point at a local
PostgreSQL and RabbitMQ as IT runs them; the demo overrides them with embedded parts.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.api_keys import parse_api_keys
from shared.auth.grants import parse_group_grants
from shared.network_policy import parse_allow_list

_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
_RATE_LIMIT = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")
RATE_LIMIT_OFF = "off"


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/jobcenter-planner`` (``~/.local/state/jobcenter-planner`` without it):
    the user's own, never a shared temporary folder."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path(os.path.expanduser("~/.local/state"))
    return base / "jobcenter-planner"


def parse_rate_limit(text: str) -> tuple[int, int] | None:
    """``"20/60"`` (20 requests per 60 seconds) -> ``(20, 60)``; ``"off"`` -> ``None``."""
    if text.strip().lower() == RATE_LIMIT_OFF:
        return None
    match = _RATE_LIMIT.fullmatch(text)
    if match is None:
        raise ValueError(f"a rate limit is requests/seconds (e.g. 20/60) or {RATE_LIMIT_OFF}, not {text!r}")
    hits, seconds = int(match[1]), int(match[2])
    if hits < 1 or not 1 <= seconds <= 86400:
        raise ValueError(f"a rate limit needs at least 1 request in 1 to 86400 seconds, not {text!r}")
    return hits, seconds


class Settings(BaseSettings):
    """Every setting of the system; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="PLANNER_", extra="ignore")

    offers_database_url: str = Field(_PG + "planner_offers", description="Offers service database (SQLAlchemy URL).")
    booking_database_url: str = Field(_PG + "planner_booking", description="Booking service database.")
    calendar_sync_database_url: str = Field(_PG + "planner_calendar_sync", description="Calendar-sync worker database.")
    broker_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672//",
        description="RabbitMQ URL (events and Celery tasks); memory:// runs in-process.",
    )
    broker_ca_file: str = Field(
        "",
        description="CA certificate file (PEM) that the RabbitMQ server's certificate must chain to; needs an "
        "amqps:// broker URL. Empty: with amqps://, the system's trusted CAs. The host name is always checked.",
    )
    events_exchange: str = Field("planner.events", description="Topic exchange that carries domain events.")
    task_queue: str = Field(
        "planner.calendar_sync.tasks", description="Celery queue of the calendar-sync worker's tasks."
    )
    secret_keys: str = Field(
        "",
        description="Comma-separated Fernet keys; the first encrypts calendar passwords, all decrypt (key rotation).",
    )
    cpr_keys: SecretStr = Field(
        SecretStr(""),
        description="Comma-separated keys (planner keygen) for CPR numbers at rest: the first indexes and encrypts, "
        "all find and decrypt (key rotation: planner rotate-cpr-keys). Required outside the demo.",
    )
    timezone: str = Field("Europe/Copenhagen", description="Default time zone of job centres and advisors.")
    booking_notice_days: int = Field(
        1, ge=0, description="Days of notice a self-booking needs (1: tomorrow at the earliest)."
    )
    availability_horizon_days: int = Field(
        70, ge=1, le=400, description="How far ahead free times are computed for offers without an end date."
    )
    sync_interval_seconds: int = Field(
        300, ge=5, description="How often Celery beat re-reads every advisor's calendar."
    )
    calendar_stale_after_seconds: int = Field(
        3600, ge=60, description="An advisor whose calendar was last read longer ago than this has no times offered."
    )
    sync_retry_seconds: float = Field(
        15.0,
        gt=0,
        le=600,
        description="A calendar read the server did not answer is tried again after this long, "
        "then after twice and four times as long.",
    )
    calendar_hosts_allowed: str = Field(
        "",
        description="Comma-separated host names (optionally host:port) and CIDR ranges that calendar URLs may "
        "point at although they are internal (loopback, private, link-local); empty: public addresses only.",
    )
    caldav_timeout_seconds: float = Field(
        20.0, gt=0, description="Timeout of connecting to a calendar server and of each read of its answer."
    )
    caldav_request_deadline_seconds: float = Field(
        60.0, gt=0, description="Longest one CalDAV request may take in all (a server that trickles is cut off)."
    )
    caldav_sync_deadline_seconds: float = Field(
        90.0, gt=0, description="Longest all CalDAV requests of one advisor's sync may take together."
    )
    caldav_max_response_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Largest answer read from a calendar server (bytes); larger is refused."
    )
    busy_cache_advisors: int = Field(
        500, ge=1, description="Advisors whose busy time each worker process keeps in memory (least recently used go)."
    )
    outbox_poll_seconds: float = Field(
        2.0, gt=0, description="How often the outbox relay looks for events that were not yet sent."
    )
    celery_eager: bool = Field(False, description="Run Celery tasks in the calling process (demo only).")
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Directory of the files a process keeps between runs (Celery beat's schedule); made with mode "
        "0700. The systemd units set it to their StateDirectory.",
    )
    citizen_registry_url: str | None = Field(
        None,
        description="Base URL of an citizen registry (POST {url}/citizens/lookup); empty: booking's own store.",
    )
    citizen_registry_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one citizen registry request.")
    log_level: str = Field("INFO", description="Log level of all services.")

    citizen_oidc_issuer: str = Field(
        "", description="Issuer URL of the citizens' OpenID Connect provider (MitID broker); empty: no citizen login."
    )
    citizen_oidc_client_id: str = Field("", description="This system's client id at the citizens' provider.")
    citizen_oidc_client_secret: SecretStr = Field(SecretStr(""), description="Client secret at the citizens' provider.")
    citizen_oidc_scopes: str = Field("openid", description="Scopes asked of the citizens' provider (space-separated).")
    citizen_oidc_cpr_claim: str = Field(
        "https://data.gov.dk/model/core/eid/cprNumber",
        description="Claim that carries the citizen's CPR number (NemLog-in: this OIOSAML 3 name; brokers differ).",
    )
    staff_oidc_issuer: str = Field(
        "", description="Issuer URL of the municipality's identity provider (Entra ID, ADFS); empty: no staff login."
    )
    staff_oidc_client_id: str = Field("", description="This system's client id at the staff provider.")
    staff_oidc_client_secret: SecretStr = Field(SecretStr(""), description="Client secret at the staff provider.")
    staff_oidc_scopes: str = Field(
        "openid profile", description="Scopes asked of the staff provider (space-separated)."
    )
    staff_oidc_group_claim: str = Field("groups", description="Claim that lists a staff member's groups.")
    staff_group_roles: str = Field(
        "",
        description="Roles per staff group: group=role:centre,centre;... or JSON {group: [grants]}; * is every centre.",
    )
    api_keys: str = Field(
        "",
        description='API keys of machines, hashed: JSON [{"id", "name", "sha256", "grants": ["role:centre,centre"]}].',
    )
    token_audience: str = Field(
        "", description="Audience a bearer access token must carry; empty: bearer tokens are refused."
    )
    oidc_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one request to an OpenID Connect provider.")
    oidc_keys_cache_seconds: int = Field(
        3600, ge=60, le=86400, description="How long a provider's discovery document and signing keys are kept."
    )
    offers_public_url: str = Field(
        "",
        description="The offers service's origin as browsers see it (https://host[:port]), for its login "
        "callback and logout; empty: the address of each request.",
    )
    booking_public_url: str = Field(
        "",
        description="The booking service's origin as browsers see it (https://host[:port]), for its login "
        "callback and logout; empty: the address of each request.",
    )
    booking_api_url: str = Field(
        "",
        description="Where the offers service reaches the booking API (http(s)://host[:port], an internal address) "
        "for the staff's participant lists; empty: the lists are not shown.",
    )
    booking_api_key: SecretStr = Field(
        SecretStr(""),
        description="The offers service's API key at the booking service (a key with the planner role at every "
        "centre, listed in booking's PLANNER_API_KEYS: it reads the participant lists and gives the seats staff add "
        "by hand); the staff page checks the person's own role first.",
    )
    booking_api_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one request from the offers service to the booking API."
    )
    cookie_secure: bool = Field(
        True,
        description="Send the session cookie over HTTPS only and send HSTS; false only for the demo on plain HTTP.",
    )
    session_idle_timeout_seconds: int = Field(
        1800, ge=60, description="A browser session not used for this long has ended (log in again)."
    )
    session_max_age_seconds: int = Field(
        43200, ge=300, description="A browser session ends this long after its login, however much it is used."
    )
    forwarded_hops: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the services whose X-Forwarded-For/-Proto/-Host are trusted "
        "(client IP of the rate limits, HTTPS, host); 0: none, the headers are ignored.",
    )
    login_rate_limit: str = Field(
        "30/60",
        description="Login starts and login callbacks per client IP: requests/seconds, each counted apart; off: none.",
    )
    booking_rate_limit: str = Field(
        "20/60",
        description="Bookings, cancellations and rebookings per logged-in person: requests/seconds; off: none.",
    )
    booking_ip_rate_limit: str = Field(
        "300/60",
        description="Bookings, cancellations and rebookings of logged-in people per client IP: requests/seconds; "
        "off: none.",
    )

    hold_minutes: int = Field(
        10, ge=1, le=120, description="How long a chosen time is held for the citizen while they confirm (minutes)."
    )
    worker_metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the calendar worker's Prometheus metrics (GET /metrics, a monitor key's only); 0: none.",
    )
    worker_metrics_host: str = Field(
        "127.0.0.1", description="Address the worker's metrics port listens on (an internal one, never public)."
    )
    group_seats_write_delay_seconds: float = Field(
        30.0,
        ge=0,
        le=600,
        description="How long the calendar worker waits before it writes a group meeting's new seat count into "
        "the advisors' events (one write for a burst of bookings); 0: at once.",
    )
    waiting_list_hold_hours: int = Field(
        24,
        ge=1,
        le=168,
        description="How long a seat freed at a full group meeting is held for the first on its waiting list (hours).",
    )
    reminder_days_before: int = Field(
        2, ge=0, le=30, description="Days before a meeting its reminder e-mail goes out; 0: no reminders."
    )
    smtp_host: str = Field("", description="SMTP server of the e-mails to citizens; empty: no e-mail is sent.")
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit TLS, port 465), none (only a loopback relay)."
    )
    smtp_username: str = Field("", description="SMTP user name; empty: no authentication.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one SMTP conversation.")
    mail_from: str = Field(
        "Jobcenter <ikke-svar@jobcenter.example>", description="Sender of the e-mails to citizens (From:)."
    )
    mail_pickup_dir: Path | None = Field(
        None,
        description="Write e-mails as .eml files into this directory instead of sending them (the demo's mailbox).",
    )

    demo: bool = Field(
        False,
        description="The one-command demo: admits the embedded identity provider (plain http, anyone may log in "
        "as anyone). Never in production.",
    )

    @field_validator("staff_group_roles")
    @classmethod
    def _group_roles_parse(cls, value: str) -> str:
        parse_group_grants(value)
        return value

    @field_validator("api_keys")
    @classmethod
    def _api_keys_parse(cls, value: str) -> str:
        parse_api_keys(value)
        return value

    @field_validator("login_rate_limit", "booking_rate_limit", "booking_ip_rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("offers_public_url", "booking_public_url")
    @classmethod
    def _public_url_is_a_base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https?://[^/?#@\s]+", value):
            raise ValueError(f"a public URL is http(s)://host[:port] without a path, not {value!r}")
        return value

    @field_validator("broker_ca_file")
    @classmethod
    def _ca_file_for_tls(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and not str(info.data.get("broker_url", "")).startswith("amqps://"):
            raise ValueError("a broker CA file needs an amqps:// PLANNER_BROKER_URL (TLS); the URL is not amqps://")
        if value and not Path(value).is_file():
            raise ValueError(f"the broker CA file {value!r} does not exist")
        return value

    @field_validator("calendar_hosts_allowed")
    @classmethod
    def _readable_allow_list(cls, value: str) -> str:
        parse_allow_list(value)  # a wrong entry stops the service at start, naming the entry
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
