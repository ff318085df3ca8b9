"""The busiest lists cost a page, not the whole table: their SQL walks an index in the list's order.

A board with 100,000 overdue items stays fast only while the database reads 20 index entries for a page; a
statement that names the running statuses as bound parameters instead of literal SQL no longer matches the
partial indexes (SQLite matches a partial index's condition only to literal SQL), and then sorts every
overdue item for every page. SQLite's plan says so (``USE TEMP B-TREE FOR ORDER BY``, ``SCAN rm_case_items``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import create_engine, event

from infrastructure.readmodels.queue import SqlReadQueue
from infrastructure.readmodels.supervision import SqlSupervisionReadModels
from infrastructure.readmodels.tables import metadata

TODAY, SOON = date(2026, 12, 7), date(2026, 12, 9)


@pytest.fixture
def engine() -> Iterator[Any]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def plans(engine: Any, read: Callable[[], Any]) -> list[str]:
    """The query plan of each statement ``read`` runs on ``engine``, one text per statement."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as connection:
        return [" | ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                         parameters))
                for statement, parameters in statements]


@pytest.mark.parametrize("read", [
    lambda board: board.overdue_items(today=TODAY),
    lambda board: board.overdue_items(today=TODAY, department="amr", page=3),
    lambda board: board.due_soon_items(today=TODAY, soon_before=SOON),
    lambda board: board.due_soon_items(today=TODAY, soon_before=SOON, department="psb"),
], ids=["overdue", "overdue of a department", "due soon", "due soon of a department"])
def test_a_page_of_the_boards_late_lists_walks_the_running_items_index(engine, read):
    count, page = plans(engine, lambda: read(SqlSupervisionReadModels(engine)))
    # the page's 20 keys come from the index in order (only those 20 rows are sorted again once joined)
    chosen = page.split(" | SCAN anon_1")[0]
    assert "USING INDEX ix_rm_case_items_running" in chosen and "TEMP B-TREE" not in chosen, page
    assert "SCAN rm_case_items" not in count, count


def test_the_boards_counts_read_index_ranges(engine):
    for plan in plans(engine, lambda: SqlSupervisionReadModels(engine).late_counts(today=TODAY, soon_before=SOON)):
        assert "INDEX" in plan and "SCAN rm_case_items" not in plan, plan


def test_the_queues_counts_read_index_ranges(engine):
    for plan in plans(engine, lambda: SqlReadQueue(engine).queue_counts("amr", today=TODAY, assignee="amr")):
        assert "INDEX" in plan and "SCAN rm_case_items" not in plan, plan
