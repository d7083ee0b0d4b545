"""Fixtures of the mail tests: a migrated booking database on PostgreSQL, a real SMTP server
(aiosmtpd on 127.0.0.1) that keeps what it was given or refuses on demand, and factories for
offers and bookings written straight into the tables.

The clock is fixed: ``NOW`` is Monday 7 December 2026 09:00 in Copenhagen; every test passes
``now`` explicitly."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from services.booking.models import Booking, CitizenMail, OfferView
from shared.config import Settings
from shared.cpr_vault import vault_for_settings
from shared.db import Database
from tests.booking.conftest import TODAY, TOMORROW, at, fictitious_cpr, offer_payload
from tests.conftest import free_port, make_settings

NOW = at(TODAY, 9)
MEETING = at(TOMORROW, 9)  # tirsdag 8. december 2026 kl. 09.00
PUBLIC_URL = "https://booking.jobcenter.example"
SERVER_SECRET = "hemmelig-servertekst"
"""Text the test server puts into its refusals: it must never reach the table or the log."""


@dataclass
class Collector:
    """An aiosmtpd handler: keeps each accepted message; answers ``refuse_data`` (e.g.
    ``451 ...``) to DATA or ``refuse_rcpt`` to RCPT while they are set."""

    messages: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse_data: str | None = None
    refuse_rcpt: str | None = None
    refused: int = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            self.refused += 1
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            self.refused += 1
            return self.refuse_data
        content = envelope.original_content or b""
        self.messages.append(content)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[EmailMessage]:
        return [email.message_from_bytes(m, policy=email.policy.default) for m in self.messages]  # type: ignore[misc]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Collector


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(booking_pg_url: str, smtp_server: SmtpServer) -> Settings:
    return make_settings(
        booking_database_url=booking_pg_url,
        broker_url="memory://",
        celery_eager=True,  # no worker to nudge: the tests call the sender themselves
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        booking_public_url=PUBLIC_URL,
        mail_from="Jobcenter Testby <ikke-svar@jobcenter.example>",
    )


@pytest.fixture
def db(mail_settings: Settings) -> Iterator[Database]:
    database = Database(mail_settings.booking_database_url)
    yield database
    database.dispose()


def add_offer(db: Database, **overrides: Any) -> OfferView:
    """An individual in-person offer (``offer_payload``'s defaults), stored as booking sees it."""
    payload = offer_payload(**overrides).model_dump()
    payload["id"] = uuid.UUID(payload.pop("offer_id"))
    columns = {c.key for c in OfferView.__table__.columns}
    offer = OfferView(**{k: v for k, v in payload.items() if k in columns})
    with db.transaction() as session:
        session.add(offer)
    return offer


def add_booking(
    db: Database,
    settings: Settings,
    offer: OfferView,
    start: datetime = MEETING,
    *,
    n: int = 0,
    email_address: str | None = "borger@example.org",
    created_at: datetime = NOW - timedelta(days=5),
    **columns: Any,
) -> Booking:
    """Citizen ``n``'s booking of ``offer`` at ``start``, written straight into the table."""
    vault = vault_for_settings(settings)
    cpr = fictitious_cpr(n)
    booking = Booking(
        reference=uuid.uuid4().hex[:8].upper(),
        offer_id=offer.id,
        advisor_id=uuid.UUID(offer.advisor_ids[0]),
        citizen_cpr_index=vault.index(cpr),
        citizen_cpr_sealed=vault.seal(cpr),
        start_at=start,
        end_at=start + timedelta(minutes=offer.duration_minutes),
        occupied_until=start + timedelta(minutes=offer.duration_minutes + offer.reporting_minutes),
        accept_cancellation=offer.accept_cancellation,
        rebooking_days_before=offer.rebooking_days_before,
        created_at=created_at,
        email=email_address,
        **columns,
    )
    with db.transaction() as session:
        session.add(booking)
    return booking


def mails(db: Database) -> list[CitizenMail]:
    with db.transaction() as session:
        return list(session.scalars(select(CitizenMail).order_by(CitizenMail.created_at, CitizenMail.kind)).all())


def mail_of(db: Database, booking: Booking, kind: str) -> CitizenMail:
    [mail] = [m for m in mails(db) if m.booking_id == booking.id and m.kind == kind]
    return mail
