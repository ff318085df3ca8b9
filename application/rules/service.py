"""The rules of a case, followed after every command on it (秒批): evaluate, record, approve what they allow.

``CaseRules.follow`` runs inside each case command, before the case is saved (``Changes.follow_up``), so what
the rules decide lands in the same request as what prompted it: the opening, a material's arrival, an
approval that clears an item's prerequisites. For each item with rules whose facts changed it evaluates the
decision on ``{"answers", "applicant", "materials_complete", "credit"}`` and records ``RulesEvaluated``
(actor ``system:rules``); then, in prerequisite order and as long as one more can be, it approves on
commitment every item its rules allow — never while the applicant is on a credit list valid today. A replay
reads the recorded evaluations and never evaluates again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from application.catalogue.application import CatalogueApplication
from application.common.clock import Clock
from application.rules.engine import RuleEvaluationError, RulesEngine, rule_set_digest
from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef, prerequisite_order
from domain.shared.values import Actor, CaseStatus, Role
from domain.shared.working_days import IsWorkday, WorkClock

SYSTEM_RULES = Actor("system:rules", Role.SUPERVISOR)
COMMITMENT = "申请人已签署告知承诺书；系统依规则即时审批（秒批） / signed commitment; approved at once by its rules"


class CaseRules:
    """Evaluates a case's rules and approves what they allow, inside the command that changed the case."""

    def __init__(self, catalogue: CatalogueApplication, engine: RulesEngine, clock: Clock, is_workday: IsWorkday,
                 knows: Callable[[date], bool] = lambda _: True):
        self.catalogue, self.engine, self.clock = catalogue, engine, clock
        self.is_workday, self.knows = is_workday, knows

    def follow(self, case: Case) -> None:
        """Bring the case's rules up to date and approve what they allow (nothing for a case without rules)."""
        if case.status != CaseStatus.OPEN:
            return
        definition, _ = self.catalogue.definition(case.bundle, case.bundle_version)
        if not any(item.rules for item in definition.items):
            return
        today = self.clock.today()
        credit = self.catalogue.credit_of(str(case.applicant.get("credit_code", "")), today)
        order = prerequisite_order(definition)
        for _ in range(len(order) + 1):  # each approval may clear the next item's prerequisites
            self._evaluate(case, definition, order, credit)
            if credit["listed"] or not self._approve_one(case, order, today):
                return

    def inputs(self, case: Case, code: str, credit: dict[str, Any]) -> dict[str, Any]:
        """What an item's decision is evaluated on."""
        item = case.items[code]
        complete = all(key in case.materials or key in case.deficiencies for key in item.materials)
        return {"answers": dict(case.answers), "applicant": dict(case.applicant), "materials_complete": complete,
                "credit": credit}

    def _evaluate(self, case: Case, definition: BundleDef, order: list[str], credit: dict[str, Any]) -> None:
        for code in order:
            rules = definition.item(code).rules
            if not rules or code not in case.items:
                continue
            inputs = self.inputs(case, code, credit)
            rule_set = rule_set_digest(rules)
            digest = hashlib.sha256(f"{rule_set}\n{canonical(inputs)}".encode()).hexdigest()
            if case.items[code].rules_digest == digest:
                continue
            try:
                evaluation = self.engine.evaluate(rules, inputs)
                outputs, matched = evaluation.outputs, evaluation.matched
            except RuleEvaluationError as error:  # recorded, and left to people: never approved by a failed rule
                outputs, matched = {"findings": [f"规则未能求值 / the rules could not be evaluated: {error}"],
                                    "error": str(error)}, []
            case.record_rules(code, rule_set, case.bundle_version, inputs, outputs, matched, digest, SYSTEM_RULES)

    def _approve_one(self, case: Case, order: list[str], today: date) -> bool:
        for code in order:
            if code in case.items and case.may_approve_automatically(code):
                case.approve_automatically(code, COMMITMENT, SYSTEM_RULES,
                                           clock=WorkClock(today, self.is_workday, self.knows))
                return True
        return False


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same facts always give the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
