"""SIGKILL rounds under concurrent load: clients write with an ``Idempotency-Key`` each while the server is
killed at random moments and restarted; every unanswered request is retried with the same key and body.

Afterwards nothing acknowledged is lost, nothing is written twice, every answer describes the case as its
own write left it, a re-sent acknowledged request gets its first answer, ``onething audit verify`` passes
and the read models equal a rebuild. Size: ``ONETHING_CRASH_ROUNDS`` (default 5 kills),
``ONETHING_CRASH_CLIENTS`` (4 threads), ``ONETHING_CRASH_SEED``.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from infrastructure.eventstore.persistence import dispose_datastores
from tests.faults.checks import differences_after_rebuild, judge, store_facts
from tests.faults.server import Server, onething
from tests.faults.workload import Ledger, prepare_database, resend_some, run_clients, sign_in

pytestmark = pytest.mark.slow
ROUNDS = int(os.environ.get("ONETHING_CRASH_ROUNDS", "5"))
CLIENTS = int(os.environ.get("ONETHING_CRASH_CLIENTS", "4"))
SEED = int(os.environ.get("ONETHING_CRASH_SEED", "20261207"))
UP_SECONDS = (0.5, 3.0)  # how long the server runs before each SIGKILL (seeded)
RESENT_PER_ROUND = 5


def test_sigkill_rounds_lose_nothing_and_write_nothing_twice(database_url, tmp_path):
    env, services = prepare_database(database_url, tmp_path)
    rng, ledger = random.Random(SEED), Ledger(prefix=f"crash{SEED % 10_000}")
    server = Server(env, tmp_path / "server.log")
    server.start()
    deadline = time.monotonic() + 120 + ROUNDS * 30
    stop = threading.Event()
    threads, failures = [], []
    started = time.monotonic()
    try:
        tokens = sign_in(server)
        threads, failures = run_clients(CLIENTS, server, tokens, ledger, stop, deadline)
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(*UP_SECONDS))
            server.kill()
            server.start()
            resend_some(server, tokens, ledger, rng, RESENT_PER_ROUND, deadline)
        stop.set()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        resend_some(server, tokens, ledger, rng, 4 * RESENT_PER_ROUND, deadline)
    finally:
        stop.set()
        server.stop()
    seconds = time.monotonic() - started
    checkpoint = onething(env, "audit", "checkpoint")
    verify = onething(env, "audit", "verify")
    facts = store_facts(services, ledger.prefix)
    verdict = judge(ledger, facts)
    rebuilt = differences_after_rebuild(services)
    dispose_datastores()

    writes = ledger.writes
    figures = {
        "database": database_url.split(":", 1)[0], "rounds": ROUNDS, "clients": CLIENTS, "seed": SEED,
        "seconds": round(seconds, 1), "writes": len(writes), "acknowledged": len(ledger.acknowledged()),
        "retried": sum(w.attempts > 1 for w in writes), "requests_unanswered": sum(w.unanswered for w in writes),
        "replayed": sum(bool(w.answer and w.answer.replayed) for w in writes), "resent": ledger.resent,
        "lost": len(verdict.lost), "duplicated": len(verdict.duplicated), "wrong_answers": len(verdict.wrong_answers),
        "events_by_key": sum(len(v) for v in facts.events_by_key.values()),
    }
    print("\ncrash figures: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    assert not failures, f"{failures[0]!r}\n{server.log_tail()}"
    assert not any(thread.is_alive() for thread in threads), "a client did not finish in time"
    assert verdict.lost == [], verdict.lost[:5]
    assert verdict.duplicated == [], verdict.duplicated[:5]
    assert figures["events_by_key"] == figures["acknowledged"] == figures["writes"]
    assert verdict.wrong_answers == [], verdict.wrong_answers[:5]
    assert ledger.resent_different == [], ledger.resent_different[:5]
    assert figures["retried"] > 0, "no request was cut off by a kill: the test proved nothing"
    assert checkpoint.returncode == 0, checkpoint.stdout + checkpoint.stderr
    assert verify.returncode == 0 and verify.stdout.startswith("OK"), verify.stdout + verify.stderr
    assert rebuilt == {}, f"read models differ from a rebuild (rows per table): {rebuilt}"
