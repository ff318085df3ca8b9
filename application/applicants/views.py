"""What pages, the API and notifications read of an enterprise's accounts: plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.enterprise.aggregate import Agent


@dataclass(frozen=True)
class EnterpriseView:
    """An enterprise as registered."""

    credit_code: str
    name: str
    representative: str


@dataclass(frozen=True)
class AgentView:
    """An agent of an enterprise: its bundles (None: all), its last day, and whether it may act today."""

    username: str
    bundles: tuple[str, ...] | None
    until: date
    revoked: bool
    active: bool

    @classmethod
    def of(cls, agent: Agent, today: date) -> AgentView:
        return cls(agent.username, agent.bundles, agent.until, agent.revoked, agent.active_on(today))


@dataclass(frozen=True)
class Contact:
    """Whom to tell about an enterprise's cases: an account that may act for it, and how to reach it."""

    username: str
    kind: str  # representative or agent
    email: str | None
    phone: str | None
