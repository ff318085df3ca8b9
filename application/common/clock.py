"""Time enters the application through one clock (tests freeze it with freezegun)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """What the application asks of time."""

    def now(self) -> datetime:
        """Return the current moment, timezone-aware."""

    def today(self) -> date:
        """Return the current business date."""


class SystemClock:
    """The real clock, in the service's timezone (``ONETHING_TIMEZONE``, Asia/Shanghai)."""

    def __init__(self, timezone: str = "Asia/Shanghai"):
        self.zone = ZoneInfo(timezone)

    def now(self) -> datetime:
        """Return the current moment in the service's timezone."""
        return datetime.now(tz=self.zone)

    def today(self) -> date:
        """Return today's date in the service's timezone."""
        return self.now().date()
