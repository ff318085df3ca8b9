"""Fixtures shared by every suite: time, databases (SQLite and PostgreSQL), services, actors."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import argon2
import pytest
import sqlalchemy
from eventsourcing.persistence import DatetimeAsISO
from freezegun.api import FakeDate, FakeDatetime

from application.common.application import OneThingApplication
from application.common.transcodings import DateAsISO
from domain.catalogue.definitions import BundleDef
from domain.shared.values import Actor, Role
from infrastructure.accounts import passwords
from infrastructure.catalogue.files import sample_catalogue
from infrastructure.eventstore.persistence import dispose_datastores
from infrastructure.licences.signing import LicenceKey
from web.services import Services, Settings, build_services

POSTGRES_URL = os.environ.get(
    "ONETHING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = bool(os.environ.get("ONETHING_REQUIRE_POSTGRES"))
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REQUIRE_REDIS = bool(os.environ.get("ONETHING_REQUIRE_REDIS"))


class FakeDatetimeAsISO(DatetimeAsISO):
    """freezegun's FakeDatetime, stored like a datetime (eventsourcing does not know it)."""

    type = FakeDatetime
    name = "datetime_iso"


class FakeDateAsISO(DateAsISO):
    """freezegun's FakeDate, stored like a date."""

    type = FakeDate
    name = "date_iso"


OneThingApplication.extra_transcodings = (FakeDatetimeAsISO(), FakeDateAsISO())

# Argon2's real cost is meant to be slow; tests hash dozens of passwords with a cheap one.
passwords.PasswordHasher = lambda: argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _postgres_reachable() -> str | None:
    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return str(error).splitlines()[0]


def _redis_reachable() -> str | None:
    import redis

    try:
        redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as error:
        return str(error).splitlines()[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run PostgreSQL and Redis tests when the server answers; in CI (ONETHING_REQUIRE_POSTGRES,
    ONETHING_REQUIRE_REDIS) fail instead."""
    for marker, reachable, required, name in (("postgres", _postgres_reachable, REQUIRE_POSTGRES, "PostgreSQL"),
                                              ("redis", _redis_reachable, REQUIRE_REDIS, "Redis")):
        if not any(marker in item.keywords for item in items):
            continue
        problem = reachable()
        if problem and not required:
            mark = pytest.mark.skipif(True, reason=f"{name} not reachable: {problem}")
            for item in items:
                if marker in item.keywords:
                    item.add_marker(mark)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file database."""
    yield f"sqlite:///{tmp_path / 'onething.sqlite3'}"
    dispose_datastores()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"onething_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    dispose_datastores()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A database of the Redis server that holds no key yet; the keys the test made are deleted afterwards."""
    import redis

    for number in range(15, 0, -1):  # database 0 is left to whatever else uses this Redis
        client = redis.Redis(REDIS_HOST, REDIS_PORT, db=number, socket_connect_timeout=2)
        if client.dbsize() == 0:
            break
    else:
        pytest.fail("every Redis database 1-15 holds keys: none is free for this test")
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    for key in client.scan_iter("LIMITS*"):  # Flask-Limiter's keys (limits' prefix)
        client.delete(key)
    client.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database OneThing supports, in turn."""
    return request.getfixturevalue(f"{request.param}_url")


LICENCE_KEY_DIR = Path(tempfile.mkdtemp(prefix="onething-test-licence-key-"))


def make_services(url: str) -> Services:
    """Build services on ``url`` with the schema created."""
    key = Path(tempfile.gettempdir()) / f"onething-test-key-{uuid.uuid4().hex}.pem"  # none yet: tests make one
    files = Path(tempfile.gettempdir()) / f"onething-test-files-{uuid.uuid4().hex}"  # made on the first upload
    licence_key = LICENCE_KEY_DIR / "licence-key.pem"  # one for the run: e-licences are signed in many tests
    LicenceKey(licence_key).create()
    services = build_services(Settings(database_url=url, secret_key="test", audit_key=str(key),
                                       files_url=str(files), licence_key=str(licence_key)))
    services.init_schema()
    return services


@pytest.fixture
def services(sqlite_url: str) -> Services:
    """Services on a fresh SQLite database, with the restaurant bundle published."""
    services = make_services(sqlite_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    return services


@pytest.fixture
def any_services(database_url: str) -> Services:
    """Like ``services``, on SQLite and on PostgreSQL."""
    services = make_services(database_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    return services


def restaurant_file() -> dict:
    """The bundle file example of shared/API.md (two items, one prerequisite)."""
    return json.loads(json.dumps(RESTAURANT_FILE))


def restaurant_bundle() -> BundleDef:
    """The restaurant bundle of ``restaurant_file`` as a definition."""
    return BundleDef.from_dict(
        {**RESTAURANT_FILE["bundles"][0]}  # type: ignore[dict-item]
    )


def sample_file(name: str) -> dict:
    """One of the shipped sample catalogue files."""
    return sample_catalogue()[name]


def weekdays(day: date) -> bool:
    """A calendar of Monday to Friday, for tests that need no holidays."""
    return day.weekday() < 5


VALID_CODE = "91110000600037341L"
ADMIN = Actor("admin", Role.ADMIN)
INTAKE = Actor("window1", Role.INTAKE)
AMR = Actor("li-amr", Role.REVIEWER, "amr")
FOOD = Actor("zhang-food", Role.REVIEWER, "amr-food")
SUPERVISOR = Actor("boss", Role.SUPERVISOR)
AUDITOR = Actor("audit", Role.AUDITOR)

RESTAURANT_FILE = {
    "departments": [
        {"code": "amr", "name": "市场监督管理局", "name_en": "Market Regulation"},
        {"code": "amr-food", "name": "食品经营许可科", "name_en": "Food Licensing"},
        {"code": "psb", "name": "公安局", "name_en": "Public Security"},
    ],
    "bundles": [{
        "code": "restaurant-opening", "name": "开餐馆一件事", "name_en": "Open a restaurant",
        "category": "enterprise/entry", "lead_department": "amr",
        "stages": [{"code": "s1", "name": "准入"}],
        "materials": [
            {"key": "id-card", "name": "身份证明", "deficiency_allowed": False},
            {"key": "floor-plan", "name": "经营场所平面图", "deficiency_allowed": True},
        ],
        "items": [
            {"code": "business-licence", "name": "营业执照", "department": "amr", "stage": "s1",
             "time_limit_days": 1, "materials": ["id-card"], "prerequisites": [],
             "commitment_allowed": False,
             "outputs": [{"type": "business-licence", "name": "营业执照"}]},
            {"code": "food-permit", "name": "食品经营许可", "department": "amr-food", "stage": "s1",
             "time_limit_days": 5, "materials": ["id-card", "floor-plan"],
             "prerequisites": ["business-licence"], "commitment_allowed": True, "inspection": "video",
             "outputs": [{"type": "food-permit", "name": "食品经营许可证"}]},
        ],
    }],
}
