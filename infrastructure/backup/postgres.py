"""The PostgreSQL half of ``infrastructure.backup.archive``: ``pg_dump`` on an exported snapshot, ``pg_restore`` into
an empty database.

The dump runs on a snapshot exported by a REPEATABLE READ transaction that also counts what the dump holds,
so the manifest describes exactly the dumped rows while the server keeps writing. The client programs must be
of the server's major version or newer: ``pg_tool`` looks on PATH and in the usual install directories
(Debian's ``/usr/lib/postgresql/N/bin``, the PGDG packages' ``/usr/pgsql-N/bin``) and takes the closest
version that is not older. They get the URL's parts as a libpq connection string and the password, if any, in
a private password file (``PGPASSFILE``): never on a command line, which every user of the machine can read.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from infrastructure.backup.contents import BackupError, Progress, contents, create_private
from infrastructure.eventstore.persistence import describe_url

DUMP_FILE = "onething.dump"
TOOL_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")
LIBPQ_KEYWORDS = frozenset({"host", "hostaddr", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl",
                            "connect_timeout", "options", "target_session_attrs", "gssencmode", "service"})
USER_RELATIONS = text("""
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
      AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
""")


def dump(url: str, file: Path, event_tables: Mapping[str, str], progress: Progress) -> dict[str, Any]:
    """Dump the database at ``url`` into the new file ``file`` (custom format, 0600); return what it holds."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    try:
        with _connect(engine, url) as connection:
            version, major = _server_version(connection)
            pg_dump = pg_tool("pg_dump", major)
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            held = contents(url, event_tables, connection)  # the snapshot pg_dump copies
            create_private(file)
            with file.open("wb") as out, _libpq_environment(url) as env:
                _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--verbose", f"--dbname={conninfo(url)}"],
                     env, out, "dumping contents of table", held["tables"], progress)
            connection.rollback()
    finally:
        engine.dispose()
    return {**held, "server_version": version}


def restore(file: Path, url: str, manifest: Mapping[str, Any], progress: Progress) -> None:
    """Restore the dump ``file`` into the empty database at ``url``, all or nothing (one transaction)."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with _connect(engine, url) as connection:
            _version, major = _server_version(connection)
            relations = connection.execute(USER_RELATIONS).scalar_one()
            if relations:
                raise BackupError(f"{describe_url(url)} is not empty ({relations} tables, views or sequences): "
                                  "restore into a new, empty database (createdb NAME)")
            pg_restore = pg_tool("pg_restore", major)
            with _libpq_environment(url) as env:
                _run([pg_restore, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
                      "--verbose", f"--dbname={conninfo(url)}", str(file)],
                     env, None, "processing data for table", int(manifest.get("tables") or 1), progress)
            connection.execute(text("ANALYZE"))  # a restore brings rows, not the planner's statistics
    finally:
        engine.dispose()


# The client programs ----------------------------------------------------------------------------------
def pg_tool(name: str, server_major: int) -> str:
    """The path of ``name`` (``pg_dump``, ``pg_restore``) for a server of ``server_major``: the same major
    version if there is one, else the nearest newer; raises ``BackupError`` if none is installed."""
    found: dict[str, int] = {}
    for candidate in [shutil.which(name), *(p for d in TOOL_DIRS for p in sorted(glob.glob(f"{d}/{name}")))]:
        if candidate and os.access(candidate, os.X_OK) and candidate not in found:
            major = _tool_major(candidate)
            if major is not None:
                found[candidate] = major
    usable = sorted((major, path) for path, major in found.items() if major >= server_major)
    if not usable:
        seen = ", ".join(f"{path} ({major})" for path, major in found.items()) or "none"
        raise BackupError(f"no {name} for PostgreSQL {server_major} or newer (looked on PATH and in "
                          f"{', '.join(TOOL_DIRS)}; found: {seen}): install the PostgreSQL {server_major} client "
                          f"programs (Debian: apt install postgresql-client-{server_major})")
    return usable[0][1]


def _tool_major(path: str) -> int | None:
    try:
        answer = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", answer)
    return int(match.group(1)) if match else None


def _run(command: list[str], env: dict[str, str], stdout: IO[bytes] | None, marker: str, total: int,
         progress: Progress) -> None:
    """Run a client program, counting its ``--verbose`` lines that contain ``marker`` as progress."""
    name = Path(command[0]).name
    process = subprocess.Popen(command, stdout=stdout if stdout is not None else subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env, text=True, errors="replace")
    assert process.stderr is not None
    problems: deque[str] = deque(maxlen=6)
    done = 0
    try:
        for line in process.stderr:
            if marker in line:
                done += 1
                progress(min(done, total), total)
            elif re.search(r"error|fatal|detail|hint|warning", line, re.IGNORECASE):
                problems.append(line.strip())
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    if code != 0:
        raise BackupError(f"{name} failed (exit status {code}): " + (" / ".join(problems) or "no message"))


# Connections -------------------------------------------------------------------------------------------
@contextmanager
def _connect(engine: Engine, url: str) -> Iterator[Connection]:
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:
        reason = str(error.__cause__ or error).strip().splitlines()[0]
        hint = ": create it first (createdb)" if "does not exist" in reason else ""
        raise BackupError(f"cannot reach the PostgreSQL database {describe_url(url)}: {reason}{hint}") from error
    with connection:
        yield connection


def _server_version(connection: Connection) -> tuple[str, int]:
    number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return connection.execute(text("SHOW server_version")).scalar_one(), number // 10_000


def conninfo(url: str) -> str:
    """A libpq connection string with the parts of ``url`` but its password."""
    parsed = make_url(url)
    parts: dict[str, Any] = {"host": parsed.host, "port": parsed.port, "user": parsed.username,
                             "dbname": parsed.database}
    for key, value in parsed.query.items():
        if key in LIBPQ_KEYWORDS:
            parts[key] = value[-1] if isinstance(value, tuple) else value
    return " ".join(f"{key}={_quoted(value)}" for key, value in parts.items() if value not in (None, ""))


def _quoted(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


@contextmanager
def _libpq_environment(url: str) -> Iterator[dict[str, str]]:
    """The client programs' environment: English messages (progress is read from them), a connect timeout,
    and the URL's password in a password file only the owner reads, removed afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANGUAGE")}
    env["LC_MESSAGES"] = "C"
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    password = make_url(url).password
    if password is None:
        yield env
        return
    folder = tempfile.mkdtemp(prefix="onething-pg-")  # mode 0700
    try:
        passfile = Path(folder) / "pgpass"
        create_private(passfile)
        escaped = str(password).replace("\\", "\\\\").replace(":", "\\:")
        passfile.write_text(f"*:*:*:*:{escaped}\n", encoding="utf-8")
        env["PGPASSFILE"] = str(passfile)
        env.pop("PGPASSWORD", None)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)
