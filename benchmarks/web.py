"""Server time of the busiest UI pages with many cases in the store (target: median under 100 ms).

Not a test: it prints figures. Usage::

    python benchmarks/web.py [--cases 100000] [--rounds 30] [--postgres URL [--no-sqlite]] [--keep FILE]
                             [--profile PAGE]

It records ``--cases`` restaurant cases (opened, materials in, the business licence accepted: 14 events
each, saved many aggregates per transaction), brings the read models up to date, signs in through the
form as a reviewer, a supervisor and an auditor, and times each page through the WSGI app (Flask's test
client: the server's own time, no network): median and 95th percentile over ``--rounds`` requests.
``--profile`` names pages (a part of their label, e.g. ``supervision``) to run once more under cProfile,
printing where their time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from support import fresh_postgres  # noqa: E402

from application.demo.loader import DEMO_PASSWORD, demo_credit_code  # noqa: E402
from domain.case.aggregate import Case  # noqa: E402
from domain.shared.values import Actor, Applicant, Channel, Role  # noqa: E402
from infrastructure.catalogue.files import sample_catalogue  # noqa: E402
from infrastructure.eventstore.persistence import dispose_datastores  # noqa: E402
from infrastructure.readmodels.tables import cases as case_table  # noqa: E402
from web import create_app  # noqa: E402
from web.services import Settings, build_services  # noqa: E402

ADMIN = Actor("bench-admin", Role.ADMIN)
INTAKE = Actor("bench-window", Role.INTAKE)
AMR = Actor("reviewer-amr", Role.REVIEWER, "amr")
PAGES = {  # page: (who, path)
    "queue (amr)": ("reviewer-amr", "/queue"),
    "queue, overdue filter": ("reviewer-amr", "/queue?overdue=1"),
    "case list (auditor search)": ("auditor", "/audit"),
    "case list, by applicant": ("auditor", "/audit?applicant=基准餐饮7"),
    "escalations and overdue (supervisor)": ("supervisor", "/supervision"),
    "supervision, overdue tab": ("supervisor", "/supervision?tab=overdue"),
    "case page (reviewer)": ("reviewer-amr", "/cases/{case}"),
    "case page (supervisor)": ("supervisor", "/cases/{case}"),
}


def record(services, count: int) -> None:
    """Open ``count`` restaurant cases with their materials and the licence accepted."""
    services.catalogue.publish_file(sample_catalogue()["restaurant-opening.json"], ADMIN)
    definition, version = services.catalogue.definition("restaurant-opening")
    pending = []
    for n in range(1, count + 1):
        day = date(2026, 3, 2) + timedelta(days=n % 200)
        case = Case.open(number=f"W-{n:07d}", bundle=definition, bundle_version=version,
                         applicant=Applicant(f"基准餐饮{n}", demo_credit_code(n % 9000 + 1)),
                         channel=Channel.WINDOW, opened_on=day, actor=INTAKE)
        for material in definition.materials:
            case.submit_material(material.key, f"{material.key}.pdf", "ab" * 32, INTAKE)
        case.accept_item("business-licence", day, services.calendar.is_workday, AMR)
        pending.append(case)
        if len(pending) == 500:
            services.cases.save(*pending)
            pending = []
        if n % 10_000 == 0:
            print(f"  {n} cases", flush=True)
    if pending:
        services.cases.save(*pending)


def sign_in(app, username: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), response.status_code
    return client


def measure(label: str, url: str, cases: int, rounds: int, profile: list[str], kept: bool = False) -> None:
    services = build_services(Settings(database_url=url, secret_key="bench"))
    services.init_schema()
    if kept:
        print(f"\n{label}: the cases recorded before", flush=True)
    else:
        print(f"\n{label}: recording {cases} cases …", flush=True)
        record(services, cases)
        for username, role, department in (("reviewer-amr", Role.REVIEWER, "amr"),
                                           ("supervisor", Role.SUPERVISOR, None), ("auditor", Role.AUDITOR, None)):
            services.users.add_user(ADMIN, username, DEMO_PASSWORD, role, department)
    started = time.perf_counter()
    report = services.runner.catch_up()
    print(f"  read models: {report.events} events in {time.perf_counter() - started:.1f} s")
    if services.runner.engine.dialect.name == "postgresql":  # as autovacuum leaves a table that stopped growing:
        with services.runner.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")  # its visibility map set, so counts read the index only
    app = create_app({"SERVICES": services, "RATELIMIT_ENABLED": False})
    with services.runner.engine.connect() as connection:  # the middle case's id (from its read model)
        recorded = connection.execute(select(func.count()).select_from(case_table)).scalar_one()
        case_id = connection.execute(select(case_table.c.case_id).where(
            case_table.c.number == f"W-{(recorded + 1) // 2:07d}")).scalar_one()
    clients = {}
    print(f"  {'page':<40}{'median ms':>10}{'p95 ms':>9}")
    for name, (who, path) in PAGES.items():
        path = path.format(case=case_id)
        client = clients.get(who) or clients.setdefault(who, sign_in(app, who))
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"  {name:<40}{statistics.median(times):>10.1f}{p95:>9.1f}")
        if any(part in name for part in profile):
            profiled(client, path)
    dispose_datastores()


def profiled(client, path: str, requests: int = 10) -> None:
    """Where ``requests`` requests of ``path`` spend their time (cumulative, the top functions)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh database is made on it)")
    parser.add_argument("--keep", default="", help="an SQLite file to record into once and measure again later")
    parser.add_argument("--no-sqlite", action="store_true", help="measure on PostgreSQL only")
    parser.add_argument("--profile", action="append", default=[], help="profile the pages whose label has this")
    args = parser.parse_args()
    if args.keep and not args.no_sqlite:  # a second run on the same file measures again without recording
        kept = Path(args.keep).exists()
        measure("SQLite", f"sqlite:///{Path(args.keep).resolve()}", args.cases, args.rounds, args.profile, kept)
    elif not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/web.sqlite3", args.cases, args.rounds, args.profile)
    if args.postgres:
        with fresh_postgres(args.postgres) as url_for:
            measure("PostgreSQL", url_for("web"), args.cases, args.rounds, args.profile)


if __name__ == "__main__":
    main()
