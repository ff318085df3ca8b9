"""Publishing the catalogue: departments and bundle versions, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.catalogue.bundle_file import parse_bundle_file
from application.common.application import OneThingApplication
from application.common.errors import BundleNotFound, NotAllowed
from application.common.retry import with_retries
from application.cases.applicants import check_applicant
from application.common.errors import InvalidInput
from domain.calendar.overrides import CalendarOverrides
from domain.credit.aggregate import REGISTER_ID, CreditRegister
from domain.catalogue.aggregate import Bundle, Catalogue
from application.rules.engine import RulesEngine, decision_problems
from domain.catalogue.definitions import BundleDef, Department, check_definition
from domain.shared.errors import InvalidBundle
from domain.shared.recorded import Recorded
from domain.shared.values import Actor, Role


@dataclass(frozen=True)
class CreditEntry:
    """One entry of a credit list, as a file or the API gives it."""

    credit_code: str
    list: str
    valid_from: date
    valid_to: date
    source: str = ""


@dataclass
class PublishReport:
    """What one load of a bundle file changed."""

    departments: list[str] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


class CatalogueApplication(OneThingApplication):
    """Departments and published bundle definitions (immutable, versioned)."""

    name = "Catalogue"
    # Cached aggregates are fast-forwarded (one cheap query) before use, so they stay fresh.
    env = {"AGGREGATE_CACHE_MAXSIZE": "256"}

    def __init__(self, env: dict[str, str] | None = None, rules: RulesEngine | None = None):
        super().__init__(env)
        self._definitions: dict[tuple[str, int], BundleDef] = {}  # versions never change
        self.rules = rules  # checks each item's decision when a file is loaded

    def publish_file(self, data: Any, actor: Actor) -> PublishReport:
        """Validate a whole bundle file and publish it (admins); nothing is published if any part is invalid."""
        if actor.role != Role.ADMIN:
            raise NotAllowed("the catalogue is published by admins")
        departments, bundles = parse_bundle_file(data)
        return with_retries(
            lambda: self._publish(departments, bundles, actor),
            on_conflict=lambda: None, what="publishing the catalogue",
        )

    def _publish(self, departments: list[Department], bundles: list[BundleDef], actor: Actor) -> PublishReport:
        catalogue = self._catalogue(for_update=True) or Catalogue.start(actor)
        report = PublishReport()
        for dept in departments:
            if catalogue.declare_department(dept.code, dept.name, dept.name_en, actor):
                report.departments.append(dept.code)
        for definition in bundles:
            check_definition(definition, catalogue.departments)
            self._check_rules(definition)
        changed = []
        for definition in bundles:
            bundle = self._bundle(definition.code, for_update=True) or Bundle.register(definition.code, actor)
            if bundle.publish(definition, actor, reason="catalogue load"):
                catalogue.list_bundle(definition.code, bundle.latest_version, actor)
                report.published[definition.code] = bundle.latest_version
                changed.append(bundle)
            else:
                report.unchanged.append(definition.code)
        self.save(catalogue, *changed)
        return report

    def declare_calendar_day(self, actor: Actor, day: date, workday: bool, reason: str) -> None:
        """Record that ``day`` is (or is not) a working day here (admins)."""
        self._change_overrides(actor, lambda o: o.declare_day(day, workday, actor, reason))

    def declare_calendar_year(self, actor: Actor, year: int, reason: str) -> None:
        """Record that ``year``'s holidays and adjusted working days are all declared (admins)."""
        self._change_overrides(actor, lambda o: o.declare_year(year, actor, reason))

    def calendar_overrides(self) -> tuple[int, dict[date, bool], set[int]]:
        """The overrides' version, declared days and declared years (version 0: none yet)."""
        try:
            overrides: CalendarOverrides = self.repository.get(CalendarOverrides.create_id(), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return 0, {}, set()
        return overrides.version, {date.fromisoformat(d): w for d, w in overrides.days.items()}, set(overrides.years)

    def calendar_as_of(self, moment: datetime) -> dict[str, Any]:
        """The calendar overrides recorded by ``moment``: each declared day with who declared it, when and why,
        and the years declared complete — the calendar that applied then, beside chinesecalendar's."""
        days: dict[str, dict[str, Any]] = {}
        years: set[int] = set()
        for event in self.events.get(CalendarOverrides.create_id()):
            if isinstance(event, Recorded) and event.timestamp > moment:  # every override event is Recorded
                break
            if isinstance(event, CalendarOverrides.DayDeclared):
                days[event.day.isoformat()] = {"day": event.day.isoformat(), "workday": event.workday,
                                               "reason": event.reason, "by": event.actor.user_id,
                                               "recorded_at": event.timestamp.isoformat()}
            elif isinstance(event, CalendarOverrides.YearDeclared):
                years.add(event.year)
        return {"overrides": sorted(days.values(), key=lambda d: d["day"]), "complete_years": sorted(years)}

    def check_new_definition(self, definition: BundleDef) -> None:
        """Check a definition as loading it would (its references, its decisions), without publishing it."""
        check_definition(definition, self.departments())
        self._check_rules(definition)

    def _check_rules(self, definition: BundleDef) -> None:
        """Refuse the file if a decision uses a node type other than the allowed ones (no code is evaluated,
        ever) or the engine cannot use it, naming the bundle, the item and the node."""
        for item in definition.items:
            if item.rules is None:
                continue
            problems = decision_problems(item.rules)
            if not problems and self.rules is not None:
                problems = self.rules.problems(item.rules)
            if problems:
                raise InvalidBundle(definition.code, f"items[{item.code}].rules", "; ".join(problems))

    # Credit lists (信用名单) ---------------------------------------------------------------------------
    def record_credit_entries(self, actor: Actor, entries: list[CreditEntry], reason: str = "") -> int:
        """Record entries of the credit lists (admins; ``onething credit load``, ``POST /credit/entries``), all
        or none; returns how many. Each credit code is checked (check digit included)."""
        if actor.role != Role.ADMIN:
            raise NotAllowed("credit lists are recorded by admins")
        for index, entry in enumerate(entries):
            try:
                check_applicant("-", entry.credit_code)
            except InvalidInput as error:
                raise InvalidInput(f"entry {index}: {error}",
                                   {f"entries.{index}.credit_code": ["not a valid unified social credit code"]}) from None

        def attempt() -> None:
            try:
                register: CreditRegister = self.repository.get(REGISTER_ID)
            except AggregateNotFoundError:
                register = CreditRegister.start(actor)
            for entry in entries:
                register.record(entry.credit_code, entry.list, entry.valid_from, entry.valid_to, entry.source,
                                actor, reason)
            self.save(register)

        with_retries(attempt, on_conflict=lambda: None, what="recording credit entries")
        return len(entries)

    def credit_of(self, credit_code: str, on: date) -> dict[str, Any]:
        """The credit check's input: ``{"listed": bool, "lists": [names]}`` for a credit code on a day."""
        try:
            register: CreditRegister = self.repository.get(REGISTER_ID, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return {"listed": False, "lists": []}
        lists = register.lists_naming(credit_code, on)
        return {"listed": bool(lists), "lists": lists}

    def _change_overrides(self, actor: Actor, change: Any) -> None:
        if actor.role != Role.ADMIN:
            raise NotAllowed("the calendar is changed by admins")

        def attempt() -> None:
            try:
                overrides: CalendarOverrides = self.repository.get(CalendarOverrides.create_id())
            except AggregateNotFoundError:
                overrides = CalendarOverrides.start(actor)
            change(overrides)
            self.save(overrides)

        with_retries(attempt, on_conflict=lambda: None, what="changing the calendar")

    def departments(self) -> dict[str, dict[str, str]]:
        """Return every known department: code -> {name, name_en}."""
        catalogue = self._catalogue()
        return dict(catalogue.departments) if catalogue else {}

    def latest_versions(self) -> dict[str, int]:
        """Return each published bundle's latest version number."""
        catalogue = self._catalogue()
        return dict(catalogue.bundles) if catalogue else {}

    def definition(self, code: str, version: int | None = None) -> tuple[BundleDef, int]:
        """Return a bundle's definition and version number (default: the latest version)."""
        if version is not None and (code, version) in self._definitions:
            return self._definitions[(code, version)], version
        bundle = self._bundle(code)
        if bundle is None or bundle.latest_version == 0:
            raise BundleNotFound(f"no published bundle {code!r}", {"bundle": [f"no published bundle {code!r}"]})
        number = bundle.latest_version if version is None else version
        try:
            definition = bundle.definition(number)
        except KeyError:
            raise BundleNotFound(f"bundle {code!r} has no version {number}") from None
        self._definitions[(code, number)] = definition
        return definition, number

    def _catalogue(self, for_update: bool = False) -> Catalogue | None:
        try:
            return self.repository.get(Catalogue.create_id(), deepcopy_from_cache=for_update)
        except AggregateNotFoundError:
            return None

    def _bundle(self, code: str, for_update: bool = False) -> Bundle | None:
        try:
            return self.repository.get(Bundle.create_id(code), deepcopy_from_cache=for_update)
        except AggregateNotFoundError:
            return None
