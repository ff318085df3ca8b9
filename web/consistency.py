"""Reads after writes in every process (shared/API.md, "Consistency across processes").

Around each request the event store notes what the request wrote (``application.common.consistency``). The
answer to an API write carries ``X-Consistency-Token``, merged with the token the request presented, if any; a UI
write keeps the token in the session, merged with any earlier one not yet shown. A read presenting a token — the
API's header, the UI's session — first waits until the read models include it (at most 2 s, then 503 with
``Retry-After: 1``), whichever process serves it. Writes never wait: they read the event store. The UI forgets
its token once a page was served with it.
"""

from __future__ import annotations

from flask import Flask, Response, g, request, session

from application.common.consistency import ConsistencyToken, start_noting, stop_noting
from application.common.errors import InvalidInput
from web.api import PREFIX
from web.api.core import services

HEADER = "X-Consistency-Token"
SESSION_KEY = "consistency"  # the UI's token of the user's last write not yet shown
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def register(app: Flask) -> None:
    """Note writes around every request; wait for a presented token before any view runs."""
    app.before_request(_open)
    app.after_request(_answer)
    app.teardown_request(_close)


def _is_api() -> bool:
    return request.path.startswith(PREFIX)


def _open() -> None:
    g.onething_writes, g.onething_noting = start_noting()
    consistency = services().consistency
    reading = request.method not in WRITES  # a write never waits: it reads the event store, not read models
    if _is_api():
        presented = request.headers.get(HEADER)
        if presented is not None:
            g.onething_presented = consistency.parse(presented)
            if reading:
                consistency.wait(g.onething_presented)
    elif reading and SESSION_KEY in session:
        try:
            token = consistency.parse(str(session[SESSION_KEY]))
        except InvalidInput:  # a token of another release: nothing to wait for
            token = ConsistencyToken()
        consistency.wait(token)  # ReadModelsBehind: the error page asks to try again in a second
        session.pop(SESSION_KEY, None)


def _answer(response: Response) -> Response:
    writes = g.get("onething_writes")
    if writes is None or response.status_code >= 400:
        return response
    consistency = services().consistency
    token = consistency.token_of(writes)
    if _is_api():
        if request.method in WRITES or token.positions:
            # Merged with the token the request presented: a client that always sends back the last token it
            # got reads every one of its writes.
            response.headers[HEADER] = str(g.get("onething_presented", ConsistencyToken()).merged(token))
    elif token.positions:
        try:
            earlier = consistency.parse(str(session[SESSION_KEY])) if SESSION_KEY in session else ConsistencyToken()
        except InvalidInput:
            earlier = ConsistencyToken()
        session[SESSION_KEY] = str(earlier.merged(token))
    return response


def _close(_: BaseException | None) -> None:
    handle = g.pop("onething_noting", None)
    if handle is not None:
        stop_noting(handle)
