"""The server-side SVG charts of the figures page (web.ui.charts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.ui.charts import LABEL_MAX, bar_chart, fit, number, paired_bar_chart, percent, scale, text_width

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    """The chart as XML (it must be well-formed to be parsed at all)."""
    return ET.fromstring(str(markup))


def bar_widths(svg: ET.Element) -> list[float]:
    return [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect") if "chart-bar" in rect.get("class", "")]


@pytest.mark.parametrize("value, maximum, room, length", [
    (50, 100, 200, 100.0), (100, 100, 200, 200.0), (150, 100, 200, 200.0), (-3, 100, 200, 0.0),
    (None, 100, 200, 0.0), (5, 0, 200, 0.0), (1, 3, 300, 100.0)])
def test_values_scale_to_the_room_capped_at_the_maximum(value, maximum, room, length):
    assert scale(value, maximum, room) == length


def test_bars_are_in_proportion_to_their_values_and_the_largest_fills_the_width():
    widths = bar_widths(parse(bar_chart("Cases", [("a", 10), ("b", 5), ("c", 0)])))
    assert widths[0] > 0 and widths[1] == pytest.approx(widths[0] / 2, abs=0.1) and widths[2] == 0


def test_a_given_maximum_sets_the_scale_for_rates():
    half, full = bar_widths(parse(bar_chart("Rate", [("a", 0.5), ("b", 1.0)], maximum=1, value_text=percent)))
    assert half == pytest.approx(full / 2, abs=0.1)


def test_labels_and_titles_are_escaped():
    nasty = '<script>alert("x")</script> & co'
    markup = str(bar_chart(f"Title {nasty}", [(nasty, 1)]))
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "&amp; co" in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == f"Title {nasty}"


def test_a_chart_has_an_accessible_title_and_description_of_its_numbers():
    svg = parse(bar_chart("On-time rate", [("开餐馆一件事", 0.983), ("Other", None)], maximum=1,
                          value_text=percent, missing="no data", chart_id="c1"))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").get("id") == "c1-title"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == "c1-desc" and desc.text == "开餐馆一件事: 98.3%; Other: no data"


def test_a_missing_value_draws_no_bar_and_says_so():
    svg = parse(bar_chart("x", [("a", None)], missing="—"))
    assert bar_widths(svg) == [0.0]
    assert "—" in [text.text for text in svg.iter(f"{SVG}text")]


def test_paired_bars_share_one_scale_and_have_a_legend():
    svg = parse(paired_bar_chart("Trips", [("开餐馆一件事", 4, 1), ("Other", 2, None)], ("Separately", "As one")))
    assert bar_widths(svg)[:2] == [pytest.approx(bar_widths(svg)[1] * 4, abs=0.2), bar_widths(svg)[1]]
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Separately" in texts and "As one" in texts and "开餐馆一件事" in texts
    titles = [title.text for rect in svg.iter(f"{SVG}rect") for title in rect.iter(f"{SVG}title")]
    assert titles[:2] == ["开餐馆一件事 · Separately: 4", "开餐馆一件事 · As one: 1"]


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip():
    label = "一件事" * 40
    assert text_width(fit(label)) <= LABEL_MAX and fit(label).endswith("…") and fit("short") == "short"
    svg = parse(bar_chart("x", [(label, 1)]))
    assert label in [title.text.split(":")[0] for rect in svg.iter(f"{SVG}rect") for title in rect.iter(f"{SVG}title")]


def test_an_empty_chart_is_still_a_valid_picture():
    svg = parse(bar_chart("Nothing yet", []))
    assert svg.find(f"{SVG}title").text == "Nothing yet" and bar_widths(svg) == []


def test_numbers_are_short():
    assert (number(3), number(2.0), number(1.333), percent(0.9834)) == ("3", "2", "1.3", "98.3%")
