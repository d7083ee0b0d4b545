"""Browser sessions kept server-side in one service's database (several replicas share them).

The cookie carries 32 random bytes (``secrets``); the table keeps only their SHA-256, so the
table alone cannot be used to log in, and the cookie carries nothing about the person. A
session starts anonymous (it holds the pending logins of that browser) and gets its
principal when a login completes; ``log_in`` then replaces it with a new session (new cookie
value, new CSRF token: no session fixation). A session ends ``idle_timeout`` after it was
last used (sliding; ``last_seen_at`` is written at most once a minute) and ``max_age`` after
it began, whichever comes first. Expired rows are deleted when met, and all of them at most
every ``PURGE_INTERVAL`` when sessions are made.

The principal is stored as JSON: a citizen's subject and CPR number sealed with the
current key of ``PLANNER_CPR_KEYS`` (``shared.cpr_vault``; never the digits), a staff
member's user id, name and grants. A stored principal that cannot be read (an old plain
number, a key that was dropped) is anonymous: the person logs in again. Nothing here logs a
principal, a cookie value or a token.

``DatabasePendingLoginStore`` is ``login.PendingLoginStore`` over the ``pending_login``
table: ``take`` is one ``DELETE ... RETURNING``, so a callback can use a pending login once,
even when two replicas receive it at the same moment. Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, null
from sqlalchemy.orm import Session

from shared.audit import current_cpr_vault
from shared.auth.grants import parse_grant
from shared.auth.login import PENDING_LOGIN_MAX_AGE_SECONDS, PendingLogin
from shared.auth.principal import Citizen, Principal, PrincipalKind, StaffMember
from shared.auth.session_tables import PendingLoginMixin, WebSessionMixin
from shared.auth.web import Authenticator
from shared.config import Settings
from shared.cpr_vault import CprUnreadable, CprVault, vault_for_settings
from shared.db import Database
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

COOKIE_BYTES = 32
MAX_COOKIE_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything far longer is not ours
TOUCH_INTERVAL = timedelta(minutes=1)
PURGE_INTERVAL = timedelta(minutes=5)


def session_hash(cookie_value: str) -> str:
    """The SHA-256 (hex) a session row is found by; the cookie value itself is never stored."""
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


def principal_to_json(principal: Principal, vault: CprVault | None = None) -> dict[str, Any]:
    """The stored form of a logged-in person (a citizen's CPR number sealed with ``vault``;
    default: the running service's); machines have no browser sessions."""
    if isinstance(principal, Citizen):
        sealed = (vault or current_cpr_vault()).seal(principal.cpr)
        return {"kind": PrincipalKind.CITIZEN.value, "cpr_sealed": sealed, "subject": principal.subject}
    if isinstance(principal, StaffMember):
        return {
            "kind": PrincipalKind.STAFF.value,
            "user_id": principal.user_id,
            "name": principal.name,
            "grants": sorted(str(grant) for grant in principal.grants),
        }
    raise TypeError("only citizens and staff members log in with a browser session")


def principal_from_json(data: Any, vault: CprVault | None = None) -> Citizen | StaffMember:
    """The principal of a stored session (a citizen's CPR number unsealed with ``vault``;
    default: the running service's); ``ValueError`` (naming no value) when unreadable."""
    if not isinstance(data, dict):
        raise ValueError("the stored principal is not an object")
    try:
        kind = data["kind"]
        if kind == PrincipalKind.CITIZEN:
            sealed = str(data["cpr_sealed"])
            return Citizen(cpr=(vault or current_cpr_vault()).unseal(sealed), subject=str(data["subject"]))
        if kind == PrincipalKind.STAFF:
            grants = frozenset().union(*(parse_grant(str(text)) for text in data["grants"]))
            return StaffMember(user_id=str(data["user_id"]), name=str(data["name"]), grants=grants)
    except CprUnreadable:
        raise ValueError("the stored principal's CPR number cannot be unsealed") from None
    except (KeyError, TypeError):
        raise ValueError("the stored principal is incomplete") from None
    raise ValueError("the stored principal is of an unknown kind")


class DatabasePendingLoginStore:
    """``login.PendingLoginStore`` over a service's ``PendingLogin`` model (see the module).

    ``browser_session`` is the session's cookie value; rows are kept under its hash.
    """

    def __init__(self, db: Database, model: type[PendingLoginMixin], clock: Clock = utcnow) -> None:
        self.db = db
        self.model = model
        self.clock = clock

    def put(self, browser_session: str, login: PendingLogin) -> None:
        """Keep ``login`` for the browser session (one row per started login)."""
        with self.db.transaction() as session:
            session.add(
                self.model(
                    session_hash=session_hash(browser_session),
                    state=login.state,
                    nonce=login.nonce,
                    code_verifier=login.code_verifier,
                    redirect_uri=login.redirect_uri,
                    return_to=login.return_to,
                    started_at=login.started_at,
                )
            )

    def take(self, browser_session: str, state: str) -> PendingLogin | None:
        """Delete and return the pending login; ``None`` if unknown, used or too old."""
        model = self.model
        statement = (
            delete(model)
            .where(model.session_hash == session_hash(browser_session), model.state == state)
            .returning(model.nonce, model.code_verifier, model.redirect_uri, model.return_to, model.started_at)
        )
        with self.db.transaction() as session:
            row = session.execute(statement).one_or_none()
        if row is None:
            return None
        if row.started_at < self.clock().timestamp() - PENDING_LOGIN_MAX_AGE_SECONDS:
            return None
        return PendingLogin(
            state=state,
            nonce=row.nonce,
            code_verifier=row.code_verifier,
            redirect_uri=row.redirect_uri,
            started_at=row.started_at,
            return_to=row.return_to,
        )

    def purge(self, session: Session) -> int:
        """Delete the pending logins too old to complete (in ``session``'s transaction)."""
        cutoff = self.clock().timestamp() - PENDING_LOGIN_MAX_AGE_SECONDS
        result = session.execute(delete(self.model).where(self.model.started_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


class SessionStore:
    """The browser sessions of one service (implements ``web.SessionPrincipals``).

    ``cpr_vault`` seals a citizen's CPR number (default: the running service's,
    ``shared.audit.current_cpr_vault``)."""

    def __init__(
        self,
        db: Database,
        session_model: type[WebSessionMixin],
        pending_model: type[PendingLoginMixin],
        *,
        idle_timeout: timedelta = timedelta(minutes=30),
        max_age: timedelta = timedelta(hours=12),
        clock: Clock = utcnow,
        cpr_vault: CprVault | None = None,
    ) -> None:
        if idle_timeout <= TOUCH_INTERVAL:
            raise ValueError("the idle timeout must be longer than a minute")
        self.db = db
        self.model = session_model
        self.idle_timeout = idle_timeout
        self.max_age = max_age
        self.clock = clock
        self.cpr_vault = cpr_vault
        self.pending_logins = DatabasePendingLoginStore(db, pending_model, clock)
        self._last_purge: datetime | None = None

    @classmethod
    def from_settings(
        cls,
        db: Database,
        session_model: type[WebSessionMixin],
        pending_model: type[PendingLoginMixin],
        settings: Settings,
        clock: Clock = utcnow,
    ) -> SessionStore:
        """A store with the timeouts ``session_idle_timeout_seconds`` and ``session_max_age_seconds``
        and the CPR keys ``cpr_keys``: ``CprKeysMissing`` without them (outside the demo), so a
        service does not start that could not keep a citizen's number sealed."""
        return cls(
            db,
            session_model,
            pending_model,
            idle_timeout=timedelta(seconds=settings.session_idle_timeout_seconds),
            max_age=timedelta(seconds=settings.session_max_age_seconds),
            clock=clock,
            cpr_vault=vault_for_settings(settings),
        )

    def create(self) -> str:
        """A new anonymous session; returns the cookie value (never stored)."""
        with self.db.transaction() as session:
            return self._insert(session, None)

    def ensure(self, cookie_value: str | None) -> str:
        """``cookie_value`` if it names a live session, else the cookie of a new anonymous one."""
        if cookie_value and self.is_live(cookie_value):
            return cookie_value
        return self.create()

    def is_live(self, cookie_value: str) -> bool:
        """Whether the cookie names a session that has not ended (anonymous or logged in)."""
        with self.db.transaction() as session:
            return self._live_row(session, cookie_value) is not None

    def principal_for(self, cookie_value: str) -> Principal | None:
        """The person logged in with this cookie; ``None`` when anonymous, unknown or ended."""
        with self.db.transaction() as session:
            row = self._live_row(session, cookie_value)
            if row is None or row.principal is None:
                return None
            try:
                return principal_from_json(row.principal, self.cpr_vault)
            except ValueError as exc:
                log.warning("a session's principal cannot be read (%s); treated as anonymous", exc)
                return None

    def csrf_token(self, cookie_value: str | None) -> str | None:
        """The CSRF token of the cookie's live session, or ``None``."""
        if not cookie_value:
            return None
        with self.db.transaction() as session:
            row = self._live_row(session, cookie_value)
            return None if row is None else row.csrf_token

    def log_in(self, old_cookie_value: str | None, principal: Citizen | StaffMember) -> str:
        """Replace the browser's session with a new one for ``principal``; returns the new cookie.

        The old row and its pending logins are deleted: the old cookie value is worth nothing."""
        payload = principal_to_json(principal, self.cpr_vault)
        with self.db.transaction() as session:
            if old_cookie_value:
                self._delete(session, old_cookie_value)
            return self._insert(session, payload)

    def log_out(self, cookie_value: str | None) -> None:
        """End the cookie's session (if any) and forget its pending logins."""
        if not cookie_value:
            return
        with self.db.transaction() as session:
            self._delete(session, cookie_value)

    def purge_expired(self) -> int:
        """Delete every ended session and every pending login too old to complete."""
        with self.db.transaction() as session:
            return self._purge(session, self.clock())

    def _insert(self, session: Session, principal: dict[str, Any] | None) -> str:
        now = self.clock()
        self._maybe_purge(session, now)
        cookie_value = secrets.token_urlsafe(COOKIE_BYTES)
        session.add(
            self.model(
                id_hash=session_hash(cookie_value),
                principal=null() if principal is None else principal,  # SQL NULL, not JSON null
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=min(now + self.idle_timeout, now + self.max_age),
            )
        )
        return cookie_value

    def _live_row(self, session: Session, cookie_value: str) -> WebSessionMixin | None:
        if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
            return None
        row = session.get(self.model, session_hash(cookie_value))
        if row is None:
            return None
        now = self.clock()
        if row.expires_at <= now:
            session.delete(row)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL:
            row.last_seen_at = now
            row.expires_at = min(now + self.idle_timeout, row.created_at + self.max_age)
        return row

    def _delete(self, session: Session, cookie_value: str) -> None:
        hashed = session_hash(cookie_value)
        session.execute(delete(self.model).where(self.model.id_hash == hashed))
        pending = self.pending_logins.model
        session.execute(delete(pending).where(pending.session_hash == hashed))

    def _maybe_purge(self, session: Session, now: datetime) -> None:
        if self._last_purge is not None and now - self._last_purge < PURGE_INTERVAL:
            return
        self._purge(session, now)

    def _purge(self, session: Session, now: datetime) -> int:
        self._last_purge = now
        result = session.execute(delete(self.model).where(self.model.expires_at <= now))
        self.pending_logins.purge(session)
        return int(getattr(result, "rowcount", 0) or 0)


def authenticator_with_sessions(
    settings: Settings, sessions: SessionStore, authenticator: Authenticator | None = None
) -> Authenticator:
    """The service's authenticator, reading browser sessions from ``sessions``: built from the
    settings, or ``authenticator`` (a test's) given this store unless it has sessions of its own."""
    if authenticator is None:
        return Authenticator.from_settings(settings, sessions=sessions)
    if authenticator.sessions is None:
        return dataclasses.replace(authenticator, sessions=sessions)
    return authenticator
