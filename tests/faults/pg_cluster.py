"""A PostgreSQL cluster of one test's own, on a free loopback port, to stop and restart at will.

The shared server on 5432 (other tests, CI) is never touched. As root, Debian's ``pg_createcluster`` /
``pg_ctlcluster`` make and run it (the postgres user owns it); as anyone else, ``initdb`` and ``pg_ctl`` in
a temporary directory. Without either, the test is skipped — or fails in CI (``ONETHING_REQUIRE_POSTGRES``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.faults.server import HOST, free_port

BIN = Path("/usr/lib/postgresql")
TIMEOUT = 60


def _version() -> str | None:
    """The newest installed PostgreSQL server version (Debian's layout), if any."""
    found = [p.name for p in BIN.glob("*") if (p / "bin" / "initdb").exists()] if BIN.exists() else []
    return max(found, key=int) if found else None


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")


class PrivateCluster:
    """``start``, ``stop(mode)``, ``restart(mode)`` and ``drop`` one private cluster."""

    def __init__(self, folder: Path):
        version = _version()
        self.as_root = os.geteuid() == 0
        if version is None or (self.as_root and shutil.which("pg_createcluster") is None):
            message = "no PostgreSQL server binaries to make a private cluster (apt-get install postgresql)"
            if os.environ.get("ONETHING_REQUIRE_POSTGRES"):
                pytest.fail(message)
            pytest.skip(message)
        self.version, self.port = str(version), free_port()
        self.name = f"onething_faults_{uuid.uuid4().hex[:8]}"
        self.data = folder / "pgdata"
        self.bin = BIN / self.version / "bin"
        if self.as_root:
            _run("pg_createcluster", self.version, self.name, "-p", str(self.port), "--",
                 "--auth=trust", "--no-sync")
        else:
            _run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{database}"

    def _ctl(self, action: str, mode: str | None = None) -> None:
        if self.as_root:
            _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action,
                 *(["-m", mode] if mode else []))
        else:
            options = f"-p {self.port} -k {self.data} -c listen_addresses={HOST}"
            _run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", str(TIMEOUT), "-o", options,
                 "-l", str(self.data.parent / "postgres.log"), action, *(["-m", mode] if mode else []))

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", mode)

    def restart(self, mode: str = "immediate") -> None:
        self._ctl("restart", mode)

    def drop(self) -> None:
        """Stop the cluster and delete it with its data."""
        if self.as_root:
            subprocess.run(["pg_dropcluster", "--stop", self.version, self.name], capture_output=True, timeout=TIMEOUT)
        else:
            subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=TIMEOUT)
            shutil.rmtree(self.data, ignore_errors=True)
