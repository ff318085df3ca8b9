"""What the web layer reads of a user: a plain value, never the aggregate (so never the password hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.shared.values import Actor, Role
from domain.users.aggregate import User


@dataclass(frozen=True)
class UserView:
    """A user as an admin page, the API or a session shows it."""

    username: str
    role: Role
    department: str | None
    display_name: str
    disabled: bool
    tokens_valid_after: datetime | None  # tokens and sessions begun by then no longer count (password changed)
    enterprise: str | None = None  # an applicant's credit code
    kind: str | None = None  # an applicant's: representative or agent
    bundles: tuple[str, ...] | None = None  # an agent's bundles (None: all)
    until: date | None = None  # an agent's last day
    revoked: bool = False
    totp_enabled: bool = False

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.username, user.role, user.department, user.display_name, user.disabled,
                   user.tokens_valid_after, user.enterprise, str(user.kind) if user.kind else None, user.bundles,
                   user.until, user.revoked, user.totp_enabled)

    def may_sign_in(self, today: date) -> bool:
        """Not disabled, not a revoked agent, not an agent past its last day."""
        return not self.disabled and not self.revoked and (self.until is None or today <= self.until)

    def as_actor(self) -> Actor:
        """The actor this user acts as (an applicant with its enterprise, an agent with its bundles)."""
        bundles = self.bundles if self.kind == "agent" else None
        return Actor(self.username, self.role, self.department, self.enterprise, bundles)
