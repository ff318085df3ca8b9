"""``Idempotency-Key`` on writes: a retry with the same key by the same user returns the first answer.

The key is recorded with the write's events in one transaction (``application.idempotency``), so this holds
through crashes: a retry whose first attempt committed gets the first answer — stored, or made again from
the case or petition as that write left it — and one whose first attempt never committed simply runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from application.idempotency import Request, requested
from web.api.core import actor, services
from web.errors import error_response

HEADERS_KEPT = ("Location", "ETag", "Content-Type")
log = logging.getLogger(__name__)


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
        if stored is not None and stored.status is not None:
            return _replayed(Response(stored.body, status=stored.status, headers=json.loads(stored.headers or "{}")))
        # Not committed yet, or committed without its answer kept (a crash in between): the view runs, and its
        # command returns the earlier result instead of acting again.
        with requested(Request(user, key, digest, earlier=stored.earlier if stored else None)) as this:
            response = make_response(current_app.ensure_sync(view)(*args, **kwargs))
        if this.written or this.replayed:
            if response.status_code < 500:
                _keep(store, user, key, response)
            if this.replayed:
                _replayed(response)
        return response

    return wrapper


def _keep(store: Any, user: str, key: str, response: Response) -> None:
    kept = {h: response.headers[h] for h in HEADERS_KEPT if h in response.headers}
    try:
        store.answer(user, key, response.status_code, response.get_data(as_text=True), json.dumps(kept))
    except Exception:  # noqa: BLE001 - the write committed; a retry makes the answer again from the ledger
        log.exception("could not keep the answer of a committed request")


def _replayed(response: Response) -> Response:
    response.headers["Idempotent-Replayed"] = "true"
    return response
