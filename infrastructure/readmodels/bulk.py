"""Inserting many new read-model rows at once, through the database driver.

A catch-up writes thousands of new rows per table in one transaction. SQLAlchemy's ``executemany`` builds a
parameter dictionary per row and runs each value through its type's bind processor; here the processors
(the same ones SQLAlchemy would use: dates to text on SQLite, moments to UTC, strict booleans) are looked
up once per table and applied to the columns that have one, and the rows go to the driver as tuples:
PostgreSQL takes them through ``COPY … FROM STDIN`` (psycopg 3 adapts each value as it would a query
parameter), SQLite through one ``executemany`` of a positional INSERT. Other drivers keep SQLAlchemy's
path. The rows stored are the same either way (``tests/infrastructure/readmodels/test_bulk_insert.py``).

On SQLite, dates and moments become text in Python, and SQLAlchemy's processors for them build a dict of
fields and %-format it, about half of a rebuild's conversion time: ``sqlite_processor`` gives, for the
default storage formats, functions that make the very same text with ``isoformat`` (and pass booleans
through after the same strictness check); anything they do not recognise goes to SQLAlchemy's processor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Table
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from infrastructure.readmodels.tables import UtcDateTime

Row = dict[str, Any]
Processor = Callable[[Any], Any]


def sqlite_processor(column: Column, dialect: Dialect) -> Processor | None:
    """SQLAlchemy's bind processor for ``column`` on SQLite, or a faster one that stores the same value.

    * a ``UtcDateTime``: SQLAlchemy turns an aware moment to UTC (``UtcDateTime.process_bind_param``), then
      writes ``YYYY-MM-DD HH:MM:SS.ffffff`` without an offset — ``isoformat(" ", "microseconds")``, whose
      first 26 characters are exactly that (it pads the year to 4 digits as ``%04d`` does);
    * a ``Date``: ``YYYY-MM-DD`` — ``date.isoformat()``;
    * a ``Boolean``: SQLAlchemy checks the value is None, True or False and stores ``int(value)``, which
      SQLite stores as it stores the bool itself (the integer 1 or 0).

    Only exact ``datetime`` and ``date`` objects take the short way; other values (a date in a moment's column,
    a subclass, a wrong type) go to SQLAlchemy's processor, which converts or rejects them as ever. Storage
    formats other than SQLAlchemy's defaults keep SQLAlchemy's processor.
    """
    impl = column.type.dialect_impl(dialect)
    standard = impl.bind_processor(dialect)
    if standard is None:
        return None
    if isinstance(column.type, UtcDateTime):
        inner = column.type.impl_instance.dialect_impl(dialect)
        if isinstance(inner, SQLITE_DATETIME) and inner._storage_format == SQLITE_DATETIME._storage_format:
            return _utc_text(standard)
    elif isinstance(impl, SQLITE_DATE) and impl._storage_format == SQLITE_DATE._storage_format:
        return _date_text(standard)
    elif isinstance(impl, Boolean) and not dialect.supports_native_boolean:
        return _strict_bool(standard)
    return standard


def _utc_text(standard: Processor) -> Processor:
    def process(value: Any) -> Any:
        if type(value) is datetime:
            if value.tzinfo:
                value = value.astimezone(UTC)
            return value.isoformat(" ", "microseconds")[:26]  # an aware one ends in +00:00 now
        return standard(value)
    return process


def _date_text(standard: Processor) -> Processor:
    def process(value: Any) -> Any:
        return value.isoformat() if type(value) is date else standard(value)
    return process


def _strict_bool(standard: Processor) -> Processor:
    def process(value: Any) -> Any:
        return value if value is True or value is False or value is None else standard(value)
    return process


class RowInserter:
    """Inserts whole rows (missing columns are NULL) into one table."""

    def __init__(self, table: Table, dialect: Dialect):
        self.table = table
        self.method = {("postgresql", "psycopg"): "copy", ("sqlite", "pysqlite"): "executemany"}.get(
            (dialect.name, dialect.driver), "sqlalchemy")
        compiled = table.insert().compile(dialect=dialect, column_keys=[c.key for c in table.columns])
        self.insert_sql = str(compiled)
        columns = [table.c[key] for key in compiled.positiontup] if compiled.positiontup else list(table.columns)
        self.names = [c.key for c in columns]  # in the order of the INSERT's placeholders
        self._pick = itemgetter(*self.names) if len(self.names) > 1 else lambda row: (row[self.names[0]],)
        if dialect.name == "sqlite":
            processors = [sqlite_processor(c, dialect) for c in columns]
        else:
            processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self.processors: list[tuple[int, Processor]] = [
            (i, p) for i, p in enumerate(processors) if p is not None]
        quote = dialect.identifier_preparer.quote
        self.copy_sql = (f"COPY {dialect.identifier_preparer.format_table(table)} "
                         f"({', '.join(quote(c.name) for c in columns)}) FROM STDIN")

    def values(self, row: Row) -> list[Any]:
        """The row's values in column order, as the driver takes them."""
        try:
            values = list(self._pick(row))  # projections write whole rows: one C call
        except KeyError:
            values = [row.get(name) for name in self.names]
        for i, process in self.processors:
            values[i] = process(values[i])  # SQLAlchemy's processors pass None through
        return values

    def insert(self, connection: Connection, rows: Sequence[Row]) -> None:
        """Insert ``rows`` in ``connection``'s transaction."""
        if not rows:
            return
        if self.method == "copy":
            self._copy(connection, rows)
        elif self.method == "executemany":
            connection.exec_driver_sql(self.insert_sql, [tuple(self.values(row)) for row in rows])
        else:
            connection.execute(self.table.insert(), [{n: row.get(n) for n in self.names} for row in rows])

    def _copy(self, connection: Connection, rows: Sequence[Row]) -> None:
        dialect, dbapi_connection = connection.dialect, connection.connection
        try:
            with dbapi_connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                with cursor.copy(self.copy_sql) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(self.values(row))
        except dialect.loaded_dbapi.Error as error:  # raised as SQLAlchemy raises a failed statement's error
            gone = dialect.is_disconnect(error, dbapi_connection, None)
            if gone:
                connection.invalidate(error)
            raise DBAPIError.instance(self.copy_sql, None, error, dialect.loaded_dbapi.Error,
                                      connection_invalidated=gone, dialect=dialect) from error

