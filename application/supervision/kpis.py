"""Key figures per bundle and per department, from projected case and item rows.

* on-time rate (按时办结率): completed cases closed on or before their due date / completed cases;
  for departments: decided items decided on or before their due date / decided items with a due date.
* cycle time: working days from opening to completion (items: from acceptance to decision);
  median and 90th percentile (nearest rank).
* reductions (跑动次数 / 环节 / 申请材料 / 办理时间), per bundle, of the real histories against filing
  the items separately. The "separately" figures are the bundle's ``baseline`` if it declares one,
  else derived from its definition: one trip and three steps (file, be reviewed, collect) per item,
  every item's own copy of its materials, and the items' time limits one after another. The real
  figures, averaged over completed cases: trips = 1 for a window filing plus one per supplement
  (0 for online, mobile and agent filings), steps = filing + supplements + collecting, materials =
  distinct materials submitted, time = the median cycle time.
* materials given (materials_given): versions of materials uploaded (or paper) against those reused from the
  applicant's vault or its e-licences, and the share reused — the seeds' "materials −61 % / −68 %", measured.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from statistics import mean, median
from typing import Any

Row = dict[str, Any]


def nearest_rank(values: list[int], share: float) -> int | None:
    """The ``share`` percentile by the nearest-rank method (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _cycle(values: list[int]) -> dict[str, Any]:
    return {"median": median(values) if values else None, "p90": nearest_rank(values, 0.9)}


def bundle_kpis(cases: Iterable[Row], bundles: Iterable[Row]) -> dict[str, dict[str, Any]]:
    """Per bundle code: counts, on-time rate, cycle times, supplements, commitments, ratings, reductions."""
    by_bundle: dict[str, list[Row]] = defaultdict(list)
    for row in cases:
        by_bundle[row["bundle"]].append(row)
    definitions = {b["code"]: json.loads(b["definition"]) for b in bundles}
    result = {}
    for code in sorted(set(by_bundle) | set(definitions)):
        rows = by_bundle.get(code, [])
        done = [r for r in rows if r["status"] == "completed"]
        cycles = [r["cycle_days"] for r in done if r["cycle_days"] is not None]
        ratings = [r["rating"] for r in rows if r["rating"] is not None]
        result[code] = {
            "opened": len(rows), "completed": len(done),
            "rejected": sum(r["status"] == "rejected" for r in rows),
            "withdrawn": sum(r["status"] == "withdrawn" for r in rows),
            "on_time_rate": _rate(sum(bool(r["on_time"]) for r in done), len(done)),
            "cycle_days": _cycle(cycles),
            "supplements": sum(r["supplements"] for r in rows),
            "approvals_on_commitment": sum(r["commitments"] for r in rows),
            "rating": {"count": len(ratings), "average": round(mean(ratings), 2) if ratings else None},
            "reductions": reductions(definitions.get(code), done, cycles),
            "materials_given": materials_given(rows),
        }
    return result


def materials_given(rows: list[Row]) -> dict[str, Any]:
    """Material versions the applicants gave as new files (or paper) against those reused from their vaults
    or e-licences, over every case of the bundle; ``reduction`` is the share reused (济南's −61 %: what no
    applicant had to hand in again)."""
    uploaded = sum(r.get("materials_uploaded") or 0 for r in rows)
    reused = sum(r.get("materials_reused") or 0 for r in rows)
    return {"uploaded": uploaded, "reused": reused, "reduction": _rate(reused, uploaded + reused)}


def department_kpis(items: Iterable[Row]) -> dict[str, dict[str, Any]]:
    """Per department: its cases (opened, completed, ratings), items decided, on-time rate, cycle, supplements."""
    by_department: dict[str, list[Row]] = defaultdict(list)
    for row in items:
        by_department[row["department"]].append(row)
    result = {}
    for code, rows in sorted(by_department.items()):
        decided = [r for r in rows if r["status"] in ("approved", "rejected")]
        timed = [r for r in decided if r["on_time"] is not None]
        cases = {r["case_id"]: r for r in rows}.values()  # one row per case the department works on
        ratings = [c["rating"] for c in cases if c["rating"] is not None]
        result[code] = {
            "cases": len(cases), "cases_completed": sum(c["case_status"] == "completed" for c in cases),
            "rating": {"count": len(ratings), "average": round(mean(ratings), 2) if ratings else None},
            "items": len(rows),
            "approved": sum(r["status"] == "approved" for r in rows),
            "rejected": sum(r["status"] == "rejected" for r in rows),
            "on_time_rate": _rate(sum(bool(r["on_time"]) for r in timed), len(timed)),
            "cycle_days": _cycle([r["cycle_days"] for r in decided if r["cycle_days"] is not None]),
            "supplements": sum(r["supplements"] for r in rows),
            "approvals_on_commitment": sum(bool(r["on_commitment"]) for r in rows),
        }
    return result


def separate_filing(definition: dict[str, Any]) -> dict[str, float]:
    """The figures for filing a bundle's items one by one (declared, or derived from the definition)."""
    items = definition["items"]
    derived = {
        "trips": len(items), "steps": 3 * len(items),
        "materials": sum(len(i.get("materials", ())) for i in items),
        "days": sum(i["time_limit_days"] for i in items),
    }
    return {**derived, **(definition.get("baseline") or {})}


def reductions(definition: dict[str, Any] | None, completed: list[Row], cycles: list[int]) -> dict[str, Any]:
    """Each figure separately, as one thing in real histories, and the reduction (1 - real/separate)."""
    if definition is None or not completed:
        return {}
    real = {
        "trips": mean(_trips(r) for r in completed),
        "steps": mean(2 + r["supplements"] for r in completed),
        "materials": mean(r["materials"] for r in completed),
        "days": median(cycles) if cycles else None,
    }
    separate = separate_filing(definition)
    return {
        name: {"separately": separate[name], "one_thing": real[name],
               "reduction": round(1 - real[name] / separate[name], 4)
               if real[name] is not None and separate[name] else None}
        for name in ("trips", "steps", "materials", "days")
    }


def _trips(row: Row) -> int:
    return 1 + row["supplements"] if row["channel"] == "window" else 0
