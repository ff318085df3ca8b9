"""What the public learns from a certificate check: enough to trust a certificate, nothing that opens a case.

The progress lookup opens a case for its case number together with the applicant's credit code, so a public
answer carries neither: the holder is named, and its credit code shown masked (the first four and last four
characters), enough to compare with the paper in front of the verifier, too little to look the case up.
"""

from __future__ import annotations

from typing import Any

from application.cases.queries import Queries

Row = dict[str, Any]
SHOWN_AT_EACH_END = 4


def masked_credit_code(code: str) -> str:
    """``91110000600037341L`` as ``9111**********341L``: the ends only (short codes: stars only)."""
    if len(code) <= 2 * SHOWN_AT_EACH_END:
        return "*" * len(code)
    hidden = len(code) - 2 * SHOWN_AT_EACH_END
    return code[:SHOWN_AT_EACH_END] + "*" * hidden + code[-SHOWN_AT_EACH_END:]


def public_certificate(row: Row) -> Row:
    """The public answer about one released certificate: genuine, status, type, holder, date."""
    holder = {"name": row["holder_name"]}
    if row.get("holder_code"):
        holder["credit_code_masked"] = masked_credit_code(row["holder_code"])
    return {"number": row["number"], "genuine": True, "status": row["status"], "type": row["type"],
            "name": row["name"], "issued_on": row["issued_on"], "holder": holder}


def check_certificate(queries: Queries, number: str) -> Row:
    """Whether ``number`` is a released certificate, as the public may know it; ``NotFound`` if not."""
    return public_certificate(queries.certificate(number))
