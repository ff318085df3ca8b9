"""The credit register: every entry of the credit lists (e.g. ``serious-dishonesty``) recorded by an admin.

One aggregate, entries appended, never changed: an entry applies from ``valid_from`` to ``valid_to``, both
inclusive. The rules' credit check (``application.rules``) asks which lists name a credit code on a day.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.shared import errors
from domain.shared.recorded import Created, Recorded
from domain.shared.text import check_text
from domain.shared.values import Actor

REGISTER_ID = uuid5(NAMESPACE_URL, "https://onething.invalid/credit-register")


class CreditRegister(Aggregate):
    """The credit lists' entries."""

    class Started(Created):
        """The register was started (by its first entry)."""

    class EntryRecorded(Recorded):
        """An entry of a credit list: this credit code is on ``list`` from ``valid_from`` to ``valid_to``."""

        credit_code: str
        list: str
        valid_from: date
        valid_to: date
        source: str

        def apply(self, register: CreditRegister) -> None:
            register.entries.append({"credit_code": self.credit_code, "list": self.list,
                                     "valid_from": self.valid_from, "valid_to": self.valid_to,
                                     "source": self.source})

    def __init__(self, actor: Actor, reason: str):
        self.entries: list[dict[str, Any]] = []

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """There is one register."""
        return REGISTER_ID

    @classmethod
    def start(cls, actor: Actor) -> CreditRegister:
        """The register, before its first entry."""
        return cls._create(cls.Started, actor=actor, reason="credit register")

    def record(self, credit_code: str, list_name: str, valid_from: date, valid_to: date, source: str,
               actor: Actor, reason: str = "") -> None:
        """Record one entry (the credit code is checked by the caller, which knows the code's rules)."""
        if not isinstance(list_name, str) or not list_name.strip() or len(list_name) > 64:
            raise errors.InvalidValue("an entry names its list, e.g. serious-dishonesty")
        for name, day in (("from", valid_from), ("to", valid_to)):
            if not isinstance(day, date):
                raise errors.InvalidValue(f"{name} must be a date")
        if valid_to < valid_from:
            raise errors.InvalidValue("an entry's 'to' is not before its 'from'")
        check_text(source, "source")
        self.trigger_event(self.EntryRecorded, credit_code=credit_code, list=list_name.strip(),
                           valid_from=valid_from, valid_to=valid_to, source=source, actor=actor, reason=reason)

    def lists_naming(self, credit_code: str, on: date) -> list[str]:
        """The lists with an entry for ``credit_code`` valid on ``on`` (from and to inclusive), each once."""
        return sorted({e["list"] for e in self.entries
                       if e["credit_code"] == credit_code and e["valid_from"] <= on <= e["valid_to"]})
