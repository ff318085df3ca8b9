"""Eight deciders of one item at once, through two server processes: only 200s and clean 409s, exactly
one decision recorded — with ``If-Match`` (the version each saw) and without (retried on fresh state)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from infrastructure.eventstore.persistence import dispose_datastores
from tests.conftest import ADMIN, AMR, INTAKE, VALID_CODE, make_services, restaurant_file
from tests.faults.server import Answer, Server, call, onething, server_env

pytestmark = pytest.mark.slow
DECIDERS = 8
ROUNDS = 6  # cases; odd rounds send If-Match
PASSWORD = "contention-Qu4nch3ng-Xiaoguan"
DECISIONS = ("ItemApproved", "ItemRejected")


def _servers(database_url: str, folder: Path) -> list[Server]:
    env = server_env(database_url, folder)
    servers = [Server(env, folder / f"server-{n}.log", projections=False) for n in range(2)]
    for server in servers:
        server.start()
    return servers


def _decide(server: Server, token: str, path: str, action: str, version: int | None,
            barrier: threading.Barrier) -> Answer:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    barrier.wait(timeout=30)
    return call(server.port, "POST", path, {"reason": f"{action} at once"}, headers, timeout=60)


def test_eight_deciders_of_one_item_record_exactly_one_decision(database_url, tmp_path):
    services = make_services(database_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    services.users.add_user(ADMIN, AMR.user_id, PASSWORD, "reviewer", "amr")
    servers = _servers(database_url, tmp_path)
    codes: Counter[str] = Counter()
    try:
        token = call(servers[0].port, "POST", "/api/v1/auth/token",
                     {"username": AMR.user_id, "password": PASSWORD}).json()["token"]
        for number in range(ROUNDS):
            case_id = services.cases.intake.open_case(INTAKE, "restaurant-opening", f"并发{number}餐饮有限公司",
                                               VALID_CODE, "window").id
            services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", "ab" * 32)
            version = services.cases.review.accept_item(AMR, case_id, "business-licence").version
            barrier = threading.Barrier(DECIDERS)
            with ThreadPoolExecutor(DECIDERS) as pool:
                futures = [pool.submit(_decide, servers[n % 2], token,
                                       f"/api/v1/cases/{case_id}/items/business-licence/"
                                       f"{'approve' if n % 2 else 'reject'}",
                                       "approve" if n % 2 else "reject", version if number % 2 else None, barrier)
                           for n in range(DECIDERS)]
                answers = [f.result(timeout=120) for f in futures]
            statuses = Counter(a.status for a in answers)
            codes.update(a.error_code or str(a.status) for a in answers)
            assert set(statuses) <= {200, 409}, [(a.status, a.body[:200]) for a in answers]
            assert statuses[200] == 1, statuses
            assert all(a.error_code for a in answers if a.status == 409)  # the error model, with its code
            decisions = [e for e in services.cases.events.get(case_id)
                         if type(e).__name__ in DECISIONS and e.item == "business-licence"]
            assert len(decisions) == 1, [type(e).__name__ for e in decisions]
            winner = next(a for a in answers if a.status == 200).json()
            status = next(i["status"] for i in winner["items"] if i["code"] == "business-licence")
            assert status == {"ItemApproved": "approved", "ItemRejected": "rejected"}[type(decisions[0]).__name__]
    finally:
        for server in servers:
            server.stop()
        dispose_datastores()
    print(f"\ncontention: {ROUNDS} cases x {DECIDERS} deciders on 2 processes: {dict(codes)}")
    verify = onething(server_env(database_url, tmp_path), "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
