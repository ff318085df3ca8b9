"""Shared by the benchmarks: a throwaway PostgreSQL database per run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy

from infrastructure.eventstore.persistence import dispose_datastores


class fresh_postgres:  # noqa: N801 - used as a context manager
    """Make fresh databases on a PostgreSQL server (``url_for(label)``); drop them afterwards."""

    def __init__(self, url: str):
        self.url = sqlalchemy.engine.make_url(url)
        self.names: list[str] = []

    def __enter__(self) -> Callable[[str], str]:
        self.admin = sqlalchemy.create_engine(self.url, isolation_level="AUTOCOMMIT")

        def url_for(label: str) -> str:
            name = f"onething_bench_{label}_{uuid.uuid4().hex[:6]}"
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            self.names.append(name)
            return self.url.set(database=name).render_as_string(hide_password=False)

        return url_for

    def __exit__(self, *exc: Any) -> None:
        dispose_datastores()
        with self.admin.connect() as connection:
            for name in self.names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()
