"""``Idempotency-Key`` on writes: a retry with the same key by the same user returns the first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from web.api.core import actor, services
from web.errors import error_response

HEADERS_KEPT = ("Location", "ETag", "Content-Type")


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the write once per (user, key); answer repeats from the stored first answer."""

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
        stored = store.claim(user, key, digest)
        if stored is not None:
            return _repeat(stored, digest)
        try:
            response = make_response(current_app.ensure_sync(view)(*args, **kwargs))
        except Exception:
            store.release(user, key)
            raise
        if response.status_code >= 500:
            store.release(user, key)
        else:
            kept = {h: response.headers[h] for h in HEADERS_KEPT if h in response.headers}
            store.answer(user, key, response.status_code, response.get_data(as_text=True), json.dumps(kept))
        return response

    return wrapper


def _repeat(stored: Any, digest: str) -> Response:
    if stored.request != digest:
        return error_response(422, "idempotency_key_reused", "this Idempotency-Key was used for another request")
    if stored.status is None:
        return error_response(409, "in_progress", "the first request with this Idempotency-Key is still running")
    response = Response(stored.body, status=stored.status, headers=json.loads(stored.headers or "{}"))
    response.headers["Idempotent-Replayed"] = "true"
    return response
