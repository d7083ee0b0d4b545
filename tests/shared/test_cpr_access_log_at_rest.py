"""The offers service's CPR access log without plain CPR numbers (issue 10): its migration
offers_0008 converts the rows with the keys of the settings, and the insight search finds
them by the number's index."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.offers.db import MIGRATIONS, migrate
from services.offers.models import CprAccessLog
from shared.config import get_settings
from shared.cpr_migration import CprMigrationRefused
from shared.cpr_vault import vault_for
from shared.db import AwareDateTime, make_engine
from shared.migrations import downgrade, upgrade
from shared.timeutil import utcnow
from tests.offers.conftest import build_app
from tests.shared.cpr_at_rest import plain_cpr_cells

BEFORE = "offers_0007"
KEYS = Fernet.generate_key().decode()
ANNA, BO = "1502893427", "0101904001"  # fictitious


@pytest.fixture
def keys_in_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def use(keys: str) -> None:
        monkeypatch.setenv("PLANNER_CPR_KEYS", keys)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def seed_plain_log(url: str) -> None:
    """Two explanations with the CPR numbers in plain text, as offers kept them before."""
    log = sa.table(
        "cpr_access_log", sa.column("at", AwareDateTime()), *(sa.column(c) for c in ("actor", "purpose", "subject_cpr"))
    )
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for cpr in (ANNA, BO):
                connection.execute(
                    sa.insert(log), {"at": utcnow(), "actor": "staff:pia", "purpose": "explain", "subject_cpr": cpr}
                )
    finally:
        engine.dispose()


def test_the_offers_access_log_is_converted_and_still_searched_by_cpr(
    create_database: Callable[[str], str], keys_in_settings: Callable[[str], None], secret_keys: str
) -> None:
    url = create_database("offers_cpr_migration")
    upgrade(MIGRATIONS, url, BEFORE)
    seed_plain_log(url)
    assert plain_cpr_cells(url, [ANNA, BO]) == ["cpr_access_log.subject_cpr"]

    keys_in_settings(KEYS)
    migrate(url)
    assert plain_cpr_cells(url, [ANNA, BO]) == []

    app = build_app(url, secret_keys, cpr_keys=KEYS)
    try:
        search = app.test_client().post("/api/v1/access-log/search", json={"citizen": {"cpr": ANNA}})
        assert search.status_code == 200
        assert [(e["actor"], e["purpose"]) for e in search.get_json()["items"]][1:] == [("staff:pia", "explain")]
        assert plain_cpr_cells(url, [ANNA, BO]) == []  # the search's own entry is sealed too
        with app.extensions["planner"].db.transaction() as session:
            rows = session.scalars(sa.select(CprAccessLog)).all()
            assert sorted(vault_for(KEYS).unseal(r.subject_cpr_sealed).digits for r in rows) == sorted([ANNA, ANNA, BO])
    finally:
        app.extensions["planner"].close()

    downgrade(MIGRATIONS, url, BEFORE)
    assert plain_cpr_cells(url, [ANNA, BO]) == ["cpr_access_log.subject_cpr"]


def test_the_offers_upgrade_is_refused_without_a_key(
    create_database: Callable[[str], str], keys_in_settings: Callable[[str], None]
) -> None:
    url = create_database("offers_cpr_refused")
    upgrade(MIGRATIONS, url, BEFORE)
    seed_plain_log(url)
    keys_in_settings("")
    with pytest.raises(CprMigrationRefused, match="PLANNER_CPR_KEYS"):
        migrate(url)
    assert plain_cpr_cells(url, [ANNA, BO]) == ["cpr_access_log.subject_cpr"]
