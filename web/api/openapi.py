"""What the OpenAPI document says of every operation, beside what each view declares.

Every answer of the API passes through the same guard (``web.api.guard``) and error handlers, so every
operation may be refused for the same reasons whatever the view: a body that is no JSON this API reads
(400) or too large (413), text no database can store in the path or query (422), a database that does not
answer now (503), and, unless the operation is open, a missing or spent token (401). This plugin writes
those answers, in the error model, and the operation's ``security``, into each operation of the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec import BasePlugin

EVERY_OPERATION = ("BAD_REQUEST", "REQUEST_ENTITY_TOO_LARGE", "UNPROCESSABLE_ENTITY", "SERVICE_UNAVAILABLE")
STATUS = {"BAD_REQUEST": 400, "UNAUTHORIZED": 401, "REQUEST_ENTITY_TOO_LARGE": 413, "UNPROCESSABLE_ENTITY": 422,
          "SERVICE_UNAVAILABLE": 503}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class CommonAnswers(BasePlugin):
    """Adds the answers every operation may give, and whether it needs a token, to each operation."""

    def __init__(self, is_open_path: Callable[[str], bool]):
        self.is_open_path = is_open_path

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        is_open = self.is_open_path(path or "")
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            operation["security"] = [] if is_open else BEARER
            responses = operation.setdefault("responses", {})
            for name in EVERY_OPERATION + (() if is_open else ("UNAUTHORIZED",)):
                status = STATUS[name]
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = name  # a component response in the error model (``ErrorOut``)
