"""Key rotation of the calendar passwords: ``planner offers rotate-secrets`` re-encrypts every
stored password with the first key, bound to its advisor and calendar URL, and the worker's
copy follows through advisor.changed, so the old key can be removed afterwards. Passwords
stored before the binding (the bare password) are bound to their row by the same command."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import pytest
from kombu import Connection
from sqlalchemy import select

from services.calendar_sync.consumer import apply_advisor_changed
from services.calendar_sync.db import migrate as migrate_calendar_sync
from services.calendar_sync.models import AdvisorCalendar, ProcessedEvent
from services.offers.models import Advisor, OutboxMessage
from shared import events as ev
from shared.db import Database
from shared.events import Envelope
from shared.messaging import service_queue
from shared.outbox import apply_once
from shared.secrets import (
    CalendarPasswordRefused,
    SecretsNotConfigured,
    decrypt_calendar_password,
    encrypt,
    new_key,
)
from shared.service import ServiceContext
from tests.conftest import free_port
from tests.offers.conftest import Api, outbox

PASSWORDS = {"Anne Jensen": "anne-secret", "Bo Nielsen": "bo-secret"}


@pytest.fixture
def worker_db(create_database: Callable[[str], str]) -> Iterator[Database]:
    """The calendar-sync worker's database (its copy of the advisors)."""
    url = create_database("sync")
    migrate_calendar_sync(url)
    db = Database(url)
    yield db
    db.dispose()


def rotate_secrets(offers_database: str, keys: str, broker_url: str, exchange: str) -> subprocess.CompletedProcess[str]:
    """Run ``planner offers rotate-secrets`` as an operator would, with ``keys`` as PLANNER_SECRET_KEYS."""
    env = {
        **os.environ,
        "PLANNER_OFFERS_DATABASE_URL": offers_database,
        "PLANNER_SECRET_KEYS": keys,
        "PLANNER_BROKER_URL": broker_url,
        "PLANNER_EVENTS_EXCHANGE": exchange,
    }
    command = [sys.executable, "-m", "services.cli", "offers", "rotate-secrets"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def apply_to_worker(db: Database, envelopes: list[Envelope]) -> None:
    """Apply the advisor.changed events as the worker's consumer does (once per event id)."""
    for envelope in envelopes:
        if envelope.type == ev.ADVISOR_CHANGED:
            apply_once(db, ProcessedEvent, envelope, apply_advisor_changed)


def waiting_for_worker(broker_url: str, exchange: str) -> list[Envelope]:
    """Every event in the worker's queue (the command has returned: its sends were confirmed)."""
    envelopes = []
    with Connection(broker_url) as connection:
        queue = connection.SimpleQueue(service_queue("calendar_sync", exchange))
        try:
            while queue.qsize():
                message = queue.get(block=False)
                envelopes.append(Envelope.from_json(message.body))
                message.ack()
        finally:
            queue.close()
    return envelopes


Stored = tuple[str | None, str, str | None]
"""A stored calendar password: (ciphertext, advisor id, calendar URL of its row)."""


def offers_tokens(context: ServiceContext) -> dict[str, Stored]:
    with context.db.transaction() as session:
        return {
            a.name: (a.caldav_password_encrypted, str(a.id), a.caldav_url) for a in session.scalars(select(Advisor))
        }


def worker_tokens(db: Database) -> dict[str, Stored]:
    with db.transaction() as session:
        return {
            row.name: (row.caldav_password_encrypted, row.advisor_id, row.caldav_url)
            for row in session.scalars(select(AdvisorCalendar))
        }


def readable_with(tokens: dict[str, Stored], keys: str) -> dict[str, str]:
    """The passwords of ``tokens`` that the worker would use with ``keys`` (decrypted, and
    bound to the advisor and URL of their row), by advisor name."""
    result = {}
    for name, (token, advisor_id, url) in tokens.items():
        if token is None:
            continue
        with contextlib.suppress(SecretsNotConfigured, CalendarPasswordRefused):
            result[name] = decrypt_calendar_password(token, keys, advisor_id=advisor_id, url=url)
    return result


def test_rotation_reencrypts_every_password_so_the_old_key_can_go(
    api: Api,
    context: ServiceContext,
    offers_database: str,
    secret_keys: str,
    worker_db: Database,
    rabbitmq_url: str,
    unique_exchange: str,
) -> None:
    old, new = secret_keys, new_key()
    centre = api.centre()
    for name, password in PASSWORDS.items():
        api.advisor(centre, name=name, caldav_password=password)
    api.advisor(centre, name="Cai Holm", caldav_username=None, caldav_password=None)
    apply_to_worker(worker_db, outbox(context))
    assert readable_with(worker_tokens(worker_db), old) == PASSWORDS  # the worker's copy, under the old key

    done = rotate_secrets(offers_database, f"{new},{old}", rabbitmq_url, unique_exchange)

    assert done.returncode == 0, done.stderr
    assert "krypteret igen med den første nøgle: 2" in done.stdout
    assert "allerede krypteret med den første nøgle: 0" in done.stdout
    assert readable_with(offers_tokens(context), new) == PASSWORDS
    assert readable_with(offers_tokens(context), old) == {}
    assert offers_tokens(context)["Cai Holm"][0] is None
    apply_to_worker(worker_db, waiting_for_worker(rabbitmq_url, unique_exchange))
    assert readable_with(worker_tokens(worker_db), new) == PASSWORDS

    # The old key removed: the command finds nothing left to do and announces nothing.
    events_before = len(outbox(context))
    again = rotate_secrets(offers_database, new, rabbitmq_url, unique_exchange)
    assert again.returncode == 0, again.stderr
    assert "krypteret igen med den første nøgle: 0" in again.stdout
    assert "allerede krypteret med den første nøgle: 2" in again.stdout
    assert len(outbox(context)) == events_before


def test_rotation_binds_passwords_stored_before_the_binding_and_the_worker_then_uses_them(
    api: Api,
    context: ServiceContext,
    offers_database: str,
    secret_keys: str,
    worker_db: Database,
    rabbitmq_url: str,
    unique_exchange: str,
) -> None:
    old, new = secret_keys, new_key()
    centre = api.centre()
    for name, password in PASSWORDS.items():
        made = api.advisor(centre, name=name, caldav_password=password)
        with context.db.transaction() as session:  # as the version before the binding stored it
            advisor = session.get(Advisor, uuid.UUID(made["id"]))
            assert advisor is not None
            advisor.caldav_password_encrypted = encrypt(password, old)
    assert readable_with(offers_tokens(context), f"{new},{old}") == {}  # the worker would refuse them

    done = rotate_secrets(offers_database, f"{new},{old}", rabbitmq_url, unique_exchange)

    assert done.returncode == 0, done.stderr
    assert "krypteret igen med den første nøgle: 2" in done.stdout
    assert readable_with(offers_tokens(context), new) == PASSWORDS
    apply_to_worker(worker_db, waiting_for_worker(rabbitmq_url, unique_exchange))
    assert readable_with(worker_tokens(worker_db), new) == PASSWORDS


def test_rotation_names_passwords_no_key_can_read_and_rotates_the_rest(
    api: Api, context: ServiceContext, offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    old, new = secret_keys, new_key()
    centre = api.centre()
    api.advisor(centre, name="Anne Jensen", caldav_password="anne-secret")
    lost = api.advisor(centre, name="Bo Nielsen", caldav_password="bo-secret")
    lost_token = encrypt("bo-secret", new_key())  # made with a key that is no longer configured
    with context.db.transaction() as session:
        advisor = session.get(Advisor, uuid.UUID(lost["id"]))
        assert advisor is not None
        advisor.caldav_password_encrypted = lost_token

    done = rotate_secrets(offers_database, f"{new},{old}", rabbitmq_url, unique_exchange)

    assert done.returncode == 1
    assert "krypteret igen med den første nøgle: 1" in done.stdout
    assert f"1 adgangskoder kan ikke dekrypteres med nogen af nøglerne (vejledere {lost['id']})" in done.stderr
    assert readable_with(offers_tokens(context), new) == {"Anne Jensen": "anne-secret"}
    assert offers_tokens(context)["Bo Nielsen"][0] == lost_token
    announced = [e.payload["name"] for e in waiting_for_worker(rabbitmq_url, unique_exchange)]
    assert announced.count("Anne Jensen") == 2 and announced.count("Bo Nielsen") == 1  # created; Anne rotated


def test_rotation_without_keys_is_refused_in_danish(
    api: Api, offers_database: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    api.advisor(api.centre(), caldav_password="anne-secret")
    done = rotate_secrets(offers_database, "", rabbitmq_url, unique_exchange)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: PLANNER_SECRET_KEYS er ikke sat") and "Traceback" not in done.stderr


def test_rotation_while_rabbitmq_is_down_keeps_the_events_in_the_outbox(
    api: Api, context: ServiceContext, offers_database: str, secret_keys: str, unique_exchange: str
) -> None:
    api.advisor(api.centre(), caldav_password="anne-secret")
    nobody_listens = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    done = rotate_secrets(offers_database, f"{new_key()},{secret_keys}", nobody_listens, unique_exchange)
    assert done.returncode == 0, done.stderr
    assert "krypteret igen med den første nøgle: 1" in done.stdout
    assert "RabbitMQ svarer ikke: ændringerne venter i offers' outbox" in done.stdout
    with context.db.transaction() as session:
        waiting = session.scalars(
            select(OutboxMessage.event_type).where(OutboxMessage.published_at.is_(None)).order_by(OutboxMessage.seq)
        ).all()
    assert waiting == [ev.ADVISOR_CHANGED, ev.ADVISOR_CHANGED]  # created, then rotated: the relay sends both later
