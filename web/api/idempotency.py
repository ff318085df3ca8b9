"""``Idempotency-Key`` on writes: a retry with the same key by the same user returns the first answer.

The key is recorded with the write's events in one transaction (``application.idempotency``), so this holds
through crashes: a retry whose first attempt committed gets the first answer — made again by the same view
from the case or petition as that write left it — and one whose first attempt never committed simply runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, make_response, request

from application.idempotency import Request, requested
from web.api.core import actor, services
from web.errors import error_response


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the write once per (user, key); answer repeats with the first answer."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 128:
            return error_response(400, "malformed", "Idempotency-Key: 1 to 128 characters")
        user = actor().user_id
        digest = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(),
                                            request.get_data()])).hexdigest()
        store = services().idempotency
        stored = store.lookup(user, key)
        if stored is not None and stored.request != digest:
            return error_response(422, "idempotency_key_reused", "this Idempotency-Key was used for another request")
        # The view runs either way; if the request committed before, its command returns that result instead of
        # acting again, and the view answers as it answered then.
        with requested(Request(user, key, digest, earlier=stored.earlier if stored else None)) as this:
            response = make_response(current_app.ensure_sync(view)(*args, **kwargs))
        if this.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    return wrapper
