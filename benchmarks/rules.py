"""Rules evaluation through OneThing (``ZenRules.evaluate``) against bare zen-engine on the same decisions.

Not a test: it prints figures. Usage::

    python benchmarks/rules.py [--evaluations N] [--rounds R]

For each shipped sample decision (``infrastructure/catalogue/sample_rules``) and a fixed set of inputs, it
measures, in one process and in alternating rounds so that both see the same machine load:

* ``bare``: ``zen.ZenEngine().create_decision(json).evaluate(inputs, {"trace": True})`` on a decision
  compiled once beforehand: the ceiling.
* ``onething``: ``ZenRules.evaluate(decision, inputs)``: the digest of the decision, the cache look-up
  under its lock, the same evaluation with trace, and the extraction of the matched rule ids.

The figure that matters is the ratio onething/bare (evaluations per second), measured in one run.

Extension point: ``measure_case_opening(open_case, count)`` times any callable (e.g. opening a case with
rules on the 53-item land-use bundle) with the same statistics; ``main`` prints it beside the rules
figures when given one. Nothing calls it with a made-up workload.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import zen  # noqa: E402

from infrastructure.catalogue.files import sample_rules  # noqa: E402
from infrastructure.rules import ZenRules  # noqa: E402


@dataclass
class Figures:
    """Latencies of one kind of call, in seconds."""

    label: str
    seconds: list[float]

    @property
    def rate(self) -> float:
        return len(self.seconds) / sum(self.seconds)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    def line(self) -> str:
        return (f"{self.label:<50} {self.rate:>10,.0f}/s   p50 {self.percentile(0.50) * 1e6:>8.1f} µs"
                f"   p99 {self.percentile(0.99) * 1e6:>8.1f} µs")


def workloads() -> dict[str, tuple[Mapping[str, Any], list[dict[str, Any]]]]:
    """Each sample decision with inputs that walk its tables."""
    files = sample_rules()
    clear = {"listed": False, "lists": []}
    talent = [{"answers": {"salary_cny": s, "degree": d, "experience_years": y, "age": a,
                           "work_months_per_year": 9, "hsk_level": h}, "applicant": {}, "materials_complete": True,
               "credit": clear}
              for s, d, y, a, h in [(450_000, "doctor", 12, 30, 0), (250_000, "bachelor", 2, 30, 1),
                                    (60_000, "none", 0, 58, 0), (380_000, "master", 20, 47, 6)]]
    construction = [{"answers": {"risk_level": r, "floor_area_m2": f}, "applicant": {}, "materials_complete": m,
                     "credit": {"listed": c, "lists": []}}
                    for r, f, m, c in [("low", 1500, True, False), ("low", 2500, True, False),
                                       ("high", 800, False, True), ("low", 2000, True, True)]]
    land = [{"answers": {"project_type": t, "land_area_m2": a, "hazardous": h}, "applicant": {},
             "materials_complete": True, "credit": clear}
            for t, a, h in [("manufacturing", 30_000, True), ("warehouse", 3_000, False), ("research", 12_000, False)]]
    chosen: dict[str, tuple[Mapping[str, Any], list[dict[str, Any]]]] = {
        "foreign-talent-classification": (files["foreign-talent-classification.json"], talent),
        "construction-low-risk": (files["construction-low-risk.json"], construction),
    }
    for kind, decision in files["land-use-applicability.json"]["decisions"].items():
        chosen[f"land-use-applicability/{kind}"] = (decision, land)
    return chosen


def timed(call: Callable[[], Any], count: int, into: list[float]) -> None:
    for _ in range(count):
        start = time.perf_counter()
        call()
        into.append(time.perf_counter() - start)


def measure_case_opening(open_case: Callable[[], Any], count: int, label: str = "open a case with rules") -> Figures:
    """The extension point: time ``open_case`` ``count`` times (e.g. opening a case on the 53-item land-use
    bundle with its rules, whose rules share is then set against the bare figures above)."""
    figures = Figures(label, [])
    timed(open_case, count, figures.seconds)
    return figures


def measure(name: str, decision: Mapping[str, Any], inputs: list[dict[str, Any]], evaluations: int,
            rounds: int) -> tuple[Figures, Figures]:
    compiled = zen.ZenEngine().create_decision(json.dumps(decision, ensure_ascii=False))
    rules = ZenRules()
    assert rules.problems(decision) == []
    for sample in inputs:  # the two agree before anything is timed
        assert rules.evaluate(decision, sample).outputs == compiled.evaluate(sample, {"trace": True})["result"]
    bare, ours = Figures(f"{name} bare", []), Figures(f"{name} onething", [])
    per_round = max(1, evaluations // rounds // len(inputs))
    for _ in range(rounds):
        for sample in inputs:
            timed(lambda s=sample: compiled.evaluate(s, {"trace": True}), per_round, bare.seconds)
            timed(lambda s=sample: rules.evaluate(decision, s), per_round, ours.seconds)
    return bare, ours


def main(open_case: Callable[[], Any] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evaluations", type=int, default=20_000, help="per decision and per way (default 20000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", type=int, default=200, help="land-use cases to open with rules (0: none)")
    args = parser.parse_args()
    print(f"zen-engine bare vs ZenRules.evaluate, {args.evaluations} evaluations each, {args.rounds} rounds\n")
    totals = {"bare": 0.0, "onething": 0.0, "count": 0}
    for name, (decision, inputs) in workloads().items():
        bare, ours = measure(name, decision, inputs, args.evaluations, args.rounds)
        print(bare.line())
        print(ours.line())
        print(f"{'':<50} ratio onething/bare {ours.rate / bare.rate:.2f}\n")
        totals["bare"] += sum(bare.seconds)
        totals["onething"] += sum(ours.seconds)
        totals["count"] += len(bare.seconds)
    print(f"all decisions: ratio onething/bare {totals['bare'] / totals['onething']:.2f} "
          f"({totals['count']:,} evaluations each way)")
    if open_case is not None:
        print(measure_case_opening(open_case, args.evaluations // 100).line())
    if args.cases:
        land_use_openings(args.cases)


def land_use_openings(count: int) -> None:
    """Open ``count`` cases of the 53-item land-use bundle with its rules on a fresh SQLite database (each
    opening evaluates ten decisions and records them): p50/p99 latency of the whole command, the share of it
    spent in the rules engine, and the same decisions on the same facts through bare zen-engine."""
    import tempfile

    from application.cases.intake import MaterialReceived
    from application.demo.loader import demo_credit_code
    from infrastructure.catalogue.files import sample_catalogue
    from web.services import Settings, build_services
    from domain.shared.values import Actor, Role

    folder = Path(tempfile.mkdtemp(prefix="onething-bench-rules-"))
    services = build_services(Settings(database_url=f"sqlite:///{folder / 'bench.sqlite3'}", secret_key="bench",
                                       audit_key=str(folder / "audit.pem"), files_url=str(folder / "files")))
    services.init_schema()
    admin, intake = Actor("bench-admin", Role.ADMIN), Actor("bench-window", Role.INTAKE)
    for data in sample_catalogue().values():
        services.catalogue.publish_file(data, admin)
    definition, _ = services.catalogue.definition("industrial-land-use")
    materials = [MaterialReceived(m.key, f"{m.key}.pdf") for m in definition.materials]
    engine = services.cases.rules.engine if services.cases.rules else None
    assert engine is not None
    in_rules: list[float] = []
    evaluate = engine.evaluate

    def timed_evaluate(decision: Any, inputs: Any) -> Any:
        start = time.perf_counter()
        try:
            return evaluate(decision, inputs)
        finally:
            in_rules.append(time.perf_counter() - start)

    engine.evaluate = timed_evaluate  # type: ignore[method-assign]
    kinds = [{"project_type": t, "land_area_m2": a, "hazardous": h}
             for t in ("manufacturing", "warehouse", "research") for a in (3000, 30000) for h in (False, True)]
    facts: list[dict[str, Any]] = []
    openings = Figures("open a 53-item land-use case with rules", [])
    for n in range(count):
        answers = kinds[n % len(kinds)]
        start = time.perf_counter()
        services.cases.intake.open_case(intake, "industrial-land-use", f"基准项目公司{n}", demo_credit_code(n % 9000 + 1),
                                        "window", materials=materials, answers=answers)
        openings.seconds.append(time.perf_counter() - start)
        facts.append(answers)
    decisions = [item.rules for item in definition.items if item.rules]
    compiled = [zen.ZenEngine().create_decision(json.dumps(d, ensure_ascii=False)) for d in decisions]
    bare = Figures("the same decisions, bare zen-engine, per opening", [])
    for answers in facts:
        inputs = {"answers": answers, "applicant": {}, "materials_complete": True,
                  "credit": {"listed": False, "lists": []}}
        start = time.perf_counter()
        for decision in compiled:
            decision.evaluate(inputs, {"trace": True})
        bare.seconds.append(time.perf_counter() - start)
    total, rules_total = sum(openings.seconds), sum(in_rules)
    print(f"\n{count} land-use cases opened ({len(decisions)} decisions each, recorded as RulesEvaluated):")
    print(openings.line())
    print(bare.line())
    print(f"rules' share of an opening: {rules_total / total:.1%} (through ZenRules); bare zen-engine would be "
          f"{sum(bare.seconds) / total:.1%} of the same openings")


if __name__ == "__main__":
    main()
