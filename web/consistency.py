"""Reads after writes in every process (shared/API.md, "Consistency across processes").

Around each request the event store notes what the request wrote (``application.common.consistency``). The
answer to an API write carries ``X-Consistency-Token``, merged with the token the request presented, if any; a UI
write keeps the token in the session, merged with any earlier one, for ``UI_TOKEN_SECONDS``. A read presenting a
token — the API's header, the UI's session — first waits until the read models include it (at most 2 s, then
503 with ``Retry-After: 1``), whichever process serves it. Writes do not wait, except those that read the read
models themselves (``WRITES_THAT_READ``: reusing a file of the vault or an e-licence). A token whose write did
not commit in full still names what did: an answer carries it whatever its status.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request, session

from application.common.consistency import ConsistencyToken, start_noting, stop_noting
from application.common.errors import InvalidInput
from web.api import PREFIX
from web.api.core import services

HEADER = "X-Consistency-Token"
SESSION_KEY = "consistency"  # the UI's token of the user's last writes …
SESSION_AT = "consistency_at"  # … and when it was last written
UI_TOKEN_SECONDS = 60  # a UI token older than this is dropped: the read models are long past it, or a worker is down
WRITES = ("POST", "PUT", "PATCH", "DELETE")
WRITES_THAT_READ = {"cases.reuse_material", "ui_case.reuse_material"}  # they look in the vault's read models
NEVER_WAIT = {"static"}  # files of the app itself


def register(app: Flask) -> None:
    """Note writes around every request; make a read presenting a token wait before any view runs."""
    app.before_request(_open)
    app.after_request(_answer)
    app.teardown_request(_close)


def _is_api() -> bool:
    return request.path.startswith(PREFIX)


def _reads_read_models() -> bool:
    if request.endpoint in NEVER_WAIT:
        return False
    return request.method not in WRITES or request.endpoint in WRITES_THAT_READ


def _open() -> None:
    g.onething_writes, g.onething_noting = start_noting()
    consistency = services().consistency
    if _is_api():
        presented = request.headers.get(HEADER)
        if presented is not None:
            g.onething_presented = consistency.parse(presented)
            if _reads_read_models():
                consistency.wait(g.onething_presented)
    elif _reads_read_models() and SESSION_KEY in session:
        token = _session_token()
        if time.time() - float(session.get(SESSION_AT, 0)) > UI_TOKEN_SECONDS:
            session.pop(SESSION_KEY, None)
            session.pop(SESSION_AT, None)
        else:
            consistency.wait(token)  # ReadModelsBehind: the error page asks to try again in a second


def _session_token() -> ConsistencyToken:
    try:
        return services().consistency.parse(str(session[SESSION_KEY])) if SESSION_KEY in session \
            else ConsistencyToken()
    except InvalidInput:  # a token of another release, or a store since renamed: nothing to wait for
        return ConsistencyToken()


def _answer(response: Response) -> Response:
    writes = g.get("onething_writes")
    if writes is None:
        return response
    token = services().consistency.token_of(writes)
    if _is_api():
        if token.positions or (request.method in WRITES and response.status_code < 400):
            # Merged with the token the request presented: a client that always sends back the last token it
            # got reads every one of its writes.
            response.headers[HEADER] = str(g.get("onething_presented", ConsistencyToken()).merged(token))
    elif token.positions:
        session[SESSION_KEY] = str(_session_token().merged(token))
        session[SESSION_AT] = time.time()
    return response


def _close(_: BaseException | None) -> None:
    handle = g.pop("onething_noting", None)
    if handle is not None:
        stop_noting(handle)
