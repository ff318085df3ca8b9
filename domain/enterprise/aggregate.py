"""An enterprise filing online: its credit code fixes its id, so it registers once, with one representative.

The representative (法定代表人) authorises agents (经办人) for all bundles or some, until a date
(inclusive), and revokes them. The agents' own accounts are ``User`` aggregates that carry the same facts,
so signing in never needs to load the enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.aggregate import CATALOGUE_NAMESPACE
from domain.shared.errors import DomainError, InvalidValue
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor


class AgentExists(DomainError):
    """Raised when the enterprise already has (or had) an agent of that name, or it names the representative."""

    code = "agent_exists"


class UnknownAgent(DomainError):
    """Raised when the enterprise has no agent of that name."""

    code = "unknown_agent"


@dataclass(frozen=True)
class Agent:
    """An agent as the enterprise authorised it: its bundles (None: all), the last day, whether revoked."""

    username: str
    bundles: tuple[str, ...] | None
    until: date
    revoked: bool = False

    def active_on(self, day: date) -> bool:
        """Whether the agent may act on ``day`` (not revoked, ``until`` inclusive)."""
        return not self.revoked and day <= self.until


class Enterprise(Aggregate):
    """An enterprise registered for online filing."""

    class Registered(Created):
        """The enterprise registered with its legal representative's account."""

        credit_code: str
        name: str
        representative: str

    class AgentAuthorised(Recorded):
        """The representative authorised an agent for ``bundles`` (None: all) until ``until`` (inclusive)."""

        username: str
        bundles: list[str] | None
        until: date

        def apply(self, enterprise: Enterprise) -> None:
            bundles = tuple(self.bundles) if self.bundles is not None else None
            enterprise.agents[self.username] = Agent(self.username, bundles, self.until)

    class AgentRevoked(Recorded):
        """The representative revoked an agent (the reason says why); its sessions and tokens end."""

        username: str

        def apply(self, enterprise: Enterprise) -> None:
            agent = enterprise.agents[self.username]
            enterprise.agents[self.username] = Agent(agent.username, agent.bundles, agent.until, revoked=True)

    @staticmethod
    def create_id(credit_code: str, **_: Any) -> UUID:
        """An enterprise's id follows from its credit code: a second registration conflicts."""
        return uuid5(CATALOGUE_NAMESPACE, f"enterprise:{credit_code}")

    def __init__(self, credit_code: str, name: str, representative: str, actor: Actor, reason: str):
        self.credit_code, self.name, self.representative = credit_code, name, representative
        self.agents: dict[str, Agent] = {}

    @classmethod
    def register(cls, credit_code: str, name: str, representative: str, actor: Actor) -> Enterprise:
        """Register the enterprise with its representative's username."""
        if not name.strip():
            raise InvalidValue("the enterprise's name is required")
        return cls._create(cls.Registered, credit_code=credit_code, name=name.strip(),
                           representative=representative, actor=actor, reason="registered online")

    def authorise_agent(self, username: str, bundles: list[str] | None, until: date, today: date,
                        actor: Actor, reason: str = "agent authorised") -> None:
        """Authorise a new agent for ``bundles`` (None: all) until ``until``, which may not be before ``today``."""
        if username == self.representative or username in self.agents:
            raise AgentExists(f"{username!r} is already an account of this enterprise")
        if until < today:
            raise InvalidValue(f"until: {until.isoformat()} is in the past")
        if bundles is not None and not bundles:
            raise InvalidValue("bundles: name at least one bundle, or leave it out for all")
        self.trigger_event(self.AgentAuthorised, username=username,
                           bundles=sorted(set(bundles)) if bundles is not None else None, until=until,
                           actor=actor, reason=reason)

    def revoke_agent(self, username: str, actor: Actor, reason: str) -> bool:
        """Revoke an agent at once; False when it was revoked already (nothing recorded)."""
        agent = self.agents.get(username)
        if agent is None:
            raise UnknownAgent(f"{username!r} is not an agent of this enterprise")
        if agent.revoked:
            return False
        self.trigger_event(self.AgentRevoked, username=username, actor=actor, reason=reason)
        return True
