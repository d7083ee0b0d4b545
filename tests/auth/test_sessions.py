"""The database-backed browser sessions and pending logins, on PostgreSQL and on SQLite (the demo)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from services.booking.db import migrate
from services.booking.models import Base, PendingLogin, RateLimit, WebSession
from shared.auth.login import PENDING_LOGIN_MAX_AGE_SECONDS
from shared.auth.login import PendingLogin as Pending
from shared.auth.principal import Citizen, Grant, Machine, Role, StaffMember
from shared.auth.sessions import PURGE_INTERVAL, SessionStore, authenticator_with_sessions
from shared.auth.web import Authenticator
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for
from shared.db import Database
from tests.auth.conftest import ANNA_CPR, MovableClock
from tests.conftest import TEST_CPR_KEYS, make_settings

ANNA = Citizen(cpr=parse_cpr(ANNA_CPR), subject="citizen-anna")
PIA = StaffMember(
    user_id="staff-pia", name="Pia", grants=frozenset({Grant(Role.PLANNER, "10101"), Grant(Role.READER, "*")})
)
IDLE, MAX_AGE = timedelta(minutes=30), timedelta(hours=8)


@pytest.fixture(scope="module")
def postgres_url(create_database: Callable[[str], str]) -> str:
    url = create_database("sessions")
    migrate(url)
    return url


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The booking service's session tables on PostgreSQL (migrated) or SQLite (as the demo makes them)."""
    if request.param == "postgresql":
        database = Database(request.getfixturevalue("postgres_url"))
        with database.engine.begin() as connection:
            connection.execute(text("TRUNCATE web_session, pending_login, rate_limit"))
    else:
        database = Database(f"sqlite:///{tmp_path / 'sessions.db'}")
        tables = [WebSession.__table__, PendingLogin.__table__, RateLimit.__table__]
        Base.metadata.create_all(database.engine, tables=tables)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def store(db: Database, clock: MovableClock) -> SessionStore:
    vault = vault_for(TEST_CPR_KEYS)
    return SessionStore(db, WebSession, PendingLogin, idle_timeout=IDLE, max_age=MAX_AGE, clock=clock, cpr_vault=vault)


def rows(db: Database) -> list[WebSession]:
    with db.transaction() as session:
        return list(session.scalars(select(WebSession)).all())


def test_a_new_session_is_anonymous_and_only_the_hash_of_its_cookie_is_stored(
    store: SessionStore, db: Database
) -> None:
    cookie = store.create()
    assert len(cookie) >= 43 and store.is_live(cookie)
    assert store.principal_for(cookie) is None
    (row,) = rows(db)
    assert row.id_hash == hashlib.sha256(cookie.encode()).hexdigest() != cookie
    assert row.principal is None and row.csrf_token and row.csrf_token != cookie


def test_logging_in_replaces_the_session_with_a_new_cookie_and_csrf_token(store: SessionStore, db: Database) -> None:
    anonymous = store.create()
    token_before = store.csrf_token(anonymous)

    cookie = store.log_in(anonymous, ANNA)

    assert cookie != anonymous
    assert store.principal_for(cookie) == ANNA
    assert not store.is_live(anonymous) and store.principal_for(anonymous) is None
    assert store.csrf_token(cookie) not in (None, token_before)
    assert len(rows(db)) == 1


def test_a_staff_member_comes_back_with_name_and_grants(store: SessionStore) -> None:
    assert store.principal_for(store.log_in(None, PIA)) == PIA


def test_machines_have_no_browser_sessions(store: SessionStore) -> None:
    with pytest.raises(TypeError):
        store.log_in(None, Machine(client_id="k1", name="IT"))  # type: ignore[arg-type]


def test_a_session_ends_when_idle_and_lives_on_while_used(store: SessionStore, clock: MovableClock) -> None:
    used, idle = store.log_in(None, PIA), store.log_in(None, ANNA)
    for _ in range(6):  # two hours, used every 20 minutes
        clock.advance(minutes=20)
        assert store.principal_for(used) == PIA
    assert store.principal_for(idle) is None
    assert not store.is_live(idle)


def test_a_session_ends_at_its_maximum_age_however_much_it_is_used(store: SessionStore, clock: MovableClock) -> None:
    cookie = store.log_in(None, PIA)
    for _ in range(16):  # 8 hours in half hours less a minute
        clock.advance(minutes=29)
        assert store.principal_for(cookie) == PIA
    clock.advance(minutes=25)  # 8 h 9 min after the login
    assert store.principal_for(cookie) is None


def test_last_seen_is_written_at_most_once_a_minute(store: SessionStore, db: Database, clock: MovableClock) -> None:
    cookie = store.log_in(None, PIA)
    (first,) = rows(db)
    clock.advance(seconds=30)
    store.principal_for(cookie)
    assert rows(db)[0].last_seen_at == first.last_seen_at
    clock.advance(seconds=31)
    store.principal_for(cookie)
    assert rows(db)[0].last_seen_at == clock.now
    assert rows(db)[0].expires_at == clock.now + IDLE


def test_ended_sessions_and_old_pending_logins_are_purged_when_new_sessions_are_made(
    store: SessionStore, db: Database, clock: MovableClock
) -> None:
    old = store.log_in(None, ANNA)
    store.pending_logins.put(old, Pending("s", "n", "v", "http://x/cb", clock.now.timestamp()))
    clock.advance(hours=1)
    assert len(rows(db)) == 1
    clock.advance(seconds=PURGE_INTERVAL.total_seconds())
    store.create()
    assert len(rows(db)) == 1  # only the new one
    with db.transaction() as session:
        assert session.scalars(select(PendingLogin)).all() == []


def test_logout_deletes_the_session(store: SessionStore, db: Database) -> None:
    cookie = store.log_in(None, PIA)
    store.log_out(cookie)
    assert store.principal_for(cookie) is None and rows(db) == []


def test_an_unreadable_stored_principal_is_anonymous(store: SessionStore, db: Database) -> None:
    cookie = store.log_in(None, ANNA)
    with db.transaction() as session:
        session.execute(update(WebSession).values(principal={"kind": "citizen", "cpr": "not a cpr"}))
    assert store.principal_for(cookie) is None


def test_cookies_that_are_not_ours_find_nothing(store: SessionStore) -> None:
    store.log_in(None, PIA)
    for cookie in ("", "x", "A" * 5000):
        assert store.principal_for(cookie) is None and store.csrf_token(cookie) is None


def test_no_cpr_number_reaches_the_logs(store: SessionStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cookie = store.log_in(store.create(), ANNA)
    store.principal_for(cookie)
    store.log_out(cookie)
    assert ANNA_CPR not in caplog.text


def test_a_pending_login_is_taken_once_by_its_own_browser_only(store: SessionStore, clock: MovableClock) -> None:
    pending = store.pending_logins
    browser = store.create()
    login = Pending("state-1", "nonce", "verifier", "http://x/cb", clock.now.timestamp(), return_to="/tider")
    pending.put(browser, login)

    assert pending.take(store.create(), "state-1") is None  # another browser
    assert pending.take(browser, "state-1") == login
    assert pending.take(browser, "state-1") is None  # used


def test_an_expired_pending_login_is_ignored(store: SessionStore, clock: MovableClock) -> None:
    browser = store.create()
    store.pending_logins.put(browser, Pending("state-1", "n", "v", "http://x/cb", clock.now.timestamp()))
    clock.advance(seconds=PENDING_LOGIN_MAX_AGE_SECONDS + 1)
    assert store.pending_logins.take(browser, "state-1") is None


def test_an_authenticator_given_without_sessions_reads_the_stores_sessions(store: SessionStore) -> None:
    settings = make_settings()
    given = Authenticator()
    built = authenticator_with_sessions(settings, store, given)
    assert built.sessions is store and given.sessions is None
    cookie = store.log_in(None, PIA)
    assert built.authenticate(None, cookie)[0] == PIA
    assert authenticator_with_sessions(settings, store).sessions is store
