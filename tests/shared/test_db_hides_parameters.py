"""No service's database error carries the statement's parameters (a CPR number, a name, a
password): every engine shared/db.py makes hides them, whichever service builds it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from services.booking.app import build_booking_context
from services.calendar_sync import runtime
from services.offers.models import OutboxMessage as OffersOutbox
from shared.db import Database, make_engine
from shared.service import build_context
from tests.conftest import make_settings

CPR = "0101901234"
HIDDEN = "[SQL parameters hidden due to hide_parameters=True]"


def failing_insert(engine: Engine) -> str:
    """The text of the error of an insert into a table that does not exist, with a CPR
    number as its parameter."""
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table (cpr) VALUES (:cpr)"), {"cpr": CPR})
    return str(raised.value)


def assert_hidden(message: str) -> None:
    assert "no_such_table" in message, message  # the statement is there ...
    assert HIDDEN in message and CPR not in message, message  # ... its parameters are not


@pytest.fixture
def url(create_database: Callable[[str], str]) -> str:
    return create_database("hidden")


def test_the_offers_database_hides_statement_parameters(url: str) -> None:
    context = build_context(make_settings(broker_url="memory://"), url, OffersOutbox)
    try:
        assert_hidden(failing_insert(context.db.engine))
    finally:
        context.close()


def test_the_booking_database_hides_statement_parameters(url: str) -> None:
    context = build_booking_context(make_settings(booking_database_url=url, broker_url="memory://"))
    try:
        assert_hidden(failing_insert(context.db.engine))
    finally:
        context.close()


@pytest.fixture
def close_worker_contexts() -> Iterator[None]:
    yield
    runtime.close_contexts()


@pytest.mark.usefixtures("close_worker_contexts")
def test_the_calendar_sync_database_hides_statement_parameters(url: str) -> None:
    context = runtime.get_context(make_settings(calendar_sync_database_url=url, broker_url="memory://"))
    assert_hidden(failing_insert(context.db.engine))


def test_migrations_and_the_demo_database_hide_statement_parameters(url: str, tmp_path: Path) -> None:
    engine = make_engine(url)  # what every migration's env.py runs on
    try:
        assert_hidden(failing_insert(engine))
    finally:
        engine.dispose()
    demo = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        assert_hidden(failing_insert(demo.engine))
    finally:
        demo.dispose()


def test_a_caller_may_still_ask_for_the_parameters(url: str) -> None:
    engine = make_engine(url, hide_parameters=False)
    try:
        assert CPR in failing_insert(engine)
    finally:
        engine.dispose()
