"""The write path every aggregate shares: load, change (who may, which version, the rule, save), create.

A command of a role service (``application.cases.review.Review.approve_item``) checks its inputs and calls
``change`` with what to do to the aggregate. ``change`` runs it and saves, trying again on fresh state when
another writer won (``application.common.retry``), and answers a request that committed already with its first
result instead of running it twice (``application.common.idempotency``). Every command returns a ``Saved``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from application.common.consistency import note_written
from application.common.errors import AlreadyExists, ApplicationError, InvalidInput, NotFound, VersionConflict
from application.common.idempotency import Earlier, RequestLedger, earlier_result
from application.common.retry import with_retries
from application.common.write_cache import WriteCache
from domain.shared.errors import DomainError


@dataclass(frozen=True)
class Saved:
    """What a command returns: the aggregate's id, number and new version, where its last event landed in the
    store's notification log (for read-your-writes), and what the aggregate's command returned."""

    id: UUID
    number: str
    version: int
    notification_id: int | None
    result: Any = None


class Numbered(Protocol):
    """What the core needs of an aggregate (a case, a petition): its id, version and number."""

    number: str

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...

    @version.setter
    def version(self, value: int) -> None: ...


class EventLedger(RequestLedger, Protocol):
    """The event store's recorder: it keeps each committed request's key (``application.common.idempotency``)."""

    events_table_name: str


A = TypeVar("A", bound=Numbered)


def allow_anyone(_: Any) -> None:
    """The authorisation step of a command whose role check, made before loading, is all it needs."""


class Changes(Generic[A]):
    """Loads, changes and saves the aggregates of one application (``noun``: "case", "petition").

    ``to_id`` turns a caller's key (an id, or a number) into the aggregate's id, raising ``not_found`` for a
    key that names none. With ``keep_copies`` the aggregate this process saved last is kept for its next
    command (``application.common.write_cache``): no read, and the store's unique (id, version) index decides.
    """

    def __init__(self, app: Application[UUID], noun: str, not_found: type[NotFound],
                 to_id: Callable[[UUID | str], UUID], *, keep_copies: bool = False):
        self.app, self.noun, self.not_found, self.to_id = app, noun, not_found, to_id
        self.write_cache: WriteCache[A] | None = WriteCache() if keep_copies else None
        # Runs on the aggregate after every command, before it is saved (the cases' rules: ``CaseRules.follow``).
        self.follow_up: Callable[[A], None] | None = None

    def load(self, key: UUID | str, version: int | None = None) -> A:
        """Return the aggregate (as it stood at ``version``, if given), or raise ``not_found``."""
        try:
            aggregate: A = self.app.repository.get(self.to_id(key), version=version)
        except AggregateNotFoundError:
            at = f" at version {version}" if version else ""
            raise self.not_found(f"no {self.noun} {key}{at}") from None
        return aggregate

    def change(self, key: UUID | str, doing: str, command: Callable[[A], Any], expected_version: int | None = None,
               authorize: Callable[[A], None] = allow_anyone) -> Saved:
        """Run ``command`` on the aggregate and save; retry on a conflict unless a version was expected.

        ``authorize`` runs first, so a caller who may not act learns nothing, not even the version. The
        command starts from the copy this process saved last, if it kept one; a refusal — a rule
        (``DomainError``), a right (``NotAllowed``: the item may have moved to the actor's department) or a
        version mismatch — seen on that copy is checked again on a fresh load, so a stale copy never refuses
        what the current state allows.
        """

        def attempt() -> Saved:
            uid = self.to_id(key)
            kept = self.write_cache.take(uid) if self.write_cache is not None else None
            try:
                return self._run(kept or self.load(uid), expected_version, command, authorize)
            except (DomainError, ApplicationError):  # a rule, a right or a version seen on the kept copy
                if kept is None:
                    raise
                return self._run(self.load(uid), expected_version, command, authorize)

        def on_conflict() -> None:
            if expected_version is not None:
                raise VersionConflict(f"{doing}: the {self.noun} changed meanwhile; nothing was saved")

        return with_retries(attempt, on_conflict, doing, self.replayed)

    def create(self, doing: str, make: Callable[[], A], number: str | None = None) -> Saved:
        """Save the aggregate ``make`` builds (afresh on each try); a ``number`` the caller chose that exists
        already is refused (``AlreadyExists``), a generated one is drawn again."""

        def on_conflict() -> None:
            if number is not None:
                raise AlreadyExists(f"{self.noun} {number} exists already")

        return with_retries(lambda: self.saved(make()), on_conflict, doing, self.replayed)

    def saved(self, aggregate: A, result: Any = None) -> Saved:
        """Save the aggregate's new events (keeping it for this process's next command), describe the outcome;
        the follow-up runs first, so what it records lands in the same save."""
        if self.follow_up is not None:
            self.follow_up(aggregate)
        recordings = self.app.save(aggregate)
        if self.write_cache is not None:
            self.write_cache.put(aggregate.id, aggregate)
        last = recordings[-1].notification.id if recordings else None
        return Saved(aggregate.id, aggregate.number, aggregate.version, last, result)

    def replayed(self, look_again: bool) -> Saved | None:
        """What this request committed already, if it is a retry of one (``application.common.idempotency``)."""
        earlier = earlier_result(self._ledger, self._ledger.events_table_name, look_again)
        return None if earlier is None else self.saved_of(earlier)

    def saved_of(self, earlier: Earlier) -> Saved:
        """What an earlier command returned, from what it committed."""
        if earlier.events_table != self._ledger.events_table_name:
            raise self.not_found(f"that request wrote no {self.noun} (it wrote to {earlier.events_table})")
        aggregate = self.load(UUID(earlier.aggregate_id), earlier.version)
        note_written(earlier.events_table, earlier.notification_id)  # its answer's token names the first write
        return Saved(aggregate.id, aggregate.number, aggregate.version, earlier.notification_id)

    @property
    def _ledger(self) -> EventLedger:
        return cast(EventLedger, self.app.recorder)  # the recorders of infrastructure.eventstore keep the keys

    def _run(self, aggregate: A, expected_version: int | None, command: Callable[[A], Any],
             authorize: Callable[[A], None]) -> Saved:
        authorize(aggregate)  # a caller who may not do this learns nothing, not even the version
        if expected_version is not None and (isinstance(expected_version, bool)
                                             or not isinstance(expected_version, int)):
            raise InvalidInput("expected_version: a whole number", {"expected_version": ["a whole number"]})
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(f"{self.noun} {aggregate.number} is at version {aggregate.version}, "
                                  f"not {expected_version}", current_version=aggregate.version)
        return self.saved(aggregate, command(aggregate))
