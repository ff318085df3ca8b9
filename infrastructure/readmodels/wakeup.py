"""Wake the projection runner when PostgreSQL announces new events (LISTEN/NOTIFY).

Every events recorder issues ``NOTIFY <its events table>`` in the transaction that appends events
(``infrastructure.eventstore.recorders``); PostgreSQL delivers it when that transaction commits. An
``EventsListener`` keeps one connection of its own listening on those channels, in a thread, and rings a
bell the runner waits on. The runner still polls every interval while it waits, so a notification that
never comes (a dropped connection, a server restart, PgBouncer in transaction mode) delays the read models
by one interval at most. After a failure the listener reconnects, and rings once it listens again: events
may have been written while it was deaf. SQLite cannot notify: there the runner only polls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import psycopg
from sqlalchemy import Engine

logger = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # between attempts to listen again after a failure
TICK_SECONDS = 1.0  # how long the listener waits for notifications before it looks at ``stop`` again
APPLICATION_NAME = "onething-projections-listener"  # how the connection shows in pg_stat_activity


class EventsListener:
    """Rings when new events are committed on any of ``channels`` (PostgreSQL's NOTIFY)."""

    def __init__(self, conninfo: str, channels: Iterable[str], retry: float = RETRY_SECONDS):
        self.conninfo, self.channels, self.retry = conninfo, sorted(set(channels)), retry
        self._bell = threading.Event()

    @classmethod
    def on(cls, engine: Engine, channels: Iterable[str]) -> EventsListener | None:
        """A listener on ``engine``'s database, or None if it cannot notify (SQLite)."""
        if engine.dialect.name != "postgresql":
            return None
        url = engine.url.set(drivername="postgresql")  # libpq's own URI form, whichever driver the engine uses
        return cls(url.render_as_string(hide_password=False), channels)

    def start(self, stop: threading.Event) -> None:
        """Listen in a thread until ``stop`` is set; setting ``stop`` also rings, so a waiter returns at once."""
        threading.Thread(target=self._listen, args=(stop,), daemon=True, name="projections-listener").start()
        threading.Thread(target=self._ring_when_set, args=(stop,), daemon=True,
                         name="projections-listener-stop").start()

    def wait(self, timeout: float) -> bool:
        """Wait until new events are announced (or ``stop`` is set) or ``timeout`` seconds pass; return whether
        the bell rang.

        The bell is reset on return, before the caller reads: whatever is announced while it reads rings
        again, so the next wait returns at once.
        """
        rung = self._bell.wait(timeout)
        self._bell.clear()
        return rung

    def _ring_when_set(self, stop: threading.Event) -> None:
        stop.wait()
        self._bell.set()

    def _listen(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self._listen_once(stop)
            except Exception as error:  # noqa: BLE001 - logged; the runner polls until this listens again
                if stop.is_set():
                    return  # stopping: the connection may be gone with the database
                logger.warning("not listening for new events (%s); polling until listening again in %s s",
                               error, self.retry)
                self._bell.set()  # one look now: a notification may have been lost with the connection
            stop.wait(self.retry)

    def _listen_once(self, stop: threading.Event) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, application_name=APPLICATION_NAME) as connection:
            for channel in self.channels:
                connection.execute(f"LISTEN {channel}")  # unquoted, as the recorders NOTIFY it
            self._bell.set()  # events may have been written before this listened
            while not stop.is_set():
                for _ in connection.notifies(timeout=TICK_SECONDS):
                    self._bell.set()
