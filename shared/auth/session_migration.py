"""The DDL of ``session_tables`` and the CPR access log's ``route``, as both web services'
migrations run it (booking 0005, offers 0007). Frozen: a later change to these tables is a
new function used by a new revision, never an edit here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def upgrade_2026_12_01() -> None:
    op.add_column("cpr_access_log", sa.Column("route", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("principal", sa.JSON(), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])
    op.create_table(
        "pending_login",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("code_verifier", sa.String(200), nullable=False),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column("return_to", sa.String(500), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", "state", name=op.f("pk_pending_login")),
    )
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit")),
    )


def downgrade_2026_12_01() -> None:
    op.drop_table("rate_limit")
    op.drop_table("pending_login")
    op.drop_index(op.f("ix_web_session_expires_at"), table_name="web_session")
    op.drop_table("web_session")
    op.drop_column("cpr_access_log", "route")
