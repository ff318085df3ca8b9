"""Rows a catch-up inserts through the driver (COPY on PostgreSQL) are stored as SQLAlchemy would store them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, Text, select

from infrastructure.readmodels.bulk import RowInserter
from infrastructure.readmodels.tables import When

BEIJING = timezone(timedelta(hours=8))
ROWS = [
    {"id": "a", "n": 1, "flag": True, "on": date(2026, 3, 2), "at": datetime(2026, 3, 2, 9, 30, tzinfo=BEIJING),
     "text": "营业执照\ttab\nnewline \\ backslash 'quote' \"double\" %s %(x)s"},
    {"id": "b", "n": None, "flag": False, "on": None, "at": datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
     "text": ""},
    {"id": "c", "flag": None, "at": None},  # columns left out are NULL
    {"id": "d", "n": -(2 ** 31), "flag": True, "on": date(1999, 1, 1),
     "at": datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5))), "text": "\\N"},
]


def table_named(name: str, metadata: MetaData) -> Table:
    return Table(name, metadata, Column("id", String(8), primary_key=True), Column("n", Integer),
                 Column("flag", Boolean), Column("on", Date), Column("at", When), Column("text", Text))


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
def test_rows_inserted_through_the_driver_read_back_as_sqlalchemy_inserted_ones(database_url, rows):
    engine = sqlalchemy.create_engine(database_url)
    metadata = MetaData()
    theirs, ours = table_named("bulk_theirs", metadata), table_named("bulk_ours", metadata)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            if rows:
                connection.execute(theirs.insert(), [{c.name: r.get(c.name) for c in theirs.columns} for r in rows])
            RowInserter(ours, connection.dialect).insert(connection, rows)
        with engine.connect() as connection:
            stored = [connection.execute(select(t).order_by(t.c.id)).all() for t in (theirs, ours)]
        assert stored[1] == stored[0]
        assert len(stored[1]) == len(rows)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_a_row_that_breaks_a_constraint_fails_the_insert(database_url):
    engine = sqlalchemy.create_engine(database_url)
    metadata = MetaData()
    table = table_named("bulk_twice", metadata)
    metadata.create_all(engine)
    try:
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            with engine.begin() as connection:
                RowInserter(table, connection.dialect).insert(connection, [ROWS[0], ROWS[0]])
        with engine.connect() as connection:
            assert connection.execute(select(table)).all() == []  # the transaction rolled back
    finally:
        metadata.drop_all(engine)
        engine.dispose()
