"""A real ``onething run`` in a subprocess, for fault tests: start it, SIGKILL it, start it again.

Loopback only. Every wait has a timeout; a server that does not come up fails the test with its log.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ONETHING = [sys.executable, "-c", "from web.cli import main; main()"]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server on ``database_url`` (its audit key and log kept in ``folder``)."""
    return {
        **os.environ, "PYTHONPATH": str(ROOT), "ONETHING_DATABASE_URL": database_url,
        "ONETHING_SECRET_KEY": "fault-tests", "ONETHING_AUDIT_KEY": str(folder / "audit-key.pem"),
        "ONETHING_AUDIT_INTERVAL": "1", "ONETHING_SLA_INTERVAL": "3600", "ONETHING_ENV": "development",
        **extra,
    }


def onething(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``onething ARGS`` to the end; return its result (exit status, output)."""
    return subprocess.run([*ONETHING, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@dataclass
class Answer:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotent-replayed") == "true"

    @property
    def error_code(self) -> str | None:
        data = self.json() if self.headers.get("content-type", "").startswith("application/json") else None
        return data["error"]["code"] if isinstance(data, dict) and "error" in data else None


def call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> Answer:
    """Send one request on a new connection; raise ``OSError`` (refused, reset, timed out) if none is answered."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    except http.client.HTTPException as error:  # a connection cut mid-answer (the server was killed)
        raise ConnectionError(str(error)) from error
    finally:
        connection.close()


@dataclass
class Server:
    """``onething run`` on a free loopback port; ``port`` changes at every start."""

    env: dict[str, str]
    log_path: Path
    projections: bool = True
    threads: int = 8
    workers: int = 1
    port: int = 0
    starts: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once ``/healthz`` answers 200."""
        assert self.process is None, "already running"
        self.port, self.starts = free_port(), self.starts + 1
        args = ["run", "--host", HOST, "--port", str(self.port), "--threads", str(self.threads),
                "--workers", str(self.workers)]
        if not self.projections:
            args.append("--no-projections")
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts} on port {self.port}\n".encode())
            self.process = subprocess.Popen([*ONETHING, *args], cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if call(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the server and every process it started (no clean-up of any kind) and reap it."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: its workers too
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after 10 s."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
