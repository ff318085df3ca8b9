"""Clients that write through the API with an ``Idempotency-Key`` each and retry every unanswered request
with the same key and body until it is answered — as an operator's clients do while a server is killed.

Each client drives whole restaurant cases (open, every material, each department's accept, inspect,
approve — which issues the item's certificates — and the separate issue only for an item its approval left
without certificates); the command's reason is its key, so the store shows which request wrote which event
(derived events, such as the certificates issued on approval and the completion, carry their own reasons).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.server import Answer, Server, call, onething, server_env

VALID_CODE = "91110000600037341L"
MATERIALS = ("applicant-id", "registration-application", "articles-of-association", "premises-proof",
             "food-permit-application", "floor-plan", "food-safety-rules", "food-safety-manager",
             "staff-health-certificates", "commitment-letter", "seal-application", "agent-authorization")
REVIEWS = (  # (user, item, actions) in an order the case's prerequisites allow; approval issues certificates
    ("reviewer-amr", "business-licence", ("accept", "approve")),
    ("reviewer-amr-food", "food-permit", ("accept", "inspect", "approve")),
    ("reviewer-psb", "seal-engraving", ("accept", "approve")),
)
USERS = {"window1": ("intake", None), "reviewer-amr": ("reviewer", "amr"),
         "reviewer-amr-food": ("reviewer", "amr-food"), "reviewer-psb": ("reviewer", "psb")}
PASSWORD = "fault-tests-Qu4nch3ng-Xiaoguan"
RETRY_LATER = {"in_progress", "unavailable", "busy"}  # error codes that ask the client to send again
Observer = Callable[[float, float, "Answer | None"], None]  # (sent at, seconds taken, answer or None)


class Unanswered(Exception):
    """Raised when a request got no final answer before the test's deadline."""


@dataclass
class Write:
    """One write request, sent (and perhaps re-sent) with one key and one body."""

    key: str
    user: str
    path: str
    body: dict[str, Any]
    expected: int
    answer: Answer | None = None  # the final answer of the first sending (after retries)
    attempts: int = 0  # requests sent until it was answered
    unanswered: int = 0  # of those: no answer (refused, cut, timed out) or "try again later"


@dataclass
class Ledger:
    """Every write of a run and the figures the test prints."""

    prefix: str
    writes: list[Write] = field(default_factory=list)
    resent: int = 0
    resent_different: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def new(self, user: str, path: str, body: dict[str, Any], expected: int) -> Write:
        key = f"{self.prefix}-{uuid.uuid4().hex[:16]}"
        write = Write(key, user, path, {**body, "reason": key}, expected)
        with self.lock:
            self.writes.append(write)
        return write

    def acknowledged(self) -> list[Write]:
        with self.lock:
            return [w for w in self.writes if w.answer is not None and w.answer.status == w.expected]


class Client:
    """Sends writes to whichever port the server has now, retrying until answered or ``deadline``."""

    def __init__(self, server: Server, tokens: dict[str, str], ledger: Ledger, deadline: float,
                 observe: Observer | None = None):
        self.server, self.tokens, self.ledger, self.deadline = server, tokens, ledger, deadline
        self.observe = observe

    def send(self, write: Write) -> Answer:
        """Send ``write`` until it is answered (other than "try again"); count what it took."""
        headers = {"Authorization": f"Bearer {self.tokens[write.user]}", "Idempotency-Key": write.key}
        pause = 0.05
        while time.monotonic() < self.deadline:
            write.attempts += 1
            sent = time.monotonic()
            try:
                answer = call(self.server.port, "POST", write.path, write.body, headers, timeout=30)
            except OSError:
                answer = None
            if self.observe is not None:
                self.observe(sent, time.monotonic() - sent, answer)
            if answer is not None and not (answer.status == 503 or answer.error_code in RETRY_LATER):
                return answer
            write.unanswered += 1
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        raise Unanswered(f"{write.path} ({write.key}) was not answered in time")

    def do(self, user: str, path: str, body: dict[str, Any], expected: int = 200) -> Answer:
        """A new write, sent until answered; its answer is kept."""
        write = self.ledger.new(user, path, body, expected)
        write.answer = self.send(write)  # an unexpected answer is reported by the checks (``judge``)
        return write.answer

    def run_case(self, name: str) -> None:
        """One restaurant case from opening to completion."""
        opened = self.do("window1", "/api/v1/cases", {
            "bundle": "restaurant-opening", "channel": "window", "applicant": {"name": name, "credit_code": VALID_CODE},
        }, 201)
        if opened.status != 201:
            raise AssertionError(f"opening a case answered {opened.status}: {opened.body[:300]!r}")
        case = f"/api/v1/cases/{opened.json()['id']}"
        for material in MATERIALS:
            self.do("window1", f"{case}/materials", {
                "key": material, "filename": f"{material}.pdf",
                "sha256": hashlib.sha256(f"{name}:{material}".encode()).hexdigest()})
        for user, item, actions in REVIEWS:
            for action in actions:
                body = {"method": "video", "passed": True} if action == "inspect" else {}
                answer = self.do(user, f"{case}/items/{item}/{action}", body)
                if action == "approve" and approved_without_certificates(answer, item):
                    self.do(user, f"{case}/items/{item}/issue", {})


def approved_without_certificates(answer: Answer, item: str) -> bool:
    """Whether the approval answered left ``item`` approved without certificates (an output issued later than
    approval): only then is the separate issue step legal; else it is refused as already issued."""
    if answer.status != 200:
        return False
    state = next(i for i in answer.json()["items"] if i["code"] == item)
    return state["status"] == "approved" and not state["certificates"]


def run_clients(count: int, server: Server, tokens: dict[str, str], ledger: Ledger, stop: threading.Event,
                deadline: float, observe: Observer | None = None,
                ) -> tuple[list[threading.Thread], list[BaseException]]:
    """Start ``count`` client threads that open and complete cases until ``stop`` (each ends its case)."""
    failures: list[BaseException] = []

    def work(number: int) -> None:
        client, serial = Client(server, tokens, ledger, deadline, observe), 0
        try:
            while not stop.is_set():
                serial += 1
                client.run_case(f"{ledger.prefix}-{number}-{serial} 餐饮有限公司")
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,), daemon=True, name=f"client-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    return threads, failures


def resend_some(server: Server, tokens: dict[str, str], ledger: Ledger, rng: random.Random, count: int,
                deadline: float) -> None:
    """Send ``count`` acknowledged writes again with their key and body: each must get its first answer."""
    done = ledger.acknowledged()
    client = Client(server, tokens, ledger, deadline)
    for write in rng.sample(done, min(count, len(done))):
        again = client.send(Write(write.key, write.user, write.path, write.body, write.expected))
        ledger.resent += 1
        first = write.answer
        assert first is not None
        if not (again.replayed and again.status == first.status and again.json() == first.json()):
            ledger.resent_different.append(f"{write.path} {write.key}: {again.status} {again.body[:200]!r}")


def sign_in(server: Server) -> dict[str, str]:
    """A bearer token for each user of the workload."""
    tokens = {}
    for username in USERS:
        answer = call(server.port, "POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert answer.status == 200, answer.body
        tokens[username] = answer.json()["token"]
    return tokens


def prepare_database(database_url: str, folder: Path) -> tuple[dict[str, str], Any]:
    """``onething db init``, the audit key, the restaurant catalogue and the workload's users; return the
    servers' environment and services on the database (for the checks)."""
    from infrastructure.audit.offline_verifier import generate_key
    from infrastructure.catalogue.files import sample_catalogue
    from tests.conftest import ADMIN
    from web.services import Settings, build_services

    env = server_env(database_url, folder)
    result = onething(env, "db", "init")
    assert result.returncode == 0, result.stderr
    generate_key(folder / "audit-key.pem")
    services = build_services(Settings(database_url=database_url, secret_key="fault-tests",
                                       audit_key=str(folder / "audit-key.pem")))
    services.catalogue.publish_file(sample_catalogue()["restaurant-opening.json"], ADMIN)
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    return env, services
