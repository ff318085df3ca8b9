"""The header's navigation: each UI blueprint adds its own links, for the roles that may open them.

A blueprint declares its links next to its views::

    bp = Blueprint("desk", __name__)
    nav_link(bp, "desk.index", _l("Intake desk"), Role.INTAKE, order=10)

and the links appear once the blueprint is registered on the app (so the header only ever shows pages
that exist). A role's start page, where ``/`` sends a signed-in user, is its first link by ``order``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app
from flask.sansio.app import App

from domain.shared.values import Role

EXTENSION = "onething_nav"


@dataclass(frozen=True)
class NavLink:
    """One link of the header: where it goes, its words, who sees it, and its place (low first)."""

    endpoint: str
    label: Any  # a lazy string: translated when it is shown
    roles: frozenset[str]
    order: int = 100


@dataclass
class NavRegistry:
    """The links of one app."""

    links: list[NavLink] = field(default_factory=list)

    def add(self, link: NavLink) -> None:
        """Add ``link`` (again: replaces the link to the same endpoint)."""
        self.links = sorted([lk for lk in self.links if lk.endpoint != link.endpoint] + [link],
                            key=lambda lk: (lk.order, lk.endpoint))

    def for_role(self, role: str | None) -> list[NavLink]:
        """The links ``role`` sees, in order."""
        return [link for link in self.links if role is not None and str(role) in link.roles]


def nav_link(bp: Blueprint, endpoint: str, label: Any, *roles: Role | str, order: int = 100) -> None:
    """Show a link to ``endpoint`` to users of ``roles`` once ``bp`` is registered on an app."""
    link = NavLink(endpoint, label, frozenset(str(role) for role in roles), order)
    bp.record_once(lambda state: registry(state.app).add(link))


def registry(app: App | None = None) -> NavRegistry:
    """The navigation registry of ``app`` (the current app by default)."""
    found: NavRegistry = (app or current_app).extensions.setdefault(EXTENSION, NavRegistry())
    return found


def links_for(role: str | None) -> list[NavLink]:
    """The links of the current app that ``role`` sees."""
    return registry().for_role(role)


def start_endpoint(role: str | None) -> str | None:
    """Where a user of ``role`` starts: the first link they see, if any."""
    links = links_for(role)
    return links[0].endpoint if links else None
