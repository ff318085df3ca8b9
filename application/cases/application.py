"""The case application: the event store of cases, and the services that command and read them.

``CaseApplication`` is the ``eventsourcing`` Application (its store, repository and snapshots). What each role
does is an ordinary method of a service it holds: ``cases.intake.open_case``, ``cases.review.approve_item``,
``cases.supervision.escalate``; reads are ``cases.reads``. Every command loads, changes and saves through one
``Changes`` (``application.common.changes``), shared with petitions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

from application.cases.intake import Intake
from application.cases.online import EnterpriseName, OnlineFiling
from application.cases.reads import CaseReads, as_uuid
from application.cases.review import Review
from application.cases.supervision import Supervision
from application.catalogue.application import CatalogueApplication
from application.common.application import OneThingApplication
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from application.common.errors import CaseNotFound, InvalidInput
from application.common.stored_topics import topics_of
from application.rules.engine import RulesEngine
from application.rules.service import CaseRules
from application.rules.whatif import ItemChanges, what_if
from domain.catalogue.definitions import BundleDef
from application.materials.files import FileRef
from application.common.idempotency import Earlier
from domain.case.aggregate import Case
from domain.shared.values import Actor, MaterialSource
from domain.shared.working_days import IsWorkday

__all__ = ["CaseApplication", "Saved"]
log = logging.getLogger(__name__)


class CaseApplication(OneThingApplication):
    """Cases: opened at the single window, reviewed by departments, supervised, closed."""

    name = "Cases"
    snapshotting_intervals = {Case: 50}

    def __init__(
        self, env: dict[str, str] | None = None, *, catalogue: CatalogueApplication,
        clock: Clock, is_workday: IsWorkday, find_actor: Callable[[str], Actor | None] = lambda _: None,
        knows: Callable[[date], bool] = lambda _: True, rules: RulesEngine | None = None,
        enterprise_name: EnterpriseName = lambda _: None,
    ):
        super().__init__(env)
        self.catalogue, self.clock, self.is_workday, self.knows = catalogue, clock, is_workday, knows
        self.changes: Changes[Case] = Changes(self, "case", CaseNotFound, as_uuid, keep_copies=True)
        self.intake = Intake(self.changes, catalogue, clock, find_actor, is_workday)
        self.online = OnlineFiling(self.changes, catalogue, clock, enterprise_name)
        self.review = Review(self.changes, clock, is_workday, knows)
        self.supervision = Supervision(self.changes, catalogue, clock, find_actor)
        self.reads = CaseReads(self)
        self.rules = CaseRules(catalogue, rules, clock, is_workday, knows) if rules is not None else None
        if self.rules is not None:
            self.changes.follow_up = self.rules.follow

    def load(self, case_id: UUID | str, version: int | None = None) -> Case:
        """Return the case with this id (as it stood at ``version``, if given), or raise ``CaseNotFound``;
        no access check (``reads.get_case`` checks)."""
        return self.changes.load(case_id, version)

    def answers_of(self, case_id: str) -> dict[str, Any]:
        """The answers recorded with the case (no access check: for prefilling the same enterprise's filing)."""
        return dict(self.load(case_id).answers)

    def holder_of(self, number: str) -> tuple[str, str] | None:
        """The credit code of the enterprise the case ``number`` is for, and its bundle (None: no such case)."""
        try:
            case = self.load(Case.create_id(number))
        except CaseNotFound:
            return None
        return str(case.applicant.get("credit_code") or ""), case.bundle

    def referenced_files(self, page: int = 500) -> Iterator[FileRef]:
        """Every stored file an event refers to (a version of a material that is not paper), read from the
        events themselves — for ``onething files gc`` and ``audit verify --files``."""
        topics, start, numbers = list(topics_of(Case.MaterialSubmitted)), None, dict[UUID, str]()
        while True:
            notifications = self.recorder.select_notifications(start, page, topics=topics, inclusive_of_start=False)
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                assert isinstance(event, Case.MaterialSubmitted)
                if event.source == MaterialSource.PAPER:
                    continue
                if event.originator_id not in numbers:
                    numbers[event.originator_id] = self.load(event.originator_id, 1).number
                yield FileRef(sha256=event.sha256, case_id=str(event.originator_id),
                              case_number=numbers[event.originator_id], key=event.key,
                              version=event.version, event_version=event.originator_version)
            if len(notifications) < page:
                return
            start = notifications[-1].id

    def rules_what_if(self, case_ids: Iterable[str], new: BundleDef) -> dict[str, ItemChanges]:
        """Re-evaluate the recorded cases of ``new``'s bundle under its decisions (checked first, as loading it
        would); writes nothing (``onething rules whatif``)."""
        if self.rules is None:
            raise InvalidInput("no rules engine is configured", {})
        self.catalogue.check_new_definition(new)
        rules = self.rules
        cases = [case for case in (self.load(i) for i in case_ids) if case.bundle == new.code]
        histories = [list(self.repository.event_store.get(case.id)) for case in cases]
        today = self.clock.today()
        return what_if(cases, histories, new, rules.engine, lambda case, item: rules.inputs(
            case, item, self.catalogue.credit_of(str(case.applicant.get("credit_code", "")), today)))

    def saved_of(self, earlier: Earlier) -> Saved:
        """What an earlier request's command returned, from what it committed (a repeated request's answer)."""
        return self.changes.saved_of(earlier)

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshots speed up loading; one that fails after the events committed must not turn a
        saved command into an error (and so into a retry that would run it twice)."""
        try:
            super()._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001 - logged; the next interval takes another snapshot
            log.exception("snapshot failed after a successful save; the case loads from its events")
