"""Shared by the backup tests: a record worth restoring, a fresh place to restore it, read-model rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from infrastructure.audit.offline_verifier import generate_key
from infrastructure.eventstore.persistence import dispose_datastores
from infrastructure.readmodels.tables import metadata as read_model_metadata
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import ADMIN, INTAKE, POSTGRES_URL, VALID_CODE, restaurant_file
from web.services import Services, Settings, build_services


def services_on(url: str, key: Path) -> Services:
    """Services on ``url`` signing with ``key`` (schema created)."""
    services = build_services(Settings(database_url=url, secret_key="test", audit_key=str(key)))
    services.init_schema()
    return services


def make_record(services: Services) -> dict[str, Any]:
    """Cases (one completed, one waiting), a petition, a signed checkpoint and current read models."""
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    done = open_restaurant(services)
    complete_restaurant(services, done)
    pending = open_restaurant(services)
    submit_all(services, pending)
    services.petitions.submit(INTAKE, "泉城小馆", VALID_CODE, "园区停电", "三天两次停电", "hotline")
    key = Path(services.settings.audit_key)
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        generate_key(key)
    assert services.audit_log.checkpoint(force=True) is not None
    services.runner.catch_up()
    return {"done": done, "pending": pending}


def event_tables(services: Services) -> dict[str, str]:
    """Each application's events table."""
    return {name: r.events_record_cls.__table__.name for name, r in services.event_recorders().items()}


@contextmanager
def restore_target(like: str, folder: Path) -> Iterator[str]:
    """A place to restore into of the same kind as ``like``: a new SQLite file, or a new empty PostgreSQL
    database (dropped afterwards)."""
    if like.startswith("sqlite"):
        (folder / "restored").mkdir(exist_ok=True)
        yield f"sqlite:///{folder / 'restored' / 'onething.sqlite3'}"
        return
    name = f"onething_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_datastores()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def read_model_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every read-model table (``rm_*``), in a fixed order."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.columns))]
                    for table in read_model_metadata.sorted_tables}
    finally:
        engine.dispose()
