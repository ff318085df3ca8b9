"""Rate limits: Flask-Limiter's per-address limit of sign-in requests, and the switch of the database's.

Two limits guard signing in. Flask-Limiter counts sign-in requests per client address (``SIGN_IN_LIMIT``):
cheap, it stops a flood before any password is hashed. It counts in this process's memory, or in the Redis
that ``ONETHING_REDIS_URL`` names, shared by every process (``storage``). ``application.users.sign_in``
counts failures per account and per address in the database, shared by the UI, the API and every
process. ``RATELIMIT_ENABLED=False`` turns the first off (as tests do); ``SIGN_IN_LIMITS_ENABLED``
turns the second off or on, and follows ``RATELIMIT_ENABLED`` when it is not set.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.errors import ConfigurationError

from application.users.sign_in import TooManySignIns
from web.errors import error_response

SIGN_IN_LIMIT = "10 per minute"  # per client address (per process unless ONETHING_REDIS_URL is set)
REDIS_TIMEOUT = 2.0  # seconds: an unreachable Redis fails the start-up, or a request's count, quickly

limiter = Limiter(get_remote_address, default_limits=[])  # its storage: the app's RATELIMIT_STORAGE_URI


class RateLimitStoreUnavailable(RuntimeError):
    """Raised at start-up when the Redis that ``ONETHING_REDIS_URL`` names cannot be used."""


def storage(redis_url: str) -> dict[str, Any]:
    """The limiter's configuration for ``ONETHING_REDIS_URL``: this process's memory when it is empty, else that
    Redis. Should Redis fail later, each process counts in its memory until Redis answers again (the database's
    count of failed sign-ins still holds across processes)."""
    if not redis_url:
        return {"RATELIMIT_STORAGE_URI": "memory://"}
    return {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}}


def init(app: Flask) -> None:
    """Enforce the limits on ``app`` (``RATELIMIT_ENABLED=False`` turns them off, as tests do); raise
    ``RateLimitStoreUnavailable`` if their Redis cannot be reached."""
    uri = app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", True)  # the limiter is one object: an earlier app's "off" must not last
    try:
        limiter.init_app(app)
    except ConfigurationError as error:  # an unknown scheme, or the redis package missing
        raise RateLimitStoreUnavailable(f"ONETHING_REDIS_URL {without_password(uri)}: {error}") from error
    if limiter.enabled and uri != "memory://" and not limiter.storage.check():
        raise RateLimitStoreUnavailable(f"ONETHING_REDIS_URL: no answer from Redis at {without_password(uri)} "
                                        f"within {REDIS_TIMEOUT:g} s")


def without_password(url: str) -> str:
    """``url`` with any password masked, fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def sign_in_limits_on() -> bool:
    """Whether this app counts failed sign-ins in the database (``SIGN_IN_LIMITS_ENABLED``)."""
    config = current_app.config
    return bool(config.get("SIGN_IN_LIMITS_ENABLED", config.get("RATELIMIT_ENABLED", True)))


def too_many(error: TooManySignIns) -> Response:
    """The API's answer to too many failed sign-ins: 429 with ``Retry-After``."""
    response = error_response(429, "too_many_requests",
                              f"too many failed sign-ins for this account or address: try again in "
                              f"{error.retry_after} seconds")
    response.headers["Retry-After"] = str(error.retry_after)
    return response
