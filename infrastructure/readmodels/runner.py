"""The projection runner: follows each application's notification log and keeps read models current.

On PostgreSQL the runner wakes when new events are announced (``infrastructure.readmodels.wakeup``) and
polls as well, in case an announcement is lost; on SQLite, which cannot announce, it polls. For each
application, a batch of notifications after the lowest tracked position is turned into domain
events, given to every projection that has not seen them, and written — view rows and tracking
positions together — in one transaction. The tracking update is conditional on the position it
started from, so two runners (a worker and a web process catching up) never apply a batch twice:
the loser's transaction rolls back and it reads the positions again. Notification ids on
PostgreSQL have gaps; the runner reads "after my position" and never waits for a missing id. It reads every
notification (no topic filter): an event stored under a topic of an earlier release decodes to the class that
answers to that topic now, and each read model finds its handler by that class.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application
from sqlalchemy import Engine, and_, func, inspect, select, update

from application.projections.base import Change, ReadModel
from infrastructure.eventstore.recorders import engine_of, sql_recorder
from infrastructure.readmodels.tables import VERSION, VIEW_TABLES, metadata, tracking
from infrastructure.readmodels.view_session import BufferedViewSession
from infrastructure.readmodels.wakeup import EventsListener

logger = logging.getLogger(__name__)
SCHEMA_ROW = "_schema"  # a tracking row whose position holds the read models' VERSION
DEFAULT_BATCH = 25_000  # events per transaction: fewer commits; a live worker's batches are small anyway
DEFAULT_PROCESSES = max(1, min(3, os.cpu_count() or 1))  # beyond three, the heaviest read model alone sets the pace
PARALLEL_FROM = 20_000  # events behind before a catch-up shares its read models out over processes
PARALLEL_BATCH = 5_000  # events per transaction then: each process's writing overlaps the others' projecting


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a catch-up.

    A batch creates hundreds of thousands of objects (events, rows) and no cycles: reference counting
    frees them all, while the collector would walk them again and again (measured: a quarter of a
    rebuild's time). Paused per batch only, the first collection after each batch still walked all the
    batch left alive, above all the rows the view session keeps between batches (measured with
    projected_due's former cycles: 5–8 % of a rebuild); paused until the session has forgotten its rows,
    it finds almost nothing left to walk.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _in_memory(engine: Engine) -> bool:
    """Whether ``engine`` is an in-memory SQLite database, which a forked process would only see a copy of."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory")


def may_fork() -> bool:
    """Whether a catch-up may fork helper processes: on Linux, from a process with no other thread (a thread
    holding a lock when the process forks would leave that lock held for ever in the child)."""
    return sys.platform == "linux" and threading.active_count() == 1


class WriteTurn:
    """Processes of one catch-up on SQLite take turns to write through this lock: a waiting process wakes the moment
    the writer commits, where SQLite's own busy wait sleeps up to 100 ms between looks. A process that died holding
    it cannot stop the others: after ``patience`` seconds the turn is given up (``abandoned``, shared by every
    process of the catch-up), nobody waits for it again, and SQLite's own lock still keeps the writers apart."""

    def __init__(self, lock: Any, abandoned: Any, patience: float = 30.0):
        self.lock, self.abandoned, self.patience, self.held = lock, abandoned, patience, False

    def __enter__(self) -> None:
        if self.abandoned.is_set():
            return
        self.held = self.lock.acquire(timeout=self.patience)
        if not self.held:
            self.abandoned.set()

    def __exit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            self.lock.release()


class RunnerRaced(Exception):
    """Raised when another runner moved a tracking position first; the batch is rolled back."""


@dataclass
class CatchUpReport:
    """What one catch-up did."""

    events: int = 0
    rows: int = 0
    seconds: float = 0.0
    races: int = 0
    by_application: dict[str, int] = field(default_factory=dict)  # events read from each application's log

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def merge(self, other: CatchUpReport) -> None:
        """Add what another process did for other read models over the same logs (events are not counted twice)."""
        self.rows += other.rows
        self.races += other.races
        for name, count in other.by_application.items():
            self.by_application[name] = max(self.by_application.get(name, 0), count)
        self.events = sum(self.by_application.values())


@dataclass(frozen=True)
class Lane:
    """What one process of a catch-up keeps: its read models, its batch size and, where processes share one
    writer (SQLite), the turn it takes to write (a lock every process waits on without polling)."""

    projections: Sequence[ReadModel]
    batch: int
    write_turn: AbstractContextManager[Any] = field(default_factory=nullcontext)

    @property
    def names(self) -> set[str]:
        return {p.name for p in self.projections}


@dataclass(frozen=True)
class Lag:
    """How far one projection is behind one application's log."""

    projection: str
    application: str
    position: int
    behind: int


@dataclass
class ReadModelRunner:
    """Runs ``projections`` over the logs of ``sources`` (application name → application)."""

    engine: Engine
    sources: dict[str, Application]
    projections: Sequence[ReadModel]
    batch_size: int = DEFAULT_BATCH
    before_commit: Callable[[], None] = lambda: None  # tests inject failures here
    projects_here: bool = True  # False where another process keeps the read models (``run --no-projections``)
    positions_engine: Engine | None = None  # where readers read the read models (a replica), if not ``engine``
    processes: int = 1  # how many processes a long catch-up may share the read models out over
    parallel_from: int = PARALLEL_FROM  # how many events behind a catch-up must be to use them
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # Set-up -------------------------------------------------------------------------------------
    def create_tables(self) -> None:
        """Create read-model and tracking tables, and a zero position for every pair; tables of an older
        shape are dropped and made anew (the runner then rebuilds them from the event store)."""
        if self._stored_version() not in (None, VERSION):
            metadata.drop_all(self.engine)
        metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(tracking.delete().where(tracking.c.projection == SCHEMA_ROW))
            connection.execute(tracking.insert().values(projection=SCHEMA_ROW, application="", position=VERSION))
            existing = {(r.projection, r.application) for r in connection.execute(select(tracking))}
            missing = [{"projection": p.name, "application": a, "position": 0}
                       for p in self.projections for a in p.applications if (p.name, a) not in existing]
            if missing:
                connection.execute(tracking.insert(), missing)

    def _stored_version(self) -> int | None:
        if not inspect(self.engine).has_table(tracking.name):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(tracking.c.position).where(tracking.c.projection == SCHEMA_ROW)).first()
        return row.position if row else 1  # tables made before versions were recorded

    def table_names(self) -> list[str]:
        """The read-model and tracking tables."""
        return [t.name for t in metadata.sorted_tables]

    def reset(self) -> None:
        """Drop and recreate every read model, with all positions at zero."""
        with self._lock:
            metadata.drop_all(self.engine)
            self.create_tables()

    # Running ------------------------------------------------------------------------------------
    # A long catch-up (a rebuild, a worker back after a stop) shares the read models out over ``processes``
    # processes: each reads and decodes the events itself and writes only its own read models' rows and
    # tracking positions, so no process waits for another's work, only (on SQLite) for the moment another
    # commits. Every read model is kept whole by one process, in notification order, as in one process.
    def catch_up(self, progress: Callable[[int], None] = lambda _: None,
                 deadline: float | None = None) -> CatchUpReport:
        """Process everything recorded so far (with a ``deadline`` on the monotonic clock: no new round after it,
        and nothing if another thread of this process keeps catching up until then); return what was done."""
        report, started = CatchUpReport(), time.perf_counter()
        if not self._lock.acquire(timeout=-1 if deadline is None else max(0.0, deadline - time.monotonic())):
            return report
        try:
            with gc_paused():  # until the buffered rows are gone: see gc_paused
                groups = self._groups() if deadline is None else [list(self.projections)]
                if len(groups) > 1:
                    self._in_processes(groups, report, progress)
                else:
                    self._rounds(report, progress, deadline, Lane(self.projections, self.batch_size))
        finally:
            self._lock.release()
        report.seconds = time.perf_counter() - started
        return report

    def _rounds(self, report: CatchUpReport, progress: Callable[[int], None], deadline: float | None,
                lane: Lane) -> None:
        view = BufferedViewSession(VIEW_TABLES)
        try:
            while (count := self._one_round(view, report, lane)) > 0:
                progress(count)
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:
            view.forget()

    def wait_until(self, application: str, notification_id: int | None, timeout: float = 10.0) -> None:
        """Return once every projection of ``application`` has processed ``notification_id`` (``wait_for``)."""
        if notification_id is not None and not self.wait_for({application: notification_id}, timeout):
            raise TimeoutError(f"read models of {application} did not reach {notification_id} in {timeout} s")

    def wait_for(self, positions: Mapping[str, int], timeout: float) -> bool:
        """Whether, within ``timeout`` seconds, every projection of each named application processed the
        position given for it (a consistency token's positions).

        Where this process keeps the read models (``projects_here``) it catches up itself, so the wait is as
        short as the work; another runner winning a race only means going round again. A web process started
        with ``--no-projections`` only watches the tracking table while the projection worker catches up. With a
        read replica (``positions_engine``) it watches the replica's tracking table: the replica's own lag counts.
        """
        deadline, pause = time.monotonic() + timeout, 0.002
        while True:
            tracked = self._tracking(self.positions_engine or self.engine)
            if all(min(self.positions(name, tracked).values(), default=position) >= position
                   for name, position in positions.items()):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.projects_here and self.catch_up(deadline=deadline).events:
                continue
            time.sleep(min(pause, left))  # the worker (or the replica) has yet to get there
            pause = min(pause * 2, 0.05)

    def heads(self) -> dict[str, int]:
        """Each source's highest notification id so far (0 for an empty store)."""
        return {name: app.recorder.max_notification_id() or 0 for name, app in self.sources.items()}

    def refresh(self) -> None:
        """Catch up where this process keeps the read models; elsewhere (``--no-projections``) the worker does."""
        if self.projects_here:
            self.catch_up()

    def store_names(self) -> dict[str, str]:
        """Each source's events table → the source's name (the event store notes writes by table)."""
        return {sql_recorder(app.recorder).events_table_name: name for name, app in self.sources.items()}

    def run_forever(self, stop: threading.Event, interval: float = 0.5,
                    log: Callable[[CatchUpReport], None] = lambda _: None, listen: bool = True,
                    then: Callable[[], None] = lambda: None) -> None:
        """Catch up, then again as soon as new events are announced (PostgreSQL's NOTIFY, unless ``listen``
        is off) or ``interval`` seconds have passed, until ``stop`` is set."""
        listener = EventsListener.on(self.engine, self._channels()) if listen else None
        self._logged_catch_up(log, interval, stop)  # first, while no other thread runs: it may use processes
        then()  # the caller's own threads (a worker's deadline checks, audit log, notifier)
        if listener is not None:
            listener.start(stop)
        wait = stop.wait if listener is None else listener.wait
        while not stop.is_set():
            if self._logged_catch_up(log, interval, stop):
                wait(interval)

    def _logged_catch_up(self, log: Callable[[CatchUpReport], None], interval: float, stop: threading.Event) -> bool:
        """Catch up and log what was done; on failure log it and pause ``interval`` seconds (a failing database
        is not hammered at every announcement). Whether it succeeded."""
        try:
            report = self.catch_up()
        except Exception:  # noqa: BLE001 - logged; the next poll tries again (e.g. a locked database)
            logger.exception("projection catch-up failed; retrying in %s s", interval)
            stop.wait(interval)
            return False
        if report.events:
            log(report)
        return True

    def _channels(self) -> list[str]:
        return [sql_recorder(app.recorder).channel_name for app in self.sources.values()]

    def _groups(self) -> list[list[ReadModel]]:
        """The read models in up to ``processes`` groups of about equal work (``ReadModel.weight``, heaviest first
        to the lightest group) if this catch-up is long enough to be worth more processes and this process may
        fork; else all in one group."""
        if self.processes < 2 or not may_fork() or _in_memory(self.engine) or self._behind() < self.parallel_from:
            return [list(self.projections)]
        groups: list[list[ReadModel]] = [[] for _ in range(min(self.processes, len(self.projections)))]
        loads = [0.0] * len(groups)
        for projection in sorted(self.projections, key=lambda p: -p.weight):
            lightest = loads.index(min(loads))
            groups[lightest].append(projection)
            loads[lightest] += projection.weight
        return groups

    def _behind(self) -> int:
        """About how many events the furthest-behind read model of each application has yet to process."""
        tracked, heads = self._tracking(), self.heads()
        return sum(max(0, head - min(self.positions(name, tracked).values(), default=head))
                   for name, head in heads.items())

    def _in_processes(self, groups: list[list[ReadModel]], report: CatchUpReport,
                      progress: Callable[[int], None]) -> None:
        """Catch ``groups[0]`` up here and every other group in a forked helper process, at the same time.

        A helper that fails (or dies) is logged and its read models are caught up here afterwards, so a
        projection's own error is raised from this process, as without helpers."""
        context, batch = multiprocessing.get_context("fork"), min(self.batch_size, PARALLEL_BATCH)
        turn: AbstractContextManager[Any] = nullcontext()
        if self.engine.dialect.name == "sqlite":  # one writer at a time
            turn = WriteTurn(context.Lock(), context.Event())
        helpers = []
        for group in groups[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=self._helper, args=(Lane(group, batch, turn), send), daemon=True,
                                      name=f"catch-up of {', '.join(p.name for p in group)}")
            process.start()
            send.close()
            helpers.append((group, process, receive))
        mine = CatchUpReport()
        try:
            self._rounds(mine, progress, None, Lane(groups[0], batch, turn))
        except BaseException:
            for _, process, receive in helpers:
                process.terminate()  # its open transaction is rolled back; its read models keep their positions
                process.join()
                receive.close()
            raise
        report.merge(mine)
        failed: list[ReadModel] = []
        for group, process, receive in helpers:
            try:
                outcome = receive.recv()
            except EOFError:
                outcome = f"its process ended with exit code {process.exitcode}"
            process.join()
            receive.close()
            if isinstance(outcome, CatchUpReport):
                report.merge(outcome)
            else:
                logger.warning("catch-up of %s failed in a helper process (%s); catching up here",
                               ", ".join(p.name for p in group), outcome)
                failed.extend(group)
        if failed:
            again = CatchUpReport()
            self._rounds(again, lambda _: None, None, Lane(failed, self.batch_size))
            report.merge(again)
        progress(max(0, report.events - mine.events))  # what the other processes read that this one did not

    def _helper(self, lane: Lane, send: Any) -> None:
        """A forked helper's whole life: catch its lane up, then send back its report or its error."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)  # not the parent's handler (a worker's sets its stop flag)
        engines = self._engines()
        try:
            for engine in engines:
                engine.dispose(close=False)  # the parent's pooled connections stay the parent's
            report = CatchUpReport()
            self._rounds(report, lambda _: None, None, lane)
            send.send(report)
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which catches up instead
            send.send(f"{type(error).__name__}: {error}")
        finally:
            send.close()
            for engine in engines:
                engine.dispose()  # this process's own connections, closed as a client should

    def _engines(self) -> set[Engine]:
        engines = {self.engine, *(engine_of(sql_recorder(app.recorder).datastore) for app in self.sources.values())}
        return engines | ({self.positions_engine} if self.positions_engine is not None else set())

    def _one_round(self, view: BufferedViewSession, report: CatchUpReport, lane: Lane) -> int:
        done = 0
        for name, app in self.sources.items():
            projections = [p for p in lane.projections if name in p.applications]
            if not projections:
                continue
            try:
                done += self._batch(name, app, projections, view, report, lane)
            except RunnerRaced:
                report.races += 1
                done += 1  # someone else moved on: look again rather than stop early
        return done

    def _batch(self, name: str, app: Application, projections: list[ReadModel],
               view: BufferedViewSession, report: CatchUpReport, lane: Lane) -> int:
        """Process the next batch of ``name``'s log for ``projections``, the lane's read models that follow it (the
        rows cached for the lane's read models are good while their tracking positions are as it left them)."""
        mine = lane.names
        tracked = {key: position for key, position in self._tracking().items() if key[0] in mine}
        if tracked != view.tracking_after_commit:
            view.forget()  # someone else committed since our last batch: our cached rows may be old
        positions = self.positions(name, tracked)
        start = min(positions[p.name] for p in projections)
        notifications = app.recorder.select_notifications(
            start=start, limit=lane.batch, inclusive_of_start=False)
        if not notifications:
            return 0
        last = notifications[-1].id
        changes = self._changes(name, app, notifications)
        try:
            # Project before the write transaction, reading the rows the buffer lacks as committed: the write
            # lock is then held only to write (another process may project meanwhile). Should another runner
            # commit these read models in between, the tracking update below finds it and nothing is written.
            with self.engine.connect() as reader:
                view.bind(reader)
                for projection in projections:
                    seen = positions[projection.name]
                    for change in changes:
                        if change.notification_id > seen:
                            projection.process(change, view)
            with lane.write_turn, self.engine.begin() as connection:
                self._move(connection, name, positions, last)  # first: takes SQLite's write lock
                view.bind(connection)
                report.rows += view.flush()
                self.before_commit()
        except BaseException:
            view.forget()
            raise
        # Cached rows stay good while the tracking table is exactly as this commit left it: every
        # writer of read models moves tracking in the same transaction, so a change means another
        # runner wrote, and the next batch starts from the database again.
        view.tracking_after_commit = {**tracked, **{(p, name): max(pos, last) for p, pos in positions.items()}}
        report.events += len(changes)
        report.by_application[name] = report.by_application.get(name, 0) + len(changes)
        return len(changes)

    def _move(self, connection: Any, application: str, positions: dict[str, int], last: int) -> None:
        for projection, position in positions.items():
            moved = connection.execute(
                update(tracking)
                .where(and_(tracking.c.projection == projection, tracking.c.application == application,
                            tracking.c.position == position))
                .values(position=max(position, last))
            )
            if moved.rowcount != 1:
                raise RunnerRaced(f"{projection}/{application} moved past {position}")

    @staticmethod
    def _changes(name: str, app: Application, notifications: Sequence[Any]) -> list[Change]:
        """The notifications as domain events; each aggregate's key made once (a batch has many of its events)."""
        to_event, keys, changes = app.mapper.to_domain_event, dict[Any, str](), []
        for notification in notifications:
            event, aggregate = to_event(notification), notification.originator_id
            key = keys.get(aggregate)
            if key is None:
                key = keys[aggregate] = str(aggregate)
            changes.append(Change(name, notification.id, aggregate, notification.originator_version,
                                  type(event).__name__, event, key))
        return changes

    def _tracking(self, engine: Engine | None = None) -> dict[tuple[str, str], int]:
        with (engine or self.engine).connect() as connection:
            return {(r.projection, r.application): r.position for r in connection.execute(select(tracking))}

    # Reading positions --------------------------------------------------------------------------
    def positions(self, application: str, tracked: dict[tuple[str, str], int] | None = None) -> dict[str, int]:
        """Each of this runner's projections' position in ``application``'s log."""
        names = {p.name for p in self.projections}
        return {projection: position for (projection, app_name), position in (self._tracking() if tracked is None else tracked).items()
                if app_name == application and projection in names}

    def lag(self) -> list[Lag]:
        """How many recorded events each projection has not processed yet (exact, gaps or not)."""
        result = []
        for name, app in self.sources.items():
            table = sql_recorder(app.recorder).events_record_cls.__table__
            with self.engine.connect() as connection:
                for projection, position in sorted(self.positions(name).items()):
                    behind = connection.execute(select(func.count()).where(table.c.id > position)).scalar_one()
                    result.append(Lag(projection, name, position, behind))
        return result

    def total_events(self) -> int:
        """How many events all sources hold (for progress bars)."""
        total = 0
        with self.engine.connect() as connection:
            for app in self.sources.values():
                table = sql_recorder(app.recorder).events_record_cls.__table__
                total += connection.execute(select(func.count()).select_from(table)).scalar_one()
        return total
