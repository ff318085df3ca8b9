"""PostgreSQL restarted under load (``pg_ctlcluster … restart -m immediate``, then stopped for a while):
the API answers 503 with ``Retry-After`` during the outage only — never a 500, never a hang — it recovers
within seconds of the database's return, and nothing acknowledged is lost or written twice."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy

from infrastructure.eventstore.persistence import dispose_datastores
from tests.faults.checks import differences_after_rebuild, judge, store_facts
from tests.faults.pg_cluster import PrivateCluster
from tests.faults.server import Answer, Server, onething
from tests.faults.workload import Ledger, prepare_database, run_clients, sign_in
from web.services import Settings, build_services

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
CLIENTS = 4
HELD_DOWN_SECONDS = 3.0  # the second outage: stopped (immediate), kept down, started
RECOVERY_BOUND = 10.0  # seconds after the database is back by which writes must succeed again
ANSWER_BOUND = 15.0  # no request may take longer than this, outage or not


class Watch:
    """Every attempt's time and outcome, and the outage windows."""

    def __init__(self) -> None:
        self.attempts: list[tuple[float, float, Answer | None]] = []
        self.outages: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def observe(self, sent: float, seconds: float, answer: Answer | None) -> None:
        with self.lock:
            self.attempts.append((sent, seconds, answer))

    def recovery(self, back: float) -> float:
        """Seconds from ``back`` to the first write answered 2xx that was sent after it."""
        done = [sent + seconds for sent, seconds, a in self.attempts if sent >= back and a and a.status < 300]
        return min(done) - back if done else float("inf")


def _database(cluster: PrivateCluster) -> str:
    engine = sqlalchemy.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE onething")
    engine.dispose()
    return cluster.url("onething")


def _outages(cluster: PrivateCluster, watch: Watch) -> list[float]:
    """Restart immediately once, then stop and hold down; return the moments the database was back."""
    backs = []
    time.sleep(2.0)
    down = time.monotonic()
    cluster.restart("immediate")
    backs.append(time.monotonic())
    watch.outages.append((down, backs[-1]))
    time.sleep(4.0)
    down = time.monotonic()
    cluster.stop("immediate")
    time.sleep(HELD_DOWN_SECONDS)
    cluster.start()
    backs.append(time.monotonic())
    watch.outages.append((down, backs[-1]))
    time.sleep(RECOVERY_BOUND)
    return backs


def test_a_postgresql_restart_answers_503_during_the_outage_only_and_loses_nothing(tmp_path):
    cluster = PrivateCluster(tmp_path)
    server = None
    try:
        cluster.start()
        url = _database(cluster)
        env, services = prepare_database(url, tmp_path)
        server = Server(env, tmp_path / "server.log")
        server.start()
        ledger, watch, stop = Ledger(prefix="pgdown"), Watch(), threading.Event()
        deadline = time.monotonic() + 180
        threads, failures = run_clients(CLIENTS, server, sign_in(server), ledger, stop, deadline, watch.observe)
        backs = _outages(cluster, watch)
        stop.set()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        server_alive = server.process is not None and server.process.poll() is None
        server.stop()
        dispose_datastores()
        services = build_services(Settings(database_url=url, secret_key="fault-tests",
                                           audit_key=str(tmp_path / "audit-key.pem")))
        verdict = judge(ledger, store_facts(services, ledger.prefix))
        rebuilt = differences_after_rebuild(services)
        dispose_datastores()
        verify = onething(env, "audit", "verify")
    finally:
        if server is not None:
            server.stop()
        dispose_datastores()
        cluster.drop()

    answers = [(sent, seconds, a) for sent, seconds, a in watch.attempts]
    unavailable = [(sent, a) for sent, _, a in answers if a is not None and a.status == 503]
    outside = [sent for sent, _ in unavailable
               if not any(down - 1 <= sent <= back + RECOVERY_BOUND for down, back in watch.outages)]
    recoveries = [watch.recovery(back) for back in backs]
    figures = {
        "outage_seconds": [round(back - down, 1) for down, back in watch.outages], "503s": len(unavailable),
        "recovery_seconds": [round(r, 2) for r in recoveries],
        "slowest_answer_seconds": round(max(seconds for _, seconds, _ in answers), 2),
        "writes": len(ledger.writes), "acknowledged": len(ledger.acknowledged()),
        "lost": len(verdict.lost), "duplicated": len(verdict.duplicated),
    }
    print("\npostgres restart figures: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    assert not failures, f"{failures[0]!r}\n{server.log_tail()}"
    assert server_alive, "the server died with its database"
    assert [a.status for _, _, a in answers if a is not None and a.status >= 500 and a.status != 503] == []
    assert all(a.headers.get("retry-after", "").isdigit() for _, a in unavailable)
    assert len(unavailable) > 0, "no request met the outage: the test proved nothing"
    assert outside == [], f"503s outside the outages (seconds after start): {outside[:5]}"
    assert sum(a is None for _, _, a in answers) == 0, "the server left requests unanswered"
    assert figures["slowest_answer_seconds"] <= ANSWER_BOUND
    assert all(r <= RECOVERY_BOUND for r in recoveries), recoveries
    assert verdict.lost == [] and verdict.duplicated == [] and verdict.wrong_answers == [], verdict
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert rebuilt == {}, rebuilt
