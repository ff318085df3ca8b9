"""``onething run`` as a deployment runs it: several processes, behind a proxy, rate limits shared in Redis.

Real servers on free loopback ports (``tests.faults.server``): waitress for ``--workers 1``, gunicorn above.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner
from limits import parse_many

from tests.conftest import ADMIN, make_services
from tests.faults.server import HOST, Server, call, free_port, onething, server_env
from tests.web.conftest import PASSWORD
from web import create_app
from web.api.limits import SIGN_IN_LIMIT, RateLimitStoreUnavailable
from web.cli import main
from web.public_limits import REGISTRATION_LIMIT
from web.services import Services

pytestmark = pytest.mark.slow

SIGN_IN = "/api/v1/auth/token"
REGISTER = "/api/v1/applicants/register"
SIGN_INS_PER_MINUTE = parse_many(SIGN_IN_LIMIT)[0].amount
REGISTRATIONS_PER_MINUTE = parse_many(REGISTRATION_LIMIT)[0].amount

# gunicorn's workers count in Redis: in their own memory, which of them answers would decide the count.
SERVERS = [pytest.param(1, id="waitress"), pytest.param(2, id="gunicorn", marks=pytest.mark.redis)]


@pytest.fixture
def services(sqlite_url: str) -> Services:
    """A database with the schema, as ``onething db init`` makes it."""
    return make_services(sqlite_url)


@contextmanager
def serving(env: dict[str, str], folder: Path, workers: int = 1, projections: bool = False) -> Iterator[Server]:
    """``onething run`` on a free loopback port until the block ends."""
    server = Server(env, folder / f"server-{uuid4().hex[:8]}.log", projections=projections, workers=workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if server.process is not None:
            server.kill()


def env_for(services: Services, folder: Path, workers: int, request: pytest.FixtureRequest,
            **extra: str) -> dict[str, str]:
    """The server's environment; with several workers, rate limits in a Redis database of the test's own."""
    if workers > 1:
        extra["ONETHING_REDIS_URL"] = request.getfixturevalue("redis_url")
    return server_env(services.settings.database_url, folder, **extra)


def a_client_address() -> str:
    """An address no other test uses (limits are counted per client address)."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def failed_sign_in(port: int, forwarded_for: str) -> int:
    """The status of a sign-in with a wrong password for a new username, through a proxy that forwards for
    ``forwarded_for``."""
    body = {"username": f"nobody-{uuid4().hex[:8]}", "password": "not-the-password"}
    return call(port, "POST", SIGN_IN, body, {"X-Forwarded-For": forwarded_for}).status


@pytest.mark.parametrize("workers", SERVERS)
def test_behind_a_proxy_each_forwarded_client_has_its_own_sign_in_limit(services, tmp_path, request, workers):
    env = env_for(services, tmp_path, workers, request, ONETHING_PROXY_HOPS="1")
    flooding, other = a_client_address(), a_client_address()
    with serving(env, tmp_path, workers) as server:
        assert [failed_sign_in(server.port, flooding) for _ in range(SIGN_INS_PER_MINUTE)] == \
            [401] * SIGN_INS_PER_MINUTE
        assert failed_sign_in(server.port, flooding) == 429
        assert failed_sign_in(server.port, other) == 401


@pytest.mark.parametrize("workers", SERVERS)
def test_without_proxy_hops_a_forwarded_address_is_not_believed(services, tmp_path, request, workers):
    env = env_for(services, tmp_path, workers, request)
    with serving(env, tmp_path, workers) as server:
        for _ in range(SIGN_INS_PER_MINUTE):
            assert failed_sign_in(server.port, a_client_address()) == 401
        assert failed_sign_in(server.port, a_client_address()) == 429  # every one came from the same peer


@pytest.mark.redis
@pytest.mark.parametrize("in_redis", [True, False], ids=["redis", "memory"])
def test_two_processes_count_one_registration_limit_when_it_is_kept_in_redis(services, tmp_path, redis_url,
                                                                            in_redis):
    shared = {"ONETHING_REDIS_URL": redis_url} if in_redis else {}
    env = server_env(services.settings.database_url, tmp_path, **shared)
    with serving(env, tmp_path) as first, serving(env, tmp_path) as second:
        for _ in range(REGISTRATIONS_PER_MINUTE):
            assert call(first.port, "POST", REGISTER, {}).status == 422  # counted, then refused as incomplete
        assert call(second.port, "POST", REGISTER, {}).status == (429 if in_redis else 422)


@pytest.mark.parametrize("url", [f"redis://:s3cret@{HOST}:{free_port()}/0",  # nothing listens there
                                 "127.0.0.1:6379"], ids=["no-answer", "no-scheme"])
def test_an_app_whose_redis_cannot_be_used_is_not_built_and_the_message_hides_the_password(services, url):
    settings = dataclasses.replace(services.settings, redis_url=url)
    with pytest.raises(RateLimitStoreUnavailable) as error:
        create_app({"SERVICES": services, "SETTINGS": settings})
    assert "ONETHING_REDIS_URL" in str(error.value) and "s3cret" not in str(error.value)


@pytest.mark.parametrize("workers", [1, 2], ids=["waitress", "gunicorn"])
def test_onething_run_with_an_unreachable_redis_exits_saying_so(services, tmp_path, workers):
    env = server_env(services.settings.database_url, tmp_path,
                     ONETHING_REDIS_URL=f"redis://{HOST}:{free_port()}/0")
    result = onething(env, "run", "--port", str(free_port()), "--workers", str(workers), "--no-projections",
                      timeout=60)
    assert result.returncode == 1
    assert "error: ONETHING_REDIS_URL: no answer from Redis" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_onething_run_refuses_a_number_of_workers_that_is_not_a_positive_count(value):
    result = CliRunner().invoke(main, ["run", "--workers", value])
    assert result.exit_code == 2 and "Invalid value for '--workers'" in result.output


def test_several_workers_refuse_a_port_in_use_saying_so(services, tmp_path):
    env = server_env(services.settings.database_url, tmp_path)
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = onething(env, "run", "--port", str(port), "--workers", "2", timeout=60)
    assert result.returncode == 1 and f"error: cannot listen on {HOST}:{port}" in result.stderr


def children(pid: int) -> dict[int, str]:
    """The processes ``pid`` started, with their command lines."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            found[int(child)] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except FileNotFoundError:  # gone meanwhile
            pass
    return found


def background_jobs(server: Server) -> list[int]:
    """The ``onething projections run`` processes the server runs."""
    assert server.process is not None
    return [pid for pid, command in children(server.process.pid).items() if "projections run" in command]


def eventually(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """``check()``'s first true answer within ``timeout`` seconds (the last answer if none is true)."""
    deadline = time.monotonic() + timeout
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


@pytest.fixture
def any_services(database_url: str) -> Services:
    """A database with the schema, on SQLite and on PostgreSQL."""
    return make_services(database_url)


def test_several_workers_serve_from_their_own_connections_and_keep_read_models_current_in_one_more_process(
        any_services, tmp_path):
    services = any_services
    env = server_env(services.settings.database_url, tmp_path)
    with serving(env, tmp_path, workers=2, projections=True) as server:
        assert eventually(lambda: len(children(server.process.pid)) == 3)  # two workers, one for the jobs
        [jobs] = background_jobs(server)
        services.users.add_user(ADMIN, "li", PASSWORD, "intake")
        assert eventually(lambda: all(lag.behind == 0 for lag in services.runner.lag()))  # projected there
        token = call(server.port, "POST", SIGN_IN, {"username": "li", "password": PASSWORD}).json()["token"]
        answers = [call(server.port, "GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
                   for _ in range(16)]  # a new connection each: either worker may answer
        assert [(answer.status, answer.json()["username"]) for answer in answers] == [(200, "li")] * 16
        os.kill(jobs, signal.SIGKILL)
        assert eventually(lambda: background_jobs(server) not in ([], [jobs]))  # started again


def test_several_workers_with_no_projections_run_no_background_jobs(services, tmp_path):
    env = server_env(services.settings.database_url, tmp_path)
    with serving(env, tmp_path, workers=2, projections=False) as server:
        assert eventually(lambda: len(children(server.process.pid)) == 2)
        assert background_jobs(server) == []
