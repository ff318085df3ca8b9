"""What the notifications ask of the world: the applicants' contacts, and a sender per channel.

``ApplicantContacts`` answers who to tell at an enterprise (the accounts implement it on the users
application as ``enterprise_contacts``; ``contacts_from`` adapts that). A ``Sender`` puts one message on one
channel and raises ``SendFailed`` (or any exception) when it could not: e-mail over SMTP is in
``infrastructure.mail``; SMS is only this interface — no provider is bound, so no SMS is queued until one is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Contact:
    """One person to tell at an enterprise: its account, what it is (representative, agent), how to reach it."""

    username: str
    kind: str
    email: str = ""
    phone: str = ""


class ApplicantContacts(Protocol):
    """Who to tell at an enterprise."""

    def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        """The enterprise's contacts (none if it has no account); with ``bundle``, only those who may see that
        bundle's cases (an agent authorised for other bundles is not told)."""


class NoContacts:
    """No enterprise has contacts: notifications reach the in-app inbox only."""

    def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        """Nobody."""
        return []


class SendFailed(Exception):
    """Raised when a channel did not take a message (the delivery is tried again later)."""


class Sender(Protocol):
    """Puts one message on one channel (e-mail, SMS)."""

    def send(self, address: str, subject: str, body: str) -> None:
        """Send ``body`` to ``address``, or raise."""


class SmsGateway(Sender, Protocol):
    """An SMS provider (短信网关): ``address`` is a mobile number, ``subject`` may be ignored. None is bound by
    default; a deployment binds one by passing it to ``Notifier`` (``web.services``)."""


@dataclass(frozen=True)
class FunctionContacts:
    """``ApplicantContacts`` over a function returning ``(username, kind, email, phone)`` tuples, mappings or
    objects with those attributes (the users application's ``enterprise_contacts``)."""

    function: Callable[[str, str | None], Iterable[Any]]

    def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        """The function's answer as contacts."""
        return [_contact(entry) for entry in self.function(credit_code, bundle)]


def _contact(entry: Any) -> Contact:
    if isinstance(entry, Contact):
        return entry
    if isinstance(entry, tuple):
        username, kind, email, phone = entry
    elif isinstance(entry, dict):
        username, kind, email, phone = (entry.get(k) for k in ("username", "kind", "email", "phone"))
    else:
        username, kind, email, phone = (getattr(entry, k, None) for k in ("username", "kind", "email", "phone"))
    return Contact(str(username), str(kind or ""), str(email or ""), str(phone or ""))


def contacts_from(source: Any) -> ApplicantContacts:
    """The contacts ``source`` knows through its ``enterprise_contacts`` method, or nobody's if it has none."""
    function = getattr(source, "enterprise_contacts", None)
    return FunctionContacts(function) if callable(function) else NoContacts()
