"""The figures page's data: key figures per bundle and department, each department's load, the bundles'
reductions and the petitions' figures, as tables and as SVG charts (``web.ui.charts``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from domain.shared.values import Actor
from web.ui.charts import bar_chart, number, paired_bar_chart, percent
from web.ui.i18n import localized_name
from web.ui.supervision.data import bundle_names, supervision_queries
from web.ui.urls import services

MEASURES = ("trips", "steps", "materials", "days")
CYCLE_FILLS = ("#0b57a4", "#7fa6d3")  # median, 90th percentile
LOAD_FILLS = ("#0b57a4", "#b3261e")  # open, overdue


def measure_label(name: str) -> str:
    """A reduction's measure in words."""
    return {"trips": _("Trips"), "steps": _("Steps"), "materials": _("Materials"),
            "days": _("Time (working days)")}[name]


def figures(actor: Actor) -> dict[str, Any]:
    """Everything the figures page shows, in the UI's language."""
    kpis = services().queries.kpis(actor)
    named = bundle_names()
    departments = services().queries.departments()
    load = supervision_queries().department_load(actor)
    bundles = [{"code": code, "name": localized_name(named.get(code), code), **row}
               for code, row in kpis["bundles"].items()]
    department_rows = [{"code": code, "name": localized_name(departments.get(code), code),
                        **kpis["departments"].get(code, {}), "load": load.get(code, {"open": 0, "overdue": 0})}
                       for code in sorted(set(kpis["departments"]) | set(load))]
    petitions = services().petition_queries.figures(actor)
    petition_rows = [(_("All departments"), petitions["all"])] + [
        (localized_name(departments.get(code), code), row) for code, row in petitions["departments"].items()]
    return {"bundles": bundles, "departments": department_rows, "petition_rows": petition_rows,
            "reductions": reductions(bundles), "charts": charts(bundles, department_rows)}


def reductions(bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per bundle with completed cases and measure: filed separately, as one thing, the reduction."""
    return [{"bundle": row["name"], "measure": measure_label(name), **row["reductions"][name]}
            for row in bundles if row["reductions"] for name in MEASURES]


def charts(bundles: list[dict[str, Any]], departments: list[dict[str, Any]]) -> dict[str, Any]:
    """The page's charts (inline SVG), by name; the reduction charts by measure."""
    missing, days = _("no data"), _("working days")

    def cycle(row: dict[str, Any]) -> tuple[str, Any, Any]:
        figures = row.get("cycle_days") or {}
        return row["name"], figures.get("median"), figures.get("p90")

    with_reductions = [b for b in bundles if b["reductions"]]
    by_measure: dict[str, str] = {}
    for name in MEASURES:
        rows = [(b["name"], b["reductions"][name]["separately"], b["reductions"][name]["one_thing"])
                for b in with_reductions]
        by_measure[name] = paired_bar_chart(
            _("%(measure)s: filed separately and as one thing", measure=measure_label(name)), rows,
            (_("Filed separately"), _("As one thing")), value_text=number, missing=missing)
    result = {
        "on_time_bundles": bar_chart(_("On-time completion rate by bundle"),
                                     [(b["name"], b["on_time_rate"]) for b in bundles], maximum=1,
                                     value_text=percent, missing=missing),
        "on_time_departments": bar_chart(_("On-time rate of items by department"),
                                         [(d["name"], d.get("on_time_rate")) for d in departments], maximum=1,
                                         value_text=percent, missing=missing),
        "cycle_bundles": paired_bar_chart(_("Cycle time of completed cases by bundle (%(unit)s)", unit=days),
                                          [cycle(b) for b in bundles], (_("Median"), _("90th percentile")),
                                          fills=CYCLE_FILLS, missing=missing),
        "cycle_departments": paired_bar_chart(_("Cycle time of decided items by department (%(unit)s)", unit=days),
                                              [cycle(d) for d in departments], (_("Median"), _("90th percentile")),
                                              fills=CYCLE_FILLS, missing=missing),
        "load": paired_bar_chart(_("Open items by department"),
                                 [(d["name"], d["load"]["open"], d["load"]["overdue"]) for d in departments],
                                 (_("Open"), _("Overdue")), fills=LOAD_FILLS, missing=missing),
        "reductions": by_measure,
    }
    return result
