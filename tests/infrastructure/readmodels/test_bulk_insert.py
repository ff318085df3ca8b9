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


EDGE_ROWS = [  # values SQLite stores as text or integers, where a faster conversion could drift from SQLAlchemy's
    {"id": "e1", "flag": True, "on": date(1, 1, 1), "at": datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)},
    {"id": "e2", "flag": False, "on": date(9999, 12, 31), "at": datetime(2026, 3, 2, 9, 30)},  # naive: kept as is
    {"id": "e3", "flag": 1, "on": datetime(2026, 3, 2, 23, 59, tzinfo=BEIJING)},  # a moment in a day's column
    {"id": "e4", "flag": 0, "at": datetime(2026, 3, 2, 0, 30, 0, 1, tzinfo=BEIJING)},  # the day before in UTC
]


def test_sqlite_stores_the_very_text_and_integers_sqlalchemy_stores(sqlite_url):
    engine = sqlalchemy.create_engine(sqlite_url)
    metadata = MetaData()
    theirs, ours = table_named("bulk_text_theirs", metadata), table_named("bulk_text_ours", metadata)
    metadata.create_all(engine)
    rows = ROWS + EDGE_ROWS
    try:
        with engine.begin() as connection:
            connection.execute(theirs.insert(), [{c.name: r.get(c.name) for c in theirs.columns} for r in rows])
            RowInserter(ours, connection.dialect).insert(connection, rows)
        with engine.connect() as connection:
            stored = [connection.exec_driver_sql(
                f'SELECT id, n, typeof(n), flag, typeof(flag), "on", typeof("on"), at, typeof(at), text '
                f"FROM {t.name} ORDER BY id").all() for t in (theirs, ours)]
        assert stored[1] == stored[0]
        assert ("e1", None, "null", 1, "integer", "0001-01-01", "text", "0999-01-02 03:04:05.000000", "text",
                None) in stored[1]
    finally:
        metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.parametrize("column, value", [("flag", 2), ("flag", "yes"), ("on", "2026-03-02"),
                                           ("at", date(2026, 3, 2)), ("at", "09:30")])
def test_sqlite_refuses_what_sqlalchemy_refuses(sqlite_url, column, value):
    engine = sqlalchemy.create_engine(sqlite_url)
    table = table_named("bulk_refused", MetaData())
    table.create(engine)
    refusals = []
    try:
        for insert in (lambda c, row: c.execute(table.insert(), [row]),
                       lambda c, row: RowInserter(table, c.dialect).insert(c, [row])):
            with pytest.raises(Exception) as refused:
                with engine.begin() as connection:
                    insert(connection, {"id": "x", "n": None, "flag": None, "on": None, "at": None, "text": None,
                                        column: value})
            refusals.append(getattr(refused.value, "orig", refused.value))  # SQLAlchemy wraps what its processor raised
        assert type(refusals[1]) is type(refusals[0])
    finally:
        engine.dispose()
