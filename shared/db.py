"""Database helpers shared by the services: naming convention, aware datetimes,
engines and transactions.

Every engine made here hides statement parameters in its errors (see ``make_engine``).

Production and tests run on PostgreSQL. SQLite is for the one-command demo only: there
every transaction starts with ``BEGIN IMMEDIATE``, so one writer at a time holds the
database and a check followed by an insert cannot race.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator, UserDefinedType

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A MetaData whose constraints get stable names (migrations can refer to them)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class AwareDateTime(TypeDecorator[datetime]):
    """``timestamptz`` that refuses naive datetimes and always returns aware UTC ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite stores no offset; we only ever wrote UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@lru_cache(maxsize=1024)
def _array_text(values: tuple[uuid.UUID | str, ...]) -> str:
    """``{a,b}``: an offer's advisors are bound again and again, so their text is kept."""
    return "{" + ",".join(str(v if isinstance(v, uuid.UUID) else uuid.UUID(v)) for v in values) + "}"


class UuidList(UserDefinedType[list[uuid.UUID]]):
    """A list of UUIDs as one PostgreSQL ``uuid[]`` parameter, sent as its text form
    (``{a,b}``) with the parameter itself typed ``$1::UUID[]``: PostgreSQL reads it once per
    statement (a ``CAST`` of a text parameter would be evaluated for every row), and psycopg,
    which converts a list element by element, has one string to send. Each element is
    checked to be a UUID first, so no text can add elements of its own. PostgreSQL only."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "UUID[]"

    def bind_processor(self, dialect: Any) -> Callable[[Iterable[uuid.UUID | str] | None], str | None]:
        def process(value: Iterable[uuid.UUID | str] | None) -> str | None:
            return None if value is None else _array_text(tuple(value))

        return process


def dialect_name(session: Session | Connection) -> str:
    """``postgresql`` or ``sqlite``: the database ``session`` talks to."""
    return session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name


def among_bound(column: ColumnElement[Any], name: str, postgresql: bool) -> ColumnElement[bool]:
    """For a statement built once: ``column`` is one of the UUIDs bound as ``name`` at
    execution. On PostgreSQL as ``= ANY($1::UUID[])`` (``UuidList``): one parameter, so the
    statement's text is the same for any number of values (a long ``IN`` list is rendered
    and parsed anew for every execution); elsewhere as an expanding ``IN``."""
    if postgresql:
        return column == any_(bindparam(name, type_=UuidList()))
    return column.in_(bindparam(name, expanding=True))


def table_of(model: type[Any]) -> Table:
    """The table of a mapped class (for a Core statement: no unit of work for a single row)."""
    return model.__table__  # type: ignore[no-any-return]


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection unused for longer is pinged before it is handed out."""


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Ping a pooled connection on checkout when it has lain unused for more than ``after``
    seconds, and replace it when the ping finds it dead (a restarted or failed-over server,
    a backend an administrator terminated, a firewall that dropped the idle socket).

    A connection in steady use is handed out without a ping: under load, ``pool_pre_ping``
    would add a round trip to every request for a check that the last use made moments
    ago. Should the server still drop a busy connection, its statement fails once, and
    SQLAlchemy then replaces every connection of the pool checked out before the failure.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at <= after:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError from exc  # the pool connects anew
            raise


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and immediate transactions.

    Statement parameters never appear in its errors (``hide_parameters``): a failing insert
    or lookup must not carry a CPR number, a name or a password into an exception text, a
    traceback or a log. Only a caller that passes ``hide_parameters=False`` sees them.
    A PostgreSQL connection is pinged when it was idle (``ping_after_idle`` seconds,
    ``_ping_when_idle``).
    """
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        ping_after = kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS)
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine, ping_after)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """One service's engine and session factory.

    ``after_commit`` callbacks run after every successful commit of a session made here
    (the outbox relay uses this to send new events at once).
    """

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._after_commit: list[Callable[[Session], None]] = []
        self._lock = threading.Lock()
        event.listen(self.sessionmaker, "after_commit", self._run_after_commit)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def on_commit(self, callback: Callable[[Session], None]) -> None:
        with self._lock:
            self._after_commit.append(callback)

    def _run_after_commit(self, session: Session) -> None:
        for callback in list(self._after_commit):
            callback(session)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    @contextmanager
    def single_read(self) -> Iterator[Connection]:
        """A pooled connection outside any transaction (AUTOCOMMIT), for one read statement:
        no BEGIN and no COMMIT around it."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
