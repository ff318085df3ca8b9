"""The core of the case application: loading and saving with retries; its reads are ``cases.reads``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.cases.reads import CaseReads
from application.cases.reads import as_uuid as _as_uuid
from application.catalogue.application import CatalogueApplication
from application.common.application import OneThingApplication
from application.common.clock import Clock
from application.common.errors import ApplicationError, CaseNotFound, InvalidInput, VersionConflict
from application.common.idempotency import Earlier, earlier_result
from application.common.retry import with_retries
from application.common.write_cache import WriteCache
from domain.case.aggregate import Case
from domain.shared.errors import DomainError
from domain.shared.values import Actor
from domain.shared.working_days import IsWorkday, WorkClock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    """What a command returns: the case, its new version, and where its last event landed."""

    case_id: UUID
    number: str
    version: int
    notification_id: int | None
    result: Any = None


class CommandsBase:
    """What the command mixins use of ``CaseCore`` (declared for readers and type checkers)."""

    catalogue: CatalogueApplication
    clock: Clock
    is_workday: IsWorkday
    knows: Callable[[date], bool]
    find_actor: Callable[[str], Actor | None]
    work_clock: Callable[[], WorkClock]  # CaseCore.work_clock
    change: Callable[..., Saved]  # CaseCore.change
    replayed: Callable[[bool], Saved | None]  # CaseCore.replayed
    saved: Callable[..., Saved]  # CaseCore.saved


class CaseCore(OneThingApplication):
    """Loads and saves cases; the commands are mixed in by ``CaseApplication``."""

    name = "Cases"
    snapshotting_intervals = {Case: 50}

    def __init__(
        self, env: dict[str, str] | None = None, *, catalogue: CatalogueApplication,
        clock: Clock, is_workday: IsWorkday, find_actor: Callable[[str], Actor | None] = lambda _: None,
        knows: Callable[[date], bool] = lambda _: True,
    ):
        super().__init__(env)
        self.catalogue, self.clock, self.is_workday, self.knows = catalogue, clock, is_workday, knows
        self.find_actor = find_actor
        self.write_cache: WriteCache[Case] = WriteCache()
        self.reads = CaseReads(self)

    def work_clock(self) -> WorkClock:
        """Today and the working-day calendar, for commands that start clocks."""
        return WorkClock(self.clock.today(), self.is_workday, self.knows)

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshots speed up loading; one that fails after the events committed must not turn a
        saved command into an error (and so into a retry that would run it twice)."""
        try:
            super()._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001 - logged; the next interval takes another snapshot
            log.exception("snapshot failed after a successful save; the case loads from its events")

    def load(self, case_id: UUID | str, version: int | None = None) -> Case:
        """Return the case with this id, or raise ``CaseNotFound``."""
        try:
            return self.repository.get(_as_uuid(case_id), version=version)
        except AggregateNotFoundError:
            at = f" at version {version}" if version else ""
            raise CaseNotFound(f"no case {case_id}{at}") from None

    def change(
        self, case_id: UUID | str, doing: str, command: Callable[[Case], Any],
        expected_version: int | None = None, authorize: Callable[[Case], None] = lambda _: None,
    ) -> Saved:
        """Run ``command`` on the case and save; retry on a conflict unless a version was expected.

        The command starts from the case this process saved last, if it has it (no read), and
        the store's unique (id, version) index decides: if another process wrote meanwhile,
        the save conflicts and the retry starts from a fresh load. A refusal — a rule
        (``DomainError``), a right (``NotAllowed``: the item may have moved to the actor's
        department) or a version mismatch — seen on a cached copy is checked again on a fresh
        load, so a stale copy never refuses what the current state allows.
        """

        def attempt() -> Saved:
            uid = _as_uuid(case_id)
            cached = self.write_cache.take(uid)
            try:
                return self._run(cached or self.load(uid), expected_version, command, authorize)
            except (DomainError, ApplicationError):  # a rule, a right or a version seen on the copy
                if cached is None:
                    raise
                return self._run(self.load(uid), expected_version, command, authorize)

        def on_conflict() -> None:
            if expected_version is not None:
                raise VersionConflict(f"{doing}: the case changed meanwhile; nothing was saved")

        return with_retries(attempt, on_conflict, doing, self.replayed)

    def replayed(self, look_again: bool) -> Saved | None:
        """What this request committed already, if it is a retry of one (``application.common.idempotency``)."""
        earlier = earlier_result(self.recorder, self.recorder.events_table_name, look_again)  # type: ignore[arg-type]
        return None if earlier is None else self.saved_of(earlier)

    def saved_of(self, earlier: Earlier) -> Saved:
        """What an earlier command returned, from what it committed."""
        if earlier.events_table != self.recorder.events_table_name:
            raise CaseNotFound(f"that request wrote no case (it wrote to {earlier.events_table})")
        case = self.load(earlier.aggregate_id, earlier.version)
        return Saved(case.id, case.number, case.version, earlier.notification_id)

    def _run(self, case: Case, expected_version: int | None, command: Callable[[Case], Any],
             authorize: Callable[[Case], None]) -> Saved:
        authorize(case)  # a caller who may not do this learns nothing, not even the version
        if expected_version is not None and (isinstance(expected_version, bool)
                                             or not isinstance(expected_version, int)):
            raise InvalidInput("expected_version: a whole number", {"expected_version": ["a whole number"]})
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict(f"case {case.number} is at version {case.version}, not {expected_version}",
                                  current_version=case.version)
        return self.saved(case, command(case))

    def saved(self, case: Case, result: Any = None) -> Saved:
        """Save the case's new events, keep it for this process's next command, describe the outcome."""
        recordings = self.save(case)
        self.write_cache.put(case.id, case)
        last = recordings[-1].notification.id if recordings else None
        return Saved(case.id, case.number, case.version, last, result)
