"""What if the rules had been different? Re-evaluates recorded cases of a bundle under new decisions; writes
nothing (``onething rules whatif --bundle CODE --file NEW.json``).

Each case is evaluated on the facts its last evaluation recorded for the item (the facts the rules saw then),
or, for an item never evaluated, on the case's facts as they stand; the outcome as recorded (none: the item
applied, found nothing and was left to people) is compared with the outcome under the new decision: whether the
item applies, its findings, and whether the system would approve it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from application.rules.engine import RuleEvaluationError, RulesEngine
from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef

OUTCOMES = ("applies", "findings", "auto_approve")


@dataclass
class ItemChanges:
    """Per item: the cases evaluated, and how many of them each outcome would change for."""

    evaluated: int = 0
    failed: int = 0  # evaluations the new decision could not make (counted apart, not as changes)
    applies: int = 0
    findings: int = 0
    auto_approve: int = 0


def outcome(outputs: dict[str, Any] | None) -> dict[str, Any]:
    """What an evaluation decided: applies (default true), findings (default none), auto_approve (default false)."""
    outputs = outputs or {}
    findings = outputs.get("findings") or []
    return {"applies": outputs.get("applies", True) is not False,
            "findings": [str(f) for f in findings] if isinstance(findings, list) else [str(findings)],
            "auto_approve": outputs.get("auto_approve") is True}


def what_if(cases: Iterable[Case], histories: Iterable[list[Any]], new: BundleDef, engine: RulesEngine,
            facts_now: Any) -> dict[str, ItemChanges]:
    """Per item of ``new`` that has rules: how many recorded cases each outcome would change for.
    ``histories`` are the cases' events in order; ``facts_now(case, code)`` gives an unevaluated item's facts."""
    result = {item.code: ItemChanges() for item in new.items if item.rules}
    for case, history in zip(cases, histories, strict=True):
        last: dict[str, Case.RulesEvaluated] = {}
        for event in history:
            if isinstance(event, Case.RulesEvaluated):
                last[event.item] = event
        for item in new.items:
            if not item.rules or item.code not in case.items:
                continue
            recorded = last.get(item.code)
            inputs = recorded.inputs if recorded is not None else facts_now(case, item.code)
            tally = result[item.code]
            tally.evaluated += 1
            try:
                outputs = engine.evaluate(item.rules, inputs).outputs
            except RuleEvaluationError:
                tally.failed += 1
                continue
            before, after = outcome(recorded.outputs if recorded else None), outcome(outputs)
            for name in OUTCOMES:
                if before[name] != after[name]:
                    setattr(tally, name, getattr(tally, name) + 1)
    return result
