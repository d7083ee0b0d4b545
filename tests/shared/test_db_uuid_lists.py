"""A list of UUIDs bound as one parameter (``among_bound``): the same rows as an
``IN`` list on PostgreSQL and SQLite, for one value or hundreds, and text that is no UUID
is refused before it reaches the statement."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Uuid, insert, select
from sqlalchemy.exc import StatementError

from shared.db import among_bound, make_engine

metadata = MetaData()
things = Table("things", metadata, Column("id", Uuid, primary_key=True), Column("n", Integer))
IDS = [uuid.UUID(int=n + 1) for n in range(300)]


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, create_database: Callable[[str], str], tmp_path) -> Iterator[Engine]:
    url = create_database("uuids") if request.param == "postgresql" else f"sqlite:///{tmp_path}/things.db"
    engine = make_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(things), [{"id": ident, "n": n} for n, ident in enumerate(IDS)])
    yield engine
    engine.dispose()


@pytest.mark.parametrize("wanted", [IDS[:1], IDS[::2], IDS, [uuid.uuid4()]], ids=["one", "every-other", "all", "none"])
def test_the_rows_of_the_listed_ids_are_found(engine: Engine, wanted: list[uuid.UUID]) -> None:
    postgresql = engine.dialect.name == "postgresql"
    expected = sorted(IDS.index(i) for i in wanted if i in IDS)
    with engine.connect() as connection:
        bound = select(things.c.n).where(among_bound(things.c.id, "ids", postgresql))
        assert sorted(connection.scalars(bound, {"ids": wanted})) == expected


def test_text_that_is_no_uuid_is_refused(create_database: Callable[[str], str]) -> None:
    engine = make_engine(create_database("uuids"))  # PostgreSQL: SQLite binds each value on its own
    metadata.create_all(engine)
    sneaky = f"{IDS[0]},{IDS[1]}"  # would be two elements in the array's text form
    with engine.connect() as connection, pytest.raises(StatementError):
        connection.scalars(select(things.c.n).where(among_bound(things.c.id, "ids", True)), {"ids": [sneaky]}).all()
    engine.dispose()
