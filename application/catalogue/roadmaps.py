"""Roadmaps of published bundles: what to file, in which order, and the earliest dates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from application.catalogue.application import CatalogueApplication
from application.common.clock import Clock
from application.common.errors import InvalidInput
from application.rules.engine import RuleEvaluationError, RulesEngine
from domain.catalogue.definitions import BundleDef, check_answers
from domain.catalogue.roadmap import Roadmap, plan
from domain.shared.working_days import IsWorkday

LATEST_START = date(2100, 1, 1)


class Roadmaps:
    """Plans a bundle's items from a start date with the working-day calendar (public to signed-in users)."""

    def __init__(self, catalogue: CatalogueApplication, clock: Clock, is_workday: IsWorkday,
                 knows: Callable[[date], bool], rules: RulesEngine | None = None):
        self.catalogue, self.clock, self.is_workday, self.knows = catalogue, clock, is_workday, knows
        self.rules = rules

    def roadmap(self, code: str, start: date | None = None, answers: dict[str, Any] | None = None) -> Roadmap:
        """The roadmap of bundle ``code``'s latest version from ``start`` (default: today); given the answers to
        its questions, a personal one: the items its rules say this project does not need are left out (and
        no longer wait on each other)."""
        start = start or self.clock.today()
        if not isinstance(start, date) or not date(2000, 1, 1) <= start <= LATEST_START:
            raise InvalidInput("start: a date from 2000-01-01 to 2100-01-01", {"start": ["a date in range"]})
        definition, version = self.catalogue.definition(code)
        if answers is not None:
            definition = self.applying(definition, check_answers(definition, answers))
        return plan(definition, version, start, self.is_workday, self.knows)

    def applying(self, definition: BundleDef, answers: dict[str, Any]) -> BundleDef:
        """The bundle without the items its rules leave out for these answers (before any material or credit
        is known: materials incomplete, no credit entry)."""
        if self.rules is None:
            return definition
        facts = {"answers": answers, "applicant": {}, "materials_complete": False,
                 "credit": {"listed": False, "lists": []}}
        dropped: set[str] = set()
        for item in definition.items:
            if item.rules is None:
                continue
            try:
                outputs = self.rules.evaluate(item.rules, facts).outputs
            except RuleEvaluationError:
                continue  # kept: only rules that say so leave an item out
            if outputs.get("applies", True) is False:
                dropped.add(item.code)
        kept = tuple(replace(item, prerequisites=tuple(p for p in item.prerequisites if p not in dropped))
                     for item in definition.items if item.code not in dropped)
        return replace(definition, items=kept)
