"""Rate limits per client, counted in the service's database (every replica sees one count).

A fixed window: ``hit`` adds one to the row of ``(key, window start)`` and reads the new
count in one statement (``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING
hits``, on PostgreSQL and SQLite alike), so two replicas counting at the same moment never
lose a hit. Rows of windows older than ``retention`` are deleted at most every
``PURGE_INTERVAL`` by each limiter.

``install_rate_limits`` applies ``Rule``s by endpoint name before the view runs (after
authentication: a rule ``by=By.PERSON`` counts per logged-in person). Over a limit the
request is answered with 429, ``Retry-After`` and a Danish problem document. Machines (API
keys, client-credential tokens) are IT's own integrations and are not limited by the booking
rules. The client IP is ``request.remote_addr``: behind a reverse proxy that is the proxy,
unless ``PLANNER_FORWARDED_HOPS`` trusts its ``X-Forwarded-For`` (``web_security.trust_proxies``).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flask import Flask, Response, request
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from shared.auth.principal import Citizen, Machine, Principal, StaffMember
from shared.auth.session_tables import RateLimitMixin
from shared.auth.web import current_principal
from shared.config import parse_rate_limit
from shared.db import Database
from shared.i18n import N_
from shared.timeutil import utcnow
from shared.web import problem

log = logging.getLogger(__name__)

PURGE_INTERVAL = timedelta(minutes=1)
TOO_MANY = N_("Der er kommet for mange forsøg på kort tid. Vent lidt, og prøv igen.")
TOO_MANY_TITLE = "For mange forsøg"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``hits`` requests in each window of ``window_seconds``."""

    hits: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit | None:
        """A setting's ``"20/60"`` -> ``Limit(20, 60)``; ``"off"`` -> ``None``."""
        parsed = parse_rate_limit(text)
        return None if parsed is None else cls(*parsed)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one hit: allowed or not, and how many seconds until the window ends."""

    allowed: bool
    hits: int
    retry_after: int


class RateLimiter:
    """Fixed-window counters in one service's ``RateLimit`` table (see the module)."""

    def __init__(
        self,
        db: Database,
        model: type[RateLimitMixin],
        *,
        clock: Callable[[], datetime] = utcnow,
        retention: timedelta = timedelta(days=1),
    ) -> None:
        self.db = db
        self.model = model
        self.clock = clock
        self.retention = retention
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert
        self._last_purge: datetime | None = None

    def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        """Count one request of ``key``; ``True`` while at most ``limit`` were made in this window."""
        return self.decide(key, Limit(limit, window_seconds)).allowed

    def decide(self, key: str, limit: Limit) -> Decision:
        """Count one request of ``key`` against ``limit`` and say whether it may go on."""
        if not 0 < limit.window_seconds <= self.retention.total_seconds():
            raise ValueError("a rate-limit window must be positive and within the retention")
        if len(key) > 200:
            raise ValueError("a rate-limit key has at most 200 characters")
        now = self.clock()
        epoch = now.timestamp()
        start_epoch = math.floor(epoch / limit.window_seconds) * limit.window_seconds
        window_start = datetime.fromtimestamp(start_epoch, tz=UTC)
        model = self.model
        statement = (
            self._insert(model)
            .values(key=key, window_start=window_start, hits=1)
            .on_conflict_do_update(index_elements=[model.key, model.window_start], set_={"hits": model.hits + 1})
            .returning(model.hits)
        )
        with self.db.transaction() as session:
            hits = int(session.execute(statement).scalar_one())
            if self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL:
                self._last_purge = now
                session.execute(delete(model).where(model.window_start < now - self.retention))
        retry_after = max(1, math.ceil(start_epoch + limit.window_seconds - epoch))
        return Decision(allowed=hits <= limit.hits, hits=hits, retry_after=retry_after)


class By(StrEnum):
    """What a rule counts per."""

    IP = "ip"
    PERSON = "person"  # the logged-in citizen or staff member; anonymous requests are not counted


@dataclass(frozen=True, slots=True)
class Rule:
    """Count requests to an endpoint ``by`` client under ``scope`` against ``limit``."""

    scope: str
    limit: Limit
    by: By = By.IP
    limit_machines: bool = True


def person_key(principal: Principal) -> str:
    """A short stable key for a principal that names no one (never a CPR number or a user id)."""
    if isinstance(principal, Citizen):
        identity = f"citizen:{principal.subject}"
    elif isinstance(principal, StaffMember):
        identity = f"staff:{principal.user_id}"
    else:
        identity = f"machine:{principal.client_id}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def rules_for(endpoints: Sequence[str], *rules: Rule | None) -> dict[str, list[Rule]]:
    """The same rules (``None``: a limit that is off) for each of ``endpoints``."""
    active = [rule for rule in rules if rule is not None]
    return {endpoint: list(active) for endpoint in endpoints if active}


def rule(scope: str, setting: str, by: By = By.IP, *, limit_machines: bool = True) -> Rule | None:
    """A rule from a limit setting (``"20/60"``), or ``None`` when it is ``"off"``."""
    limit = Limit.parse(setting)
    return None if limit is None else Rule(scope, limit, by, limit_machines)


def too_many(retry_after: int) -> Response:
    """The 429 answer: a problem document with ``Retry-After``."""
    response = problem(429, TOO_MANY, code="rate_limited", title=TOO_MANY_TITLE, retry_after=retry_after)
    response.headers["Retry-After"] = str(retry_after)
    return response


def install_rate_limits(
    app: Flask,
    limiter: RateLimiter,
    rules: Mapping[str, Sequence[Rule]],
    pages: Mapping[str, Callable[[int], Response]] | None = None,
) -> None:
    """Apply ``rules`` (endpoint name -> rules) before each request; install after authentication.

    ``pages`` (blueprint name -> answer): the blueprints of pages, whose refusal is a page made
    by the answer (given the seconds to wait), not a problem document."""
    page_answers = dict(pages or {})
    table = {endpoint: tuple(endpoint_rules) for endpoint, endpoint_rules in rules.items() if endpoint_rules}
    app.extensions["planner.rate_limiter"] = limiter

    @app.before_request
    def _rate_limit() -> Response | None:
        endpoint_rules = table.get(request.endpoint or "")
        if not endpoint_rules:
            return None
        principal = current_principal()
        for endpoint_rule in endpoint_rules:
            if isinstance(principal, Machine) and not endpoint_rule.limit_machines:
                continue
            if endpoint_rule.by is By.PERSON:
                if principal is None:
                    continue
                key = f"{endpoint_rule.scope}:person:{person_key(principal)}"
            else:
                key = f"{endpoint_rule.scope}:ip:{request.remote_addr or 'unknown'}"
            decision = limiter.decide(key, endpoint_rule.limit)
            if not decision.allowed:
                log.info("rate limit %s (%s) reached at %s", endpoint_rule.scope, endpoint_rule.by, request.endpoint)
                page = page_answers.get(request.blueprint or "")
                if page is not None:
                    answer = page(decision.retry_after)
                    answer.headers["Retry-After"] = str(decision.retry_after)
                    return answer
                return too_many(decision.retry_after)
        return None
