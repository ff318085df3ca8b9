"""One page of a read-model list: what the read side's stores return and the queries pass on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of a list, and how many rows the whole list has."""

    rows: list[Row]
    total: int
    page: int
    per_page: int
