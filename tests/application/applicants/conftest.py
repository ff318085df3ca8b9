"""An enterprise registered by its representative, and a clock the tests move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

CODE = "91110000600037341L"
OTHER_CODE = "91110000600037340H"
PASSWORD = "a-long-enough-passphrase-9"


class MovableClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()

    def move(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(services) -> MovableClock:
    """One clock for accounts, tokens and one-time codes."""
    moved = MovableClock(datetime.now(UTC))
    services.users.clock = services.tokens.clock = services.two_factor.clock = moved
    return moved


@pytest.fixture
def enterprise(services, clock):
    """泉城小馆 registered online by its representative ``boss``; returns the representative's actor."""
    services.accounts.register_enterprise(CODE, "泉城小馆餐饮有限公司", "王老板", "boss", PASSWORD,
                                          email="boss@example.com", phone="13800000000")
    return services.users.find_actor("boss")
