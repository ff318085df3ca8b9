"""Whole OneThing commands per second, against raw SQLAlchemy inserts of the same event rows.

Not a test: it prints figures. Usage::

    python benchmarks/commands.py [--cases N] [--postgres URL] [--no-stock] [--cipher]

For each database it runs the same workload three ways, in one process, one after another:

* ``onething``: the real commands through ``CaseApplication`` (load, check access, run the
  domain rules, save), each in its own transaction: open a case, record every material, then
  accept, (inspect,) approve every item (approval issues its certificate) until the case completes.
* ``stock``: the same, with eventsourcing-sqlalchemy's own recorder (``PERSISTENCE_MODULE=
  eventsourcing_sqlalchemy``) instead of OneThing's faster one: the "before" figure.
* with ``--cipher``, the cost of encryption at rest: the ``onething`` workload on two more fresh
  databases, one in clear and one with stored state encrypted (``ONETHING_CIPHER_KEY``,
  ``infrastructure.eventstore.cipher``), in alternating rounds so that both see the same machine load.
* ``raw``: the very event rows the first run stored, inserted with plain SQLAlchemy Core into an
  identical table, one transaction per command: the ceiling.

``onething`` and ``raw`` run in alternating rounds (``--rounds``): each round runs a share of the cases
through the commands, then inserts the rows those commands stored, so that both see the same load of a
shared machine (its disk and PostgreSQL above all). The figure that matters is the ratio onething/raw
(commands per second), measured in one run; beside it, each side's CPU time per command in this process
(steadier than wall time on a busy machine; on PostgreSQL the server's share is not in it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy  # noqa: E402
from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, Table, Text, insert  # noqa: E402
from sqlalchemy_utils.types.uuid import UUIDType  # noqa: E402
from support import fresh_postgres  # noqa: E402

from application.cases.application import CaseApplication  # noqa: E402
from application.catalogue.application import CatalogueApplication  # noqa: E402
from application.common.clock import SystemClock  # noqa: E402
from application.demo.loader import demo_credit_code  # noqa: E402
from domain.catalogue.definitions import prerequisite_order  # noqa: E402
from domain.shared.values import Actor, Role  # noqa: E402
from infrastructure.calendar.workdays import WorkingCalendar  # noqa: E402
from infrastructure.catalogue.files import sample_catalogue  # noqa: E402
from infrastructure.eventstore.cipher import new_key  # noqa: E402
from infrastructure.eventstore.persistence import (  # noqa: E402
    application_env,
    dispose_datastores,
    init_schema,
    shared_datastore,
)

INTAKE = Actor("bench-window", Role.INTAKE)
ADMIN = Actor("bench-admin", Role.ADMIN)
SUPERVISOR = Actor("bench-supervisor", Role.SUPERVISOR)
BUNDLE = "restaurant-opening"
SQLITE_SYNCHRONOUS = ["FULL"]  # set from --synchronous; applied to every SQLite connection alike


@dataclass
class Run:
    """One measured run."""

    label: str
    commands: int
    events: int
    seconds: float
    cpu: float = 0.0  # this process's CPU seconds

    @property
    def rate(self) -> float:
        return self.commands / self.seconds


def build(url: str, stock: bool, cipher_key: str = "") -> CaseApplication:
    """The applications on ``url``; ``stock`` uses eventsourcing-sqlalchemy's own recorder; ``cipher_key``
    encrypts stored state."""
    env = application_env(url, cipher_key=cipher_key)
    if stock:
        env = {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": url, "CREATE_TABLE": "y"}
    catalogue = CatalogueApplication(env=env)
    catalogue.publish_file(sample_catalogue()[f"{BUNDLE}.json"], ADMIN)
    return CaseApplication(env=env, catalogue=catalogue, clock=SystemClock(),
                           is_workday=WorkingCalendar().is_workday)


def workload(cases: CaseApplication, count: int) -> int:
    """Run ``count`` whole cases to completion; return the number of commands."""
    definition, _ = cases.catalogue.definition(BUNDLE)
    order = prerequisite_order(definition)
    reviewers = {d: Actor(f"bench-{d}", Role.REVIEWER, d) for d in {i.department for i in definition.items}}
    commands = 0
    for n in range(count):
        case_id = cases.intake.open_case(INTAKE, BUNDLE, f"基准测试餐饮{n}号", demo_credit_code(n % 9000 + 1),
                                  "window").id
        for material in definition.materials:
            cases.intake.submit_material(INTAKE, case_id, material.key, f"{material.key}.pdf", "ab" * 32)
        commands += 1 + len(definition.materials)
        for code in order:
            item = definition.item(code)
            reviewer = reviewers[item.department]
            cases.review.accept_item(reviewer, case_id, code)
            if item.inspection:
                cases.review.record_inspection(reviewer, case_id, code, item.inspection, True)
                commands += 1
            cases.review.approve_item(reviewer, case_id, code)  # issues the item's certificate too
            commands += 2
    return commands


def prepare(url: str, stock: bool = False, cipher_key: str = "") -> CaseApplication:
    """The applications on a fresh database at ``url``, with its schema."""
    if url.startswith("sqlite"):
        engine = shared_datastore(url).engine
        sqlalchemy.event.listen(engine, "connect", _wal)
    if not stock:
        init_schema(url, {"Catalogue": False, "Users": False, "Cases": True})
    return build(url, stock, cipher_key)


def capturing(cases: CaseApplication, capture: list[list[tuple]]) -> None:
    """Append the rows of every insert of ``cases``' recorder to ``capture``, one list per transaction."""
    recorder = cases.recorder
    original = recorder.insert_events

    def recording(stored_events: Any, **kwargs: Any) -> Any:
        capture.append([(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events])
        return original(stored_events, **kwargs)

    recorder.insert_events = recording  # type: ignore[method-assign]


def measure(label: str, url: str, count: int, stock: bool = False) -> Run:
    """Run the workload once on a fresh database at ``url``."""
    cases = prepare(url, stock)
    workload(cases, 2)  # warm up: imports, caches, first connections
    before = cases.recorder.max_notification_id() or 0
    started, cpu_started = time.perf_counter(), time.process_time()
    commands = workload(cases, count)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    events = (cases.recorder.max_notification_id() or 0) - before
    return Run(label, commands, events, seconds, cpu)


class RawTable:
    """An empty table like the events table (no hash columns), written with plain SQLAlchemy Core."""

    def __init__(self, url: str):
        self.engine = sqlalchemy.create_engine(url)
        if self.engine.dialect.name == "sqlite":
            sqlalchemy.event.listen(self.engine, "connect", _wal)
        table = Table(
            f"raw_events_{uuid.uuid4().hex[:8]}", MetaData(),
            Column("id", sqlalchemy.BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                   autoincrement=True),
            Column("originator_id", UUIDType(), nullable=False),
            Column("originator_version", sqlalchemy.BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
            Column("topic", Text(), nullable=False),
            Column("state", LargeBinary(), nullable=False),
        )
        Index(f"{table.name}_aggregate_idx", table.c.originator_id, table.c.originator_version, unique=True)
        table.metadata.create_all(self.engine)
        self.statement = insert(table)

    def insert(self, batches: list[list[tuple]]) -> Run:
        """Insert the captured rows, one transaction per command."""
        rows = [[{"originator_id": o, "originator_version": v, "topic": t, "state": s} for o, v, t, s in b]
                for b in batches]
        started, cpu_started = time.perf_counter(), time.process_time()
        for batch in rows:
            with self.engine.begin() as connection:
                connection.execute(self.statement, batch)
        return Run("raw", len(rows), sum(map(len, rows)), time.perf_counter() - started,
                   time.process_time() - cpu_started)


def rounds(url_for: Callable[[str], str], count: int, number: int) -> tuple[Run, Run]:
    """The ``onething`` workload and ``raw`` inserts of the rows it stored, in ``number`` alternating rounds
    (about ``count`` cases in all)."""
    cases, batches = prepare(url_for("onething")), list[list[tuple]]()
    capturing(cases, batches)
    workload(cases, 2)  # warm up: imports, caches, first connections
    table = RawTable(url_for("raw"))
    table.insert(batches)  # warm up the raw side alike (into its own table: its rows are not counted)
    totals = {"onething": Run("onething", 0, 0, 0.0), "raw": Run("raw", 0, 0, 0.0)}
    for _ in range(number):
        batches.clear()
        before = cases.recorder.max_notification_id() or 0
        started, cpu_started = time.perf_counter(), time.process_time()
        commands = workload(cases, max(1, count // number))
        ours = Run("onething", commands, (cases.recorder.max_notification_id() or 0) - before,
                   time.perf_counter() - started, time.process_time() - cpu_started)
        for run in (ours, table.insert(batches)):
            total = totals[run.label]
            total.commands, total.events = total.commands + run.commands, total.events + run.events
            total.seconds, total.cpu = total.seconds + run.seconds, total.cpu + run.cpu
    table.engine.dispose()
    return totals["onething"], totals["raw"]


def _wal(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.execute("PRAGMA journal_mode = WAL")
    dbapi_connection.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS[0]}")


def cipher_cost(url_for: Callable[[str], str], count: int, rounds: int = 10) -> tuple[Run, Run, dict[str, float]]:
    """The workload in clear and encrypted, on two fresh databases, in alternating rounds; also the
    process's CPU seconds of each (steadier than wall time on a busy machine)."""
    apps = {"clear": prepare(url_for("clear")), "aes": prepare(url_for("aes"), cipher_key=new_key())}
    totals = {label: Run(label, 0, 0, 0.0) for label in apps}
    cpu = dict.fromkeys(apps, 0.0)
    for cases in apps.values():
        workload(cases, 2)  # warm up
    for _ in range(rounds):
        for label, cases in apps.items():
            before = cases.recorder.max_notification_id() or 0
            started, cpu_started = time.perf_counter(), time.process_time()
            totals[label].commands += workload(cases, max(1, count // rounds))
            totals[label].seconds += time.perf_counter() - started
            cpu[label] += time.process_time() - cpu_started
            totals[label].events += (cases.recorder.max_notification_id() or 0) - before
    dispose_datastores()
    return totals["clear"], totals["aes"], cpu


def compare(name: str, url_for: Callable[[str], str], count: int, stock: bool, cipher: bool = False,
            number: int = 10) -> None:
    """Measure and print one database's figures."""
    ours, theirs = rounds(url_for, count, number)
    dispose_datastores()
    runs = [ours]
    if stock:
        runs.append(measure("stock", url_for("stock"), count, stock=True))
        dispose_datastores()
    runs.append(theirs)
    base = theirs.rate
    print(f"\n{name}: {ours.commands} commands ({count} cases, {number} rounds), {ours.events} events")
    print(f"  {'run':<10}{'commands/s':>12}{'events/s':>12}{'vs raw':>9}{'CPU ms/command':>16}")
    for run in runs:
        print(f"  {run.label:<10}{run.rate:>12.0f}{run.events / run.seconds:>12.0f}{run.rate / base:>9.2f}"
              f"{run.cpu / run.commands * 1000:>16.3f}")
    if cipher:
        clear, aes, cpu = cipher_cost(url_for, count)
        print(f"  encryption at rest, alternating rounds: clear {clear.rate:.0f} commands/s, "
              f"encrypted {aes.rate:.0f} commands/s: {aes.rate / clear.rate:.2f}; CPU per command "
              f"{cpu['clear'] / clear.commands * 1000:.3f} ms clear, {cpu['aes'] / aes.commands * 1000:.3f} ms "
              f"encrypted: {cpu['clear'] / clear.commands / (cpu['aes'] / aes.commands):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh database is made on it)")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock recorder run")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternate onething and raw in this many rounds (the same machine load for both)")
    parser.add_argument("--cipher", action="store_true", help="also run with stored state encrypted (AES-GCM)")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"],
                        help="SQLite's synchronous pragma for every run (FULL: OneThing's default)")
    args = parser.parse_args()
    SQLITE_SYNCHRONOUS[0] = args.synchronous
    with tempfile.TemporaryDirectory() as folder:
        compare(f"SQLite (WAL, synchronous={args.synchronous})", lambda n: f"sqlite:///{folder}/{n}.sqlite3",
                args.cases, not args.no_stock, args.cipher, args.rounds)
    if args.postgres:
        with fresh_postgres(args.postgres) as url_for:
            compare("PostgreSQL", url_for, args.cases, not args.no_stock, args.cipher, args.rounds)


if __name__ == "__main__":
    main()
