"""What the web layer reads of a user: a plain value, never the aggregate (so never the password hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.username, user.role, user.department, user.display_name, user.disabled,
                   user.tokens_valid_after)

    def as_actor(self) -> Actor:
        """The actor this user acts as."""
        return Actor(self.username, self.role, self.department)
