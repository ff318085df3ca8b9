"""A form sent twice acts once: every UI form carries a one-time request key (``request_key``).

The key is made when the form is rendered (``macros.html`` ``csrf_field``, next to the CSRF token). A form
posted to a guarded page (``web.ui.session.requires``) with its key runs its command as a request with an
``Idempotency-Key`` (``application.common.idempotency``): the key is recorded with the command's events in one
transaction, so a form sent again — after a time-out, a lost answer, a double click or a server that died
at any moment — finds its first sending committed and answers as that one did (the same case opened, the
same decision) instead of acting a second time. A first sending that never committed left nothing: the
form simply runs. The same key with other fields (a page kept in the browser, changed and sent again after
its first sending committed) is refused with a 422 page. A form without a key (a page cached from before)
works as it always did.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from application.common.idempotency import Request, current_request, requested
from web.ui.errors import error_page
from web.ui.urls import services

FIELD = "request_key"
NOT_HASHED = ("csrf_token", FIELD)  # the session's token changes nothing a form asks for
MAX_KEY = 128  # the ledger's column, and the API's limit
READ_BYTES = 1 << 16
REUSED = _l("This form was sent already with other values, and what it asked the first time has been done. "
            "Open the page again to see where things stand, and send a fresh form from there.")


def new_request_key() -> str:
    """A fresh, unguessable key for one rendered form (a template global)."""
    return secrets.token_urlsafe(24)


def run_keyed(user: str, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a guarded view; a POST carrying a request key runs as that request (see the module's docstring)."""
    key = request.form.get(FIELD, "") if request.method == "POST" else ""
    if not key:
        return view(*args, **kwargs)
    if len(key) > MAX_KEY or not (key.isascii() and key.isprintable()):
        return error_page(400)
    digest = form_digest()
    stored = services().idempotency.lookup(user, key)
    if stored is not None and stored.request != digest:
        return error_page(422, REUSED)
    with requested(Request(user, key, digest, earlier=stored.earlier if stored else None)):
        return view(*args, **kwargs)


def is_retry() -> bool:
    """Whether this request is a form sent again whose first sending committed (its command will replay)."""
    this = current_request()
    return this is not None and this.earlier is not None


def form_digest() -> str:
    """SHA-256 of the method, the path and what the form asks: its fields (all values, in the order sent) and
    each attached file's name and content; not the CSRF token or the key."""
    fields = sorted((name, values) for name, values in request.form.lists() if name not in NOT_HASHED)
    files = sorted((name, [[upload.filename or "", _file_digest(upload)] for upload in uploads])
                   for name, uploads in request.files.lists())
    text = json.dumps([request.method, request.path, fields, files], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(upload: Any) -> str:
    """SHA-256 of an uploaded file, read from its start and left at its start for the view."""
    stream, sha = upload.stream, hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(READ_BYTES):
        sha.update(chunk)
    stream.seek(0)
    return sha.hexdigest()
