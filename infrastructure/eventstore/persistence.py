"""Where events are kept: configuration of eventsourcing-sqlalchemy, and the schema step.

* ``database_url()`` reads ``ONETHING_DATABASE_URL`` (default: SQLite under ./instance/).
* ``application_env()`` is the eventsourcing environment every OneThing application gets, with the
  cipher of ``infrastructure.eventstore.cipher`` (stored state encrypted when a key is configured).
* ``OneThingFactory`` shares one engine per URL in a process, sets SQLite pragmas (WAL,
  busy timeout) and uses the faster recorders of ``infrastructure.eventstore.recorders``.
* ``init_schema()`` creates every table once, under an advisory lock on PostgreSQL: processes
  started later never create tables themselves (``CREATE_TABLE=n``), because several of them
  creating a schema at once on PostgreSQL crash each other ("tuple concurrently updated").
* A SQLite database file is created with mode 0600 (SQLite gives its -wal and -shm files the same mode);
  an existing one that group or others may use is narrowed to its owner when it is opened.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from infrastructure.eventstore.cipher import cipher_env
from infrastructure.eventstore.recorders import (
    CoreSelectMixin,
    FastAggregateRecorder,
    FastApplicationRecorder,
    OneThingDatastore,
    engine_of,
    sql_recorder,
)

DEFAULT_SQLITE_PATH = Path("instance") / "onething.sqlite3"
SCHEMA_LOCK_KEY = 7_305_001  # PostgreSQL advisory lock id used while creating tables
SQLITE_BUSY_TIMEOUT_MS = 10_000

_datastores: dict[str, SQLAlchemyDatastore] = {}
_datastores_lock = threading.Lock()
logger = logging.getLogger(__name__)


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """Return the configured database URL (a SQLite file under ./instance/ by default)."""
    url = (os.environ if environ is None else environ).get("ONETHING_DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def application_env(url: str, create_tables: bool = False, *, cipher_key: str = "", cipher_old_keys: str = "",
                    production: bool = False) -> dict[str, str]:
    """Return the eventsourcing environment for an application on ``url``: stored state is encrypted
    with ``cipher_key`` if given (``infrastructure.eventstore.cipher``; raises ``CipherConfigError`` for a bad key,
    or for a production start without one)."""
    return {
        "PERSISTENCE_MODULE": f"{__name__}:OneThingFactory",
        "SQLALCHEMY_URL": url,
        "CREATE_TABLE": "y" if create_tables else "n",
        "TRANSCODER_TOPIC": "infrastructure.eventstore.transcoder:OneThingTranscoder",  # reads JSON with orjson
        **cipher_env(cipher_key, cipher_old_keys, production),
    }


def shared_datastore(url: str) -> SQLAlchemyDatastore:
    """Return this process's datastore for ``url`` (one engine, pool and write lock per URL)."""
    with _datastores_lock:
        datastore = _datastores.get(url)
        if datastore is None:
            private_sqlite_file(url)
            datastore = OneThingDatastore(url=url)
            if datastore.engine is not None and datastore.engine.dialect.name == "sqlite":
                event.listen(datastore.engine, "connect", _sqlite_pragmas)
            _datastores[url] = datastore
        return datastore


def dispose_datastores(close: bool = True) -> None:
    """Close every pooled connection of this process (tests, and before forking workers); ``close=False``
    in a forked child drops the ones it inherited without closing them under their owner."""
    with _datastores_lock:
        for datastore in _datastores.values():
            if isinstance(datastore.engine, Engine):
                datastore.engine.dispose(close=close)
        _datastores.clear()


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file of ``url`` with mode 0600 before SQLite does (with 0644 under the usual
    umask); take the group and other bits off an existing one and its -wal and -shm files."""
    parsed = make_url(url)
    path = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return
    if not Path(path).parent.is_dir():
        return  # SQLite names the missing folder itself
    try:  # an empty file is an empty database to SQLite
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
                logger.warning("%s was readable by others (mode %o): now %o", name, mode, mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:
            logger.warning("%s can be read by others and is not ours to narrow: chmod 600 it", name)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


class OneThingFactory(SQLAlchemyFactory):
    """eventsourcing-sqlalchemy's factory with a shared datastore and faster recorders."""

    application_recorder_class = FastApplicationRecorder
    aggregate_recorder_class = FastAggregateRecorder

    def __init__(self, env: Environment):  # noqa: D107 - replaces the parent's datastore set-up
        super(SQLAlchemyFactory, self).__init__(env)
        self._schema_name = self.env.get(self.SQLALCHEMY_SCHEMA)
        url = self.env.get(self.SQLALCHEMY_URL)
        if not url:
            raise ValueError("SQLALCHEMY_URL is not set")
        self.datastore = shared_datastore(url)

    def application_recorder(self) -> FastApplicationRecorder:
        """The events recorder, of the class this factory makes."""
        return sql_recorder(super().application_recorder())

    def aggregate_recorder(self, purpose: str = "events") -> FastAggregateRecorder:
        """The snapshots recorder, of the class this factory makes."""
        recorder = super().aggregate_recorder(purpose)
        if not isinstance(recorder, FastAggregateRecorder):
            raise TypeError(f"expected a FastAggregateRecorder, not {recorder!r}")
        return recorder


def init_schema(url: str, stores: dict[str, bool], then: Callable[[], None] = lambda: None) -> list[str]:
    """Create the tables of each named event store once, then run ``then`` (more tables), all
    under one PostgreSQL advisory lock; return the event stores' table names.

    ``stores`` maps an application name (``Cases``) to whether it keeps snapshots.
    """
    engine = engine_of(shared_datastore(url))
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
            connection.commit()
        try:
            tables: list[str] = []
            for name, has_snapshots in stores.items():
                factory = OneThingFactory(Environment(name, application_env(url, True)))
                events = factory.application_recorder()
                events.adopt_chain()
                recorders: list[CoreSelectMixin] = [events]
                if has_snapshots:
                    recorders.append(factory.aggregate_recorder(purpose="snapshots"))
                tables += [t.name for r in recorders for t in r.tables]
            then()
            return tables
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK_KEY})
                connection.commit()


def describe_url(url: str) -> str:
    """Return ``url`` with any password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)
