"""The HTTP service under load: requests per second and latency of real servers on loopback.

Not a test: it prints figures. Usage::

    python benchmarks/http_load.py [--workers 1,2,4] [--seconds 8] [--clients 8] [--cases 300] [--postgres URL]

For each number of web processes it starts the documented deployment on a fresh PostgreSQL database —
``onething run --workers N --no-projections`` and one ``onething projections run`` — with ``--cases`` cases
recorded beforehand, then drives it from ``--clients`` client processes (one keep-alive connection each, on
127.0.0.1 only) for ``--seconds`` per mix:

* ``trivial``: ``GET /healthz`` (one indexed read of the event store): the HTTP stack's own ceiling;
* ``read-heavy``: 9 reads to 1 write — the case list, a department's queue, one case — and opening a case;
* ``write-heavy``: 1 read to 1 write.

Every read presents the ``X-Consistency-Token`` of its client's last write, as API clients should. It reports
requests/s, p50 and p99 latency and errors per mix, and each mix's requests/s as a ratio to ``trivial`` on the
same server in the same run. Any error (a status ≥ 400 or a failed connection) makes the exit status 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import fresh_postgres  # noqa: E402

from domain.shared.values import Actor, Role  # noqa: E402
from infrastructure.catalogue.files import sample_catalogue  # noqa: E402
from infrastructure.eventstore.persistence import dispose_datastores  # noqa: E402
from infrastructure.licences.signing import LicenceKey  # noqa: E402
from web.services import Settings, build_services  # noqa: E402

ONETHING = str(Path(sys.executable).with_name("onething"))
ADMIN = Actor("bench-admin", Role.ADMIN)
PASSWORD = "bench-password-1"
USERS = {"bench-intake": ("intake", None), "bench-amr": ("reviewer", "amr"), "bench-super": ("supervisor", None)}
CASE = {"bundle": "restaurant-opening", "channel": "window",
        "applicant": {"name": "基准餐饮有限公司", "credit_code": "91110000600037341L"}}
MIXES = {"trivial": 0.0, "read-heavy": 0.1, "write-heavy": 0.5}  # mix: share of writes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, folder: Path, cases: int) -> dict[str, str]:
    """The schema, the restaurant bundle, the users and ``cases`` cases; the environment of the processes."""
    licence = folder / "licence-key.pem"
    LicenceKey(licence).create()
    settings = Settings(database_url=url, secret_key="bench", audit_key=str(folder / "audit-key.pem"),
                        licence_key=str(licence), files_url=str(folder / "files"))
    services = build_services(settings)
    services.init_schema()
    services.catalogue.publish_file(sample_catalogue()["restaurant-opening.json"], ADMIN)
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    intake = Actor("bench-intake", Role.INTAKE)
    for n in range(cases):
        services.cases.intake.open_case(intake, "restaurant-opening", f"基准餐饮{n}", "91110000600037341L", "window")
    services.runner.catch_up()
    dispose_datastores()
    return {**os.environ, "ONETHING_DATABASE_URL": url, "ONETHING_SECRET_KEY": "bench",
            "ONETHING_AUDIT_KEY": settings.audit_key, "ONETHING_LICENCE_KEY": settings.licence_key,
            "ONETHING_FILES_URL": settings.files_url, "ONETHING_NOTIFY_INTERVAL": "0",
            "ONETHING_SECRET_KEY_FILE": str(folder / "secret-key")}


def request(connection: http.client.HTTPConnection, method: str, path: str, token: str | None = None,
            body: Any = None, consistency: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if consistency:
        headers["X-Consistency-Token"] = consistency
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def sign_in(port: int) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    tokens = {}
    for username in USERS:
        status, _, body = request(connection, "POST", "/api/v1/auth/token", body={"username": username,
                                                                                  "password": PASSWORD})
        assert status == 200, body
        tokens[username] = json.loads(body)["token"]
    connection.close()
    return tokens


def client(port: int, tokens: dict[str, str], mix: str, seconds: float, seed: int, out: Any) -> None:
    """One client: a keep-alive connection, requests of ``mix`` for ``seconds``; sends its latencies and errors."""
    rng, writes = random.Random(seed), MIXES[mix]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors: list[str] = []
    last, case_ids = None, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if mix == "trivial":
                status, _, body = request(connection, "GET", "/healthz")
            elif rng.random() < writes:
                status, headers, body = request(connection, "POST", "/api/v1/cases", tokens["bench-intake"], CASE,
                                                consistency=last)
                if status == 201:
                    last = headers.get("x-consistency-token", last)
                    case_ids.append(json.loads(body)["id"])
            else:
                choice = rng.random()
                if choice < 0.4:
                    path, who = "/api/v1/cases?per_page=20", "bench-super"
                elif choice < 0.7:
                    path, who = "/api/v1/queues/amr", "bench-amr"
                else:
                    path = f"/api/v1/cases/{case_ids[-1]}" if case_ids else "/api/v1/cases?per_page=5"
                    who = "bench-intake"
                status, _, body = request(connection, "GET", path, tokens[who], consistency=last)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__}: {error}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
        if status >= 400:
            errors.append(f"{status}: {body[:200]!r}")
    connection.close()
    out.put((latencies, errors))


def drive(port: int, tokens: dict[str, str], mix: str, seconds: float, clients: int) -> dict[str, Any]:
    queue: Any = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=client, args=(port, tokens, mix, seconds, n, queue))
                 for n in range(clients)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    results = [queue.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(lat for lats, _ in results for lat in lats)
    errors = [e for _, errs in results for e in errs]
    return {"requests": len(latencies), "rate": len(latencies) / elapsed,
            "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0, "errors": errors}


def wait_answering(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {process.communicate()[0].decode(errors='replace')}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if request(connection, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer in {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="web processes to try, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="per mix and number of workers")
    parser.add_argument("--clients", type=int, default=8, help="client processes, one connection each")
    parser.add_argument("--cases", type=int, default=300, help="cases recorded before the load")
    parser.add_argument("--postgres", default=os.environ.get("ONETHING_TEST_POSTGRES_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    print(f"HTTP under load: {args.clients} clients, {args.seconds:g} s per mix, {args.cases} cases, "
          f"{os.cpu_count()} CPUs, PostgreSQL; client and server share this machine")
    print(f"{'workers':>7} {'mix':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'to trivial':>10}")
    failed = False
    with fresh_postgres(args.postgres) as url_for, tempfile.TemporaryDirectory() as folder:
        for count in workers:
            env = prepare(url_for(f"http{count}"), Path(folder) / f"w{count}", args.cases)
            port = free_port()
            worker = subprocess.Popen([ONETHING, "projections", "run"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT)
            server = subprocess.Popen([ONETHING, "run", "--workers", str(count), "--no-projections", "--port",
                                       str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                wait_answering(port, server)
                tokens = sign_in(port)
                trivial = None
                for mix in MIXES:
                    result = drive(port, tokens, mix, args.seconds, args.clients)
                    trivial = trivial or result["rate"]
                    failed = failed or bool(result["errors"])
                    print(f"{count:>7} {mix:<12} {result['rate']:>8.0f} {result['p50']:>8.1f} {result['p99']:>8.1f} "
                          f"{len(result['errors']):>6} {result['rate'] / trivial:>10.2f}", flush=True)
                    for error in result["errors"][:3]:
                        print(f"        {error}")
            finally:
                stop(server)
                stop(worker)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
