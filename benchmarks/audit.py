"""Verify rate against just reading the rows, and reconstructing a long case at a middle version.

Not a test: it prints figures. Usage::

    python benchmarks/audit.py [--events 100000] [--case-events 1000] [--postgres URL] [--rounds 5]

It records about ``--events`` events (whole restaurant cases, as benchmarks/projections.py does), appends
them to the audit log and signs a checkpoint, then, in one process:

* ``read rows``: selects every stored event row (the columns verify needs) and touches each — the least
  work any verification must do;
* ``read store``: reads every event through the event store's own reader (notification log pages), as
  the projections and the audit log do;
* ``verify``: ``onething audit verify`` (every chain, the log against the rows, the checkpoint's Merkle
  root over the log) over the same rows;

each measured ``--rounds`` times in turns after one warm-up round, with the recording's objects frozen out of
the garbage collector's way (as in a process of its own); medians are reported as events per second and as ratios
to both reads (target: ≥ 0.4 against read rows on SQLite). Then it records one case of about
``--case-events`` events (escalations raised and resolved) and times loading it at its middle version,
with the Cases store's snapshots (every 50 events) and without them (target < 20 ms with).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projections import INTAKE, record  # noqa: E402
from sqlalchemy import select  # noqa: E402
from support import fresh_postgres  # noqa: E402

from application.demo.loader import demo_credit_code  # noqa: E402
from domain.case.aggregate import Case  # noqa: E402
from domain.shared.values import Actor, Applicant, Channel, Role  # noqa: E402
from infrastructure.audit.offline_verifier import generate_key  # noqa: E402
from infrastructure.eventstore.persistence import dispose_datastores  # noqa: E402
from web.services import Settings, build_services  # noqa: E402

SUPERVISOR = Actor("bench-supervisor", Role.SUPERVISOR)


def read_rows(services) -> tuple[float, int]:
    """Every stored event row, the columns verify reads, each touched once."""
    started, count, size = time.perf_counter(), 0, 0
    for recorder in services.event_recorders().values():
        table = recorder.events_record_cls.__table__
        query = select(recorder._raw_originator_id, table.c.originator_version, table.c.topic, table.c.state,
                       table.c.hash, table.c.prev_hash, table.c.id).order_by(table.c.originator_id,
                                                                            table.c.originator_version)
        with recorder.datastore.engine.connect() as connection:
            for row in connection.execution_options(yield_per=10_000).execute(query):
                count += 1
                size += len(row[3])
    return time.perf_counter() - started, count


def read_notifications(services) -> tuple[float, int]:
    """Every stored event through the event store's own reader (notification log pages of 10,000)."""
    started, count = time.perf_counter(), 0
    for recorder in services.event_recorders().values():
        start = 1
        while page := recorder.select_notifications(start, 10_000):
            count += len(page)
            start = page[-1].id + 1
    return time.perf_counter() - started, count


def verify(services) -> tuple[float, dict]:
    started = time.perf_counter()
    report = services.audit.verify(None)
    return time.perf_counter() - started, report


def long_case(services, events: int) -> Case:
    """One case with about ``events`` events: opened, then escalations opened and resolved in turn."""
    definition, version = services.catalogue.definition("restaurant-opening")
    case = Case.open(number="L-0000001", bundle=definition, bundle_version=version,
                     applicant=Applicant("长案例餐饮有限公司", demo_credit_code(1)), channel=Channel.WINDOW,
                     opened_on=date(2026, 3, 2), actor=INTAKE)
    services.cases.save(case)
    number = 0
    while case.version < events:
        number += 1
        case.escalate(1, SUPERVISOR, "督办", case.opened_on)
        case.resolve_escalation(number, SUPERVISOR, "已办结")
        services.cases.save(case)  # snapshots are taken every 50 events, as in production
    return case


def load_at(services, case_id, version: int, snapshots: bool, rounds: int = 30) -> float:
    """Median milliseconds to load the case at ``version``."""
    repository = services.cases.repository
    store = repository.snapshot_store
    if not snapshots:
        repository.snapshot_store = None
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            services.cases.load(case_id, version)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        repository.snapshot_store = store
    return statistics.median(times)


def measure(label: str, url: str, events: int, case_events: int, folder: str, rounds: int) -> None:
    key = Path(folder) / f"key-{label}.pem"
    generate_key(key)
    services = build_services(Settings(database_url=url, secret_key="bench", audit_key=str(key)))
    services.init_schema()
    print(f"\n{label}: recording events …", flush=True)
    total = record(services, events)
    services.audit_log.checkpoint(force=True)
    gc.collect()
    gc.freeze()  # the recording's objects, as if verify ran in a process of its own (as `onething audit verify` does)
    read_rows(services), read_notifications(services), verify(services)  # warm up every side alike
    timings: dict[str, list[float]] = {"rows": [], "store": [], "verify": []}
    for _ in range(rounds):  # in turns, so that each sees the same machine; medians below
        seconds, rows = read_rows(services)
        timings["rows"].append(seconds)
        timings["store"].append(read_notifications(services)[0])
        seconds, report = verify(services)
        timings["verify"].append(seconds)
        assert report["ok"], report
    reading, paging, checking = (statistics.median(timings[k]) for k in ("rows", "store", "verify"))
    print(f"  {total} events recorded, {rows} rows read, {report['events_checked']} verified, "
          f"{report['checkpoints_checked']} checkpoint(s); medians of {rounds} rounds")
    print(f"  {'run':<12}{'seconds':>9}{'events/s':>11}{'vs rows':>9}{'vs store':>10}")
    print(f"  {'verify':<12}{checking:>9.2f}{rows / checking:>11.0f}{reading / checking:>9.2f}"
          f"{paging / checking:>10.2f}")
    print(f"  {'read rows':<12}{reading:>9.2f}{rows / reading:>11.0f}{1:>9.2f}")
    print(f"  {'read store':<12}{paging:>9.2f}{rows / paging:>11.0f}{'':>9}{1:>10.2f}")
    case = long_case(services, case_events)
    middle = case.version // 2
    with_snapshots = load_at(services, case.id, middle, snapshots=True)
    without = load_at(services, case.id, middle, snapshots=False)
    print(f"  a {case.version}-event case at version {middle}: {with_snapshots:.2f} ms with snapshots, "
          f"{without:.2f} ms without (median of 30)")
    dispose_datastores()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--case-events", type=int, default=1_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh database is made on it)")
    parser.add_argument("--rounds", type=int, default=5, help="timings of each kind, in turns (medians)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{folder}/audit.sqlite3", args.events, args.case_events, folder, args.rounds)
        if args.postgres:
            with fresh_postgres(args.postgres) as url_for:
                measure("PostgreSQL", url_for("audit"), args.events, args.case_events, folder, args.rounds)


if __name__ == "__main__":
    main()
