"""Projection catch-up rate, against inserting the same read-model rows with plain SQLAlchemy.

Not a test: it prints figures. Usage::

    python benchmarks/projections.py [--events 100000] [--postgres URL] [--processes N] [--rounds 3]

It records about ``--events`` events (whole restaurant cases driven through the domain and saved
many aggregates per transaction, which is fast), then, one after another:

* ``catch-up``: drops the read models and runs the projection runner from position zero, as
  ``onething projections rebuild`` does: with ``ONETHING_PROJECTION_PROCESSES``' default, the read models are
  shared out over the machine's cores (at most 3; README "Read models");
* ``1 process``: the same catch-up kept in one process (``--processes`` sets the other figure's number);
  after one catch-up to warm up, the two take turns for ``--rounds`` rounds (medians reported);
* ``raw``: inserts the very rows the catch-up produced into identical empty tables, in one
  transaction, one ``executemany`` per table — the least work that leaves the same tables.

Each is reported as events per second (events recorded / seconds), and as a ratio to raw.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import MetaData, select  # noqa: E402
from support import fresh_postgres  # noqa: E402

from application.demo.loader import demo_credit_code  # noqa: E402
from domain.case.aggregate import Case  # noqa: E402
from domain.catalogue.definitions import prerequisite_order  # noqa: E402
from domain.shared.values import Actor, Applicant, Channel, Role  # noqa: E402
from domain.shared.working_days import WorkClock  # noqa: E402
from infrastructure.catalogue.files import sample_catalogue  # noqa: E402
from infrastructure.eventstore.persistence import dispose_datastores  # noqa: E402
from infrastructure.readmodels.runner import DEFAULT_PROCESSES  # noqa: E402
from infrastructure.readmodels.tables import VIEW_TABLES  # noqa: E402
from web.services import Settings, build_services  # noqa: E402

INTAKE = Actor("bench-window", Role.INTAKE)
ADMIN = Actor("bench-admin", Role.ADMIN)


def record(services, events: int) -> int:
    """Record about ``events`` events of completed restaurant cases; return how many."""
    services.catalogue.publish_file(sample_catalogue()["restaurant-opening.json"], ADMIN)
    definition, version = services.catalogue.definition("restaurant-opening")
    order = prerequisite_order(definition)
    weekdays = services.calendar.is_workday
    recorded, pending, n = 0, [], 0
    while recorded < events:
        n += 1
        day = date(2026, 3, 2) + timedelta(days=n % 200)
        case = Case.open(number=f"B-{n:07d}", bundle=definition, bundle_version=version,
                         applicant=Applicant(f"基准餐饮{n}", demo_credit_code(n % 9000 + 1)),
                         channel=Channel.WINDOW, opened_on=day, actor=INTAKE)
        for material in definition.materials:
            case.submit_material(material.key, f"{material.key}.pdf", "ab" * 32, INTAKE)
        for code in order:
            reviewer = Actor(f"bench-{case.items[code].department}", Role.REVIEWER, case.items[code].department)
            case.accept_item(code, day, weekdays, reviewer)
            if case.items[code].inspection:
                case.record_inspection(code, case.items[code].inspection, True, reviewer)
            case.approve_item(code, reviewer, clock=WorkClock(day, weekdays))  # issues its certificates too
        recorded += case.version
        pending.append(case)
        if len(pending) == 200:
            services.cases.save(*pending)
            pending = []
    if pending:
        services.cases.save(*pending)
    return services.runner.total_events()


def catch_up(services, processes: int) -> tuple[float, int]:
    services.runner.reset()
    services.runner.processes = processes
    started = time.perf_counter()
    report = services.runner.catch_up()
    return time.perf_counter() - started, report.events


def raw(services) -> tuple[float, int]:
    """Insert the projected rows again, into copies of the tables, in one transaction."""
    engine = services.runner.engine
    suffix = uuid.uuid4().hex[:6]
    copies, rows = MetaData(), {}
    with engine.connect() as connection:
        for name, table in VIEW_TABLES.items():
            rows[name] = [dict(r) for r in connection.execute(select(table)).mappings()]
            table.to_metadata(copies, name=f"{name}_raw_{suffix}")
    for table in copies.tables.values():  # index names must be unique too
        for index in table.indexes:
            index.name = f"{index.name}_raw_{suffix}"
    copies.create_all(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        for name, table_rows in rows.items():
            if table_rows:
                connection.execute(copies.tables[f"{name}_raw_{suffix}"].insert(), table_rows)
    seconds = time.perf_counter() - started
    copies.drop_all(engine)
    return seconds, sum(map(len, rows.values()))


def measure(label: str, url: str, events: int, processes: int, rounds: int) -> None:
    services = build_services(Settings(database_url=url, secret_key="bench", projection_processes=processes))
    services.init_schema()
    print(f"\n{label}: recording events …", flush=True)
    total = record(services, events)
    catch_up(services, 1)  # warm up: the first read after recording pays for the recording's WAL checkpoint
    timings: dict[int, list[float]] = {processes: [], 1: []}
    for _ in range(rounds):  # in turns, so that both see the same machine
        for count in timings:
            seconds, processed = catch_up(services, count)
            timings[count].append(seconds)
    ours, alone = statistics.median(timings[processes]), statistics.median(timings[1])
    theirs, rows = raw(services)
    print(f"  {total} events recorded, {processed} processed, {rows} read-model rows; medians of {rounds} rounds")
    print(f"  {'run':<22}{'seconds':>9}{'events/s':>11}{'vs raw':>8}")
    print(f"  {f'catch-up, {processes} processes':<22}{ours:>9.2f}{total / ours:>11.0f}{theirs / ours:>8.2f}")
    print(f"  {'catch-up, 1 process':<22}{alone:>9.2f}{total / alone:>11.0f}{theirs / alone:>8.2f}")
    print(f"  {'raw':<22}{theirs:>9.2f}{total / theirs:>11.0f}{1:>8.2f}")
    dispose_datastores()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh database is made on it)")
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES,
                        help="processes of the first catch-up (default: ONETHING_PROJECTION_PROCESSES' default)")
    parser.add_argument("--rounds", type=int, default=3, help="catch-ups of each kind, in turns (medians)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{folder}/projections.sqlite3", args.events, args.processes, args.rounds)
    if args.postgres:
        with fresh_postgres(args.postgres) as url_for:
            measure("PostgreSQL", url_for("projections"), args.events, args.processes, args.rounds)


if __name__ == "__main__":
    main()
