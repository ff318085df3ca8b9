"""The roadmap rule of shared/API.md, on hand-checked dates."""

from __future__ import annotations

from datetime import date

from domain.catalogue.definitions import BundleDef, ItemDef
from domain.catalogue.roadmap import plan
from tests.conftest import restaurant_bundle, weekdays


def bundle() -> BundleDef:
    """a (2 days) and b (1 day) start together; c (3 days) waits for both; d (1 day) waits for b."""
    return BundleDef(code="x", name="x", items=(
        ItemDef("a", "A", "d1", 2), ItemDef("b", "B", "d2", 1),
        ItemDef("c", "C", "d3", 3, prerequisites=("a", "b")), ItemDef("d", "D", "d4", 1, prerequisites=("b",)),
    ))


def test_items_without_prerequisites_start_on_the_start_date_and_count_from_the_next_day():
    road = plan(bundle(), 1, date(2026, 3, 2), weekdays)  # a Monday
    items = {i.code: i for i in road.items}
    assert (items["a"].earliest_start, items["a"].earliest_end) == (date(2026, 3, 2), date(2026, 3, 4))
    assert (items["b"].earliest_start, items["b"].earliest_end) == (date(2026, 3, 2), date(2026, 3, 3))


def test_an_item_starts_the_day_its_last_prerequisite_ends():
    road = plan(bundle(), 1, date(2026, 3, 2), weekdays)
    items = {i.code: i for i in road.items}
    assert items["c"].earliest_start == date(2026, 3, 4)  # a ends Wednesday, after b
    assert items["c"].earliest_end == date(2026, 3, 9)  # Thu, Fri, (weekend), Mon
    assert items["d"].earliest_start == date(2026, 3, 3)


def test_the_critical_path_and_earliest_completion_follow_the_longest_chain():
    road = plan(bundle(), 1, date(2026, 3, 2), weekdays)
    assert road.critical_path == ("a", "c")
    assert road.earliest_completion == date(2026, 3, 9) and road.working_days == 5
    assert [i.code for i in road.items if i.critical] == ["a", "c"]
    assert [i.code for i in road.items].index("c") > [i.code for i in road.items].index("b")


def test_the_restaurant_over_national_day_2026_uses_the_real_calendar():
    from infrastructure.calendar.workdays import WorkingCalendar

    calendar = WorkingCalendar()
    road = plan(restaurant_bundle(), 1, date(2026, 9, 30), calendar.is_workday, calendar.knows)
    items = {i.code: i for i in road.items}
    # 1 working day after Wed 30 Sep: 1-7 Oct are holidays, Thu 8 Oct is the first working day.
    assert items["business-licence"].earliest_end == date(2026, 10, 8)
    # 5 working days from Thu 8 Oct: Fri 9, the adjusted working Saturday 10, Mon 12, Tue 13, Wed 14.
    assert items["food-permit"].earliest_end == date(2026, 10, 14)
    assert road.critical_path == ("business-licence", "food-permit") and not road.provisional


def test_a_roadmap_into_a_year_the_calendar_does_not_know_is_provisional():
    from infrastructure.calendar.workdays import WorkingCalendar

    calendar = WorkingCalendar()
    road = plan(restaurant_bundle(), 1, date(2026, 12, 28), calendar.is_workday, calendar.knows)
    assert road.provisional
    declared = WorkingCalendar(years=[2027])
    assert not plan(restaurant_bundle(), 1, date(2026, 12, 28), declared.is_workday, declared.knows).provisional
