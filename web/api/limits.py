"""Rate limits of the API (Flask-Limiter): signing in is where guessing passwords would happen."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

SIGN_IN_LIMIT = "10 per minute"  # per client address, per process

limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])


def init(app: Flask) -> None:
    """Enforce the limits on ``app`` (``RATELIMIT_ENABLED=False`` turns them off, as tests do)."""
    limiter.init_app(app)
