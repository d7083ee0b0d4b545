"""Tables every web service keeps for its browsers: sessions, pending logins, rate limits.

Mixed into each service's own ``Base`` (each service owns its tables), so several replicas
of one service share them. A session row is found by the SHA-256 of the cookie's random
value: the cookie itself is never stored, and the database alone cannot be used to log in.
A citizen's principal (with the CPR number) lives only here, never in the cookie.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import AwareDateTime


class WebSessionMixin:
    """One browser session; ``principal`` is ``None`` until its login completes."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(AwareDateTime())
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)


class PendingLoginMixin:
    """A login started in one browser session and waiting for its callback (one use)."""

    __tablename__ = "pending_login"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(100), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    return_to: Mapped[str | None] = mapped_column(String(500), nullable=True)
    started_at: Mapped[float] = mapped_column(Float)


class RateLimitMixin:
    """How many requests one client made of one kind in one fixed window."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(AwareDateTime(), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
