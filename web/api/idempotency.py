"""``Idempotency-Key`` on writes: a retry with the same key by the same user returns the first answer.

The key is recorded with the write's events in one transaction (``application.common.idempotency``), so this holds
through crashes: a retry whose first attempt committed gets the first answer — made again from the case or
petition as that write left it (the user, the 204 of a calendar declaration) — and one whose first attempt
never committed simply runs. A view may return a ``Response`` or what its flask-smorest schema dumps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Response, request

from application.common.consistency import note_written
from application.common.idempotency import Request, requested
from web.api.core import actor, services
from web.errors import error_response

# The answer a write gave, made again from what it committed: ``answer(earlier, status, *view_args)``.
Answer = Callable[..., Any]
REPLAYED = {"Idempotent-Replayed": "true"}


def _whole_body() -> Iterable[bytes]:
    return [request.get_data()]


def idempotent(answer: Answer, status: int, body: Callable[[], Iterable[bytes]] | None = None
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the write once per (user, key); a repeat gets ``answer(earlier, status, *args, **kwargs)`` — the
    write's own answer, made from what it committed — without running the view or any of its checks again.
    ``body`` gives the request's content in chunks for the key's digest (default: the whole body at once; an
    upload hashes its spooled file instead, and rewinds it)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get("Idempotency-Key")
            if key is None:
                return view(*args, **kwargs)
            if not 1 <= len(key) <= 128:
                return error_response(400, "malformed", "Idempotency-Key: 1 to 128 characters")
            user = actor().user_id
            hasher = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), b""]))
            for chunk in (body or _whole_body)():
                hasher.update(chunk)
            digest = hasher.hexdigest()
            stored = services().idempotency.lookup(user, key)
            if stored is not None and stored.request != digest:
                return error_response(422, "idempotency_key_reused",
                                      "this Idempotency-Key was used for another request")
            if stored is not None:  # committed before: answer as then, whatever changed since (rights included)
                note_written(stored.earlier.events_table, stored.earlier.notification_id)  # the answer's token
                return _replayed(answer(stored.earlier, status, *args, **kwargs), status)
            # Not committed when looked up; if a copy commits meanwhile, the command collides with it and
            # returns its result instead of acting again (``application.common.idempotency``).
            with requested(Request(user, key, digest)) as this:
                result = view(*args, **kwargs)
            return _replayed(result, status) if this.replayed else result

        return wrapper

    return decorate


def _replayed(result: Any, status: int) -> Any:
    if isinstance(result, Response):
        result.headers.update(REPLAYED)
        return result
    return result, status, REPLAYED  # flask-smorest dumps it with the view's schema
