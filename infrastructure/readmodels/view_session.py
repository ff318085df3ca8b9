"""A ``ViewSession`` that buffers a batch's row changes and writes them with few statements.

Rows are read by primary key at most once per catch-up (then served from memory), changed in
memory, and flushed per table inside the transaction that also moves the tracking positions: new
rows through the driver (``infrastructure.readmodels.bulk``: COPY on PostgreSQL), then one
``executemany`` each of upsert, UPDATE and DELETE.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from infrastructure.readmodels.bulk import RowInserter

Row = dict[str, Any]
_UNREAD: Any = object()


class BufferedViewSession:
    """Implements ``application.projections.base.ViewSession`` on a Core connection."""

    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.connection: Connection | None = None
        self.rows: dict[str, dict[tuple, Row | None]] = defaultdict(dict)
        self.stored: dict[str, set[tuple]] = defaultdict(set)  # keys whose row is in the database
        self.absent: dict[str, set[tuple]] = defaultdict(set)  # keys known to have no row there
        self.dirty: dict[str, set[tuple]] = defaultdict(set)
        self.appended: dict[str, list[Row]] = defaultdict(list)
        self.inserters: dict[str, RowInserter] = {}
        self.tracking_after_commit: dict[tuple[str, str], int] | None = None  # see ReadModelRunner

    def bind(self, connection: Connection) -> None:
        """Work in ``connection``'s transaction."""
        self.connection = connection

    def key_of(self, table: str, row: Row) -> tuple:
        return tuple(row[c.name] for c in self.tables[table].primary_key.columns)

    def get(self, table: str, key: tuple) -> Row | None:
        cache = self.rows[table]
        if key not in cache:
            cache[key] = self._select(table, key)
            (self.stored if cache[key] is not None else self.absent)[table].add(key)
        return cache[key]

    def put(self, table: str, row: Row) -> None:
        key = self.key_of(table, row)
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def update(self, table: str, key: tuple, **values: Any) -> Row:
        row = self.rows[table].get(key, _UNREAD)  # get(), written out: most calls of a catch-up are updates
        if row is _UNREAD:
            row = self.get(table, key)
        if row is None:
            raise LookupError(f"read model {table} has no row {key}; rebuild the projections")
        row.update(values)  # the buffer owns its rows: no copy needed
        self.dirty[table].add(key)
        return row

    def insert(self, table: str, row: Row) -> None:
        key = self.key_of(table, row)
        self.rows[table][key] = row
        self.absent[table].add(key)
        self.dirty[table].add(key)

    def append(self, table: str, row: Row) -> None:
        self.appended[table].append(row)

    def delete(self, table: str, key: tuple) -> None:
        self.get(table, key)
        self.rows[table][key] = None
        self.dirty[table].add(key)

    def flush(self) -> int:
        """Write every buffered change; return the number of rows written."""
        assert self.connection is not None
        written = 0
        for name, table in self.tables.items():
            new, unknown, changed, gone = self._partition(name)
            columns = [c.name for c in table.columns]
            if new or self.appended[name]:
                self._inserter(name).insert(self.connection, new + self.appended[name])
            if unknown:  # put without a get: the row may or may not be there already
                self.connection.execute(self._upsert(table, self.connection.dialect.name),
                                        [{c: r.get(c) for c in columns} for r in unknown])
            if changed:
                self.connection.execute(self._update(table), [self._update_params(table, r) for r in changed])
            if gone:
                pk = list(table.primary_key.columns)
                where = and_(*(c == bindparam(f"k_{c.name}") for c in pk))
                self.connection.execute(table.delete().where(where),
                                        [{f"k_{c.name}": k[i] for i, c in enumerate(pk)} for k in gone])
            written += len(new) + len(unknown) + len(changed) + len(gone) + len(self.appended[name])
            self._settle(name)
        return written

    def _inserter(self, name: str) -> RowInserter:
        assert self.connection is not None
        if name not in self.inserters:
            self.inserters[name] = RowInserter(self.tables[name], self.connection.dialect)
        return self.inserters[name]

    def _partition(self, name: str) -> tuple[list[Row], list[Row], list[Row], list[tuple]]:
        new: list[Row] = []
        unknown: list[Row] = []
        changed: list[Row] = []
        gone: list[tuple] = []
        for key in self.dirty[name]:
            row, stored = self.rows[name][key], key in self.stored[name]
            if row is None:
                if stored:
                    gone.append(key)
            elif stored:
                changed.append(row)
            elif key in self.absent[name]:
                new.append(row)
            else:
                unknown.append(row)
        return new, unknown, changed, gone

    @staticmethod
    def _upsert(table: Table, dialect_name: str) -> Any:
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        statement = dialect.insert(table)
        values = {c.name: statement.excluded[c.name] for c in table.columns if not c.primary_key}
        return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=values)

    def _settle(self, name: str) -> None:
        for key in self.dirty[name]:
            if self.rows[name][key] is None:
                self.stored[name].discard(key)
                self.absent[name].add(key)
            else:
                self.stored[name].add(key)
                self.absent[name].discard(key)
        self.dirty[name].clear()
        self.appended[name].clear()

    def _select(self, table: str, key: tuple) -> Row | None:
        assert self.connection is not None
        t = self.tables[table]
        where = and_(*(c == v for c, v in zip(t.primary_key.columns, key, strict=True)))
        found = self.connection.execute(select(t).where(where)).mappings().first()
        return dict(found) if found is not None else None

    @staticmethod
    def _update(table: Table) -> Any:
        pk = list(table.primary_key.columns)
        where = and_(*(c == bindparam(f"k_{c.name}") for c in pk))
        values: dict[str, Any] = {c.name: bindparam(f"v_{c.name}") for c in table.columns if not c.primary_key}
        return table.update().where(where).values(values)

    @staticmethod
    def _update_params(table: Table, row: Row) -> dict[str, Any]:
        params = {f"k_{c.name}": row[c.name] for c in table.primary_key.columns}
        params.update({f"v_{c.name}": row.get(c.name) for c in table.columns if not c.primary_key})
        return params

    def forget(self) -> None:
        """Drop everything buffered (after a rollback, or when the catch-up ends)."""
        self.rows.clear()
        self.stored.clear()
        self.absent.clear()
        self.tracking_after_commit = None
        self.dirty.clear()
        self.appended.clear()
