"""Write→visible latency: how long after a command commits a department's queue shows it.

Not a test: it prints figures. Usage::

    python benchmarks/latency.py [--writes 40] [--interval 0.5] [--postgres URL]

For each setting a projection worker runs in its own process (``onething projections run``, as deployed).
This process opens restaurant cases through ``CaseApplication``, one at a time, and reads the ``amr``
department's queue (``SqlReadQueue``) on an engine of its own, as a web process would, every millisecond
until the new case is in it: the latency runs from the command's return (its commit) to that read. Before
each write it waits a random fraction of the poll interval, so that writes do not fall in step with the
worker's polls. The settings, each over ``--writes`` writes after two unmeasured ones:

* PostgreSQL, the worker waking on NOTIFY (LISTEN), and polling every ``--interval`` s as the fallback;
* PostgreSQL, the same worker polling only (``--no-listen``);
* SQLite, polling (SQLite cannot notify).

The PostgreSQL settings run only with ``--postgres``. At the defaults the whole run takes under two minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from support import fresh_postgres  # noqa: E402

from application.demo.loader import demo_credit_code  # noqa: E402
from domain.shared.values import Actor, Role  # noqa: E402
from infrastructure.catalogue.files import sample_catalogue  # noqa: E402
from infrastructure.eventstore.persistence import dispose_datastores  # noqa: E402
from infrastructure.readmodels.queue import SqlReadQueue  # noqa: E402
from web.services import Settings, build_services  # noqa: E402

ADMIN = Actor("bench-admin", Role.ADMIN)
INTAKE = Actor("bench-window", Role.INTAKE)
DEPARTMENT = "amr"  # the restaurant bundle's first item (business licence) waits in this queue
WARM_UP = 2


def start_worker(url: str, folder: str, interval: float, listen: bool) -> subprocess.Popen[bytes]:
    """``onething projections run`` on ``url`` in a process of its own (its keys and files in ``folder``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ONETHING_DATABASE_URL": url, "ONETHING_NOTIFY_INTERVAL": "0",
           "ONETHING_AUDIT_KEY": f"{folder}/audit-key.pem", "ONETHING_LICENCE_KEY": f"{folder}/licence-key.pem"}
    command = [sys.executable, "-c", "from web.cli import main; main()", "projections", "run",
               "--interval", str(interval), "--listen" if listen else "--no-listen"]
    return subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def seconds_until_visible(open_case, queue: SqlReadQueue, n: int, timeout: float = 10.0) -> float:
    """Open case ``n``; return the seconds from its commit until the department's queue shows it."""
    case_id = str(open_case(n).id)
    committed = time.perf_counter()
    while time.perf_counter() - committed < timeout:
        rows = queue.queue_page(DEPARTMENT, today=date.today(), sort="opened", descending=True, per_page=5).rows
        if any(row["case_id"] == case_id for row in rows):
            return time.perf_counter() - committed
        time.sleep(0.001)
    raise RuntimeError(f"case {n} was not in the {DEPARTMENT} queue after {timeout} s: is the worker running?")


def measure(label: str, url: str, folder: str, writes: int, interval: float, listen: bool, first: int) -> list[float]:
    """Run a worker on ``url`` and time ``writes`` writes (cases numbered from ``first``)."""
    services = build_services(Settings(database_url=url, secret_key="bench", audit_key=f"{folder}/audit-key.pem",
                                       licence_key=f"{folder}/licence-key.pem"))

    def open_case(n: int):
        return services.cases.intake.open_case(INTAKE, "restaurant-opening", f"基准餐饮{n}",
                                               demo_credit_code(n % 9000 + 1), "window")

    reader = create_engine(url)  # the web process's own connections
    queue, draw = SqlReadQueue(reader), random.Random(first)
    worker = start_worker(url, folder, interval, listen)
    try:
        seconds = []
        for n in range(first, first + WARM_UP + writes):
            time.sleep(draw.uniform(0, interval))
            seconds.append(seconds_until_visible(open_case, queue, n, timeout=max(10.0, 20 * interval)))
    finally:
        stop_worker(worker)
        reader.dispose()
    seconds = seconds[WARM_UP:]
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    print(f"  {label:<36}{cuts[49] * 1000:>9.1f}{cuts[98] * 1000:>9.1f}{max(seconds) * 1000:>9.1f}")
    return seconds


def prepare(url: str, folder: str) -> None:
    """Create the schema and publish the restaurant bundle (as ``onething db init`` and an admin would)."""
    services = build_services(Settings(database_url=url, secret_key="bench", audit_key=f"{folder}/audit-key.pem",
                                       licence_key=f"{folder}/licence-key.pem"))
    services.init_schema()
    services.catalogue.publish_file(sample_catalogue()["restaurant-opening.json"], ADMIN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5, help="the worker's poll interval (its default)")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh database is made on it)")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"write→visible in the {DEPARTMENT} queue, {args.writes} writes each, poll interval {args.interval} s")
    print(f"  {'setting':<36}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    with tempfile.TemporaryDirectory(prefix="onething-bench-latency-") as folder:
        if args.postgres:
            with fresh_postgres(args.postgres) as url_for:
                url = url_for("latency")
                prepare(url, folder)
                listening = measure("PostgreSQL, LISTEN/NOTIFY + polling", url, folder, args.writes,
                                    args.interval, True, 1)
                polling = measure("PostgreSQL, polling only", url, folder, args.writes, args.interval, False,
                                  1 + WARM_UP + args.writes)
                dispose_datastores()
        url = f"sqlite:///{folder}/latency.sqlite3"
        prepare(url, folder)
        measure("SQLite, polling", url, folder, args.writes, args.interval, True, 1)  # the default command
        dispose_datastores()
    if args.postgres:
        ratio = statistics.median(polling) / statistics.median(listening)
        print(f"  PostgreSQL: the median with LISTEN is {ratio:.0f}× shorter than with polling alone")
    print(f"  ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
