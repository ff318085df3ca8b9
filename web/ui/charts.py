"""Charts drawn on the server as inline SVG: horizontal bars, and paired bars (before / after).

No JavaScript and nothing fetched: the page carries the picture itself. Every label is escaped; each chart
shows its title, has a ``<title>`` and a ``<desc>`` (all its numbers in words) that screen readers read, and
each bar its own ``<title>`` (a tooltip). Pages show the same numbers in a table next to the chart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560  # the viewBox's width; the SVG scales to its box
VALUE_ROOM = 72  # right of the bars: the value as text
LABEL_MAX = 220  # a longer label is cut with "…" (the bar's tooltip and the desc keep it whole)
FONT = 13
BAR, PAIR_BAR, GAP, TOP = 20, 13, 10, 8
HEADING, LEGEND = 26, 24
SINGLE_FILL = "#0b57a4"
BEFORE_AFTER = ("#9aa5b1", "#1e7b34")  # before: grey, after: green

ValueText = Callable[[float], str]


@dataclass(frozen=True)
class Row:
    """One line of a chart: a label and one value (bars) or two (pairs); None draws no bar."""

    label: str
    values: tuple[float | None, ...]


def number(value: float) -> str:
    """A value as short text: whole numbers without decimals, others with at most one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def percent(value: float) -> str:
    """A share (0 … 1) as a percentage with one decimal."""
    return f"{value * 100:.1f}%"


def text_width(text: str) -> float:
    """About how wide ``text`` is at the chart's font size, erring wide so that a label is never clipped
    (CJK characters and the ellipsis take a full em in CJK fonts; Latin about 0.6)."""
    return sum(FONT * 1.05 if ord(ch) >= 0x2E80 or ch == "…" else FONT * 0.62 for ch in text)


def fit(text: str, room: float = LABEL_MAX) -> str:
    """``text``, cut with "…" if it is wider than ``room``."""
    if text_width(text) <= room:
        return text
    while text and text_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def scale(value: float | None, maximum: float, room: float) -> float:
    """The length of a bar of ``value`` when ``maximum`` fills ``room`` (0 for none or negatives; capped)."""
    if value is None or maximum <= 0:
        return 0.0
    return round(min(max(value, 0.0), maximum) / maximum * room, 1)


def bar_chart(title: str, rows: Sequence[tuple[str, float | None]], *, maximum: float | None = None,
              value_text: ValueText = number, missing: str = "—", chart_id: str | None = None) -> Markup:
    """A horizontal bar chart: one bar per (label, value); ``maximum`` fills the width (default: the largest)."""
    return _chart(title, [Row(str(label), (value,)) for label, value in rows], (), (SINGLE_FILL,), maximum,
                  value_text, missing, chart_id)


def paired_bar_chart(title: str, rows: Sequence[tuple[str, float | None, float | None]], series: tuple[str, str],
                     *, fills: tuple[str, str] = BEFORE_AFTER, maximum: float | None = None,
                     value_text: ValueText = number, missing: str = "—", chart_id: str | None = None) -> Markup:
    """Two bars per label (e.g. before and after, in ``fills``), with a legend naming ``series``; one scale
    for all bars."""
    return _chart(title, [Row(str(label), (a, b)) for label, a, b in rows], tuple(map(str, series)), fills,
                  maximum, value_text, missing, chart_id)


def _chart(title: str, rows: list[Row], series: tuple[str, ...], fills: tuple[str, ...], maximum: float | None,
           value_text: ValueText, missing: str, chart_id: str | None) -> Markup:
    title, missing = str(title), str(missing)
    ident = chart_id or "chart-" + hashlib.sha1(repr((title, rows)).encode(), usedforsecurity=False).hexdigest()[:10]
    values = [v for row in rows for v in row.values if v is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    labels = [fit(row.label) for row in rows]
    label_room = min(LABEL_MAX, max((text_width(label) for label in labels), default=0.0)) + 12
    room = WIDTH - label_room - VALUE_ROOM
    bars = len(series) or 1
    bar = PAIR_BAR if series else BAR
    row_height = bars * bar + (bars - 1) * 2 + GAP
    head = HEADING + (LEGEND if series else 0)
    height = TOP + head + max(len(rows), 1) * row_height
    parts = [_text(0, TOP + FONT, fit(title, WIDTH), "start", "chart-title", ' font-weight="600"'),
             _legend(series, fills) if series else ""]
    for index, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = TOP + head + index * row_height
        parts.append(_text(label_room - 8, y + (row_height - GAP) / 2 + FONT / 3, label, "end", "chart-label"))
        for number_, value in enumerate(row.values):
            shown = value_text(value) if value is not None else missing
            name = f"{row.label} · {series[number_]}" if series else row.label
            by = y + number_ * (bar + 2)
            fill = _colour(fills[number_])
            length = scale(value, top, room)
            parts.append(f'<rect class="chart-bar chart-series-{number_}" x="{label_room}" y="{by}" '
                         f'width="{length}" height="{bar}" fill="{fill}"><title>{escape(name)}: '
                         f'{escape(shown)}</title></rect>')
            parts.append(_text(label_room + length + 4, by + bar / 2 + FONT / 3, shown, "start", "chart-value"))
    desc = "; ".join(f"{row.label}: " + " / ".join(
        (f"{series[n]} " if series else "") + (value_text(v) if v is not None else missing)
        for n, v in enumerate(row.values)) for row in rows)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height:g}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet" font-size="{FONT}" '
           f'aria-labelledby="{ident}-title {ident}-desc">'
           f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
           + "".join(parts) + "</svg>")
    return Markup(svg)  # noqa: S704 - every text above went through escape()


def _legend(series: tuple[str, ...], fills: tuple[str, ...]) -> str:
    parts, x, y = [], 0.0, TOP + HEADING
    for number_, name in enumerate(series):
        parts.append(f'<rect class="chart-key" x="{x:g}" y="{y}" width="12" height="12" '
                     f'fill="{_colour(fills[number_])}"/>')
        parts.append(_text(x + 16, y + 11, name, "start", "chart-legend"))
        x += 16 + text_width(name) + 24
    return "".join(parts)


def _colour(fill: str) -> str:
    """``fill`` if it is a #rgb or #rrggbb colour (it goes into an attribute), else the default."""
    return fill if re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", fill) else SINGLE_FILL


def _text(x: float, y: float, text: str, anchor: str, css: str, extra: str = "") -> str:
    return (f'<text class="{css}" x="{x:g}" y="{y:g}" text-anchor="{anchor}" fill="#1f2933"{extra}>'
            f"{escape(text)}</text>")
