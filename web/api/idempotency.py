"""``Idempotency-Key`` on writes: a retry with the same key by the same user returns the first answer."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request

from web.api.core import actor, case_response, services
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
            if "onething_saved" not in g:
                store.release(user, key)  # nothing was written: a retry may run it
            else:  # written, then failed answering: the retry must get the written case, not a second write
                _answer_saved(store, user, key, g.onething_saved)
            raise
        if response.status_code >= 500 and "onething_saved" not in g:
            store.release(user, key)
        else:
            _keep(store, user, key, response)
        return response

    return wrapper


def _keep(store: Any, user: str, key: str, response: Response) -> None:
    kept = {h: response.headers[h] for h in HEADERS_KEPT if h in response.headers}
    store.answer(user, key, response.status_code, response.get_data(as_text=True), json.dumps(kept))


def _answer_saved(store: Any, user: str, key: str, saved: Any) -> None:
    answer = g.get("onething_answer", case_response)  # how the view answers its write (a case, a petition)
    try:
        _keep(store, user, key, answer(saved))
    except Exception:  # noqa: BLE001 - the claim stays; it can be taken over after CLAIM_TIMEOUT
        logging.getLogger(__name__).exception("could not store the answer of a written request")


def _repeat(stored: Any, digest: str) -> Response:
    if stored.request != digest:
        return error_response(422, "idempotency_key_reused", "this Idempotency-Key was used for another request")
    if stored.status is None:
        return error_response(409, "in_progress", "the first request with this Idempotency-Key is still running")
    response = Response(stored.body, status=stored.status, headers=json.loads(stored.headers or "{}"))
    response.headers["Idempotent-Replayed"] = "true"
    return response
