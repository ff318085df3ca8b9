"""Rate limits: Flask-Limiter's per-address limit of sign-in requests, and the switch of the database's.

Two limits guard signing in. Flask-Limiter counts sign-in requests per client address in each process
(``SIGN_IN_LIMIT``): cheap, it stops a flood before any password is hashed. ``application.users.sign_in``
counts failures per account and per address in the database, shared by the UI, the API and every
process. ``RATELIMIT_ENABLED=False`` turns the first off (as tests do); ``SIGN_IN_LIMITS_ENABLED``
turns the second off or on, and follows ``RATELIMIT_ENABLED`` when it is not set.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from application.users.sign_in import TooManySignIns
from web.errors import error_response

SIGN_IN_LIMIT = "10 per minute"  # per client address, per process

limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])


def init(app: Flask) -> None:
    """Enforce the limits on ``app`` (``RATELIMIT_ENABLED=False`` turns them off, as tests do)."""
    limiter.init_app(app)


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
