"""Errors of the use cases. The web layer maps each ``code`` to an HTTP status."""

from __future__ import annotations


class ApplicationError(Exception):
    """Raised when a use case cannot be carried out; ``code`` names why."""

    code = "application_error"


class NotFound(ApplicationError):
    """Raised when the thing a command names does not exist; ``fields`` names the input at fault."""

    code = "not_found"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class CaseNotFound(NotFound):
    """Raised when no case has the given id."""


class PetitionNotFound(NotFound):
    """Raised when no petition has the given number."""


class BundleNotFound(NotFound):
    """Raised when no published bundle has the given code (or version)."""


class UserNotFound(NotFound):
    """Raised when no user has the given username."""


class NotAllowed(ApplicationError):
    """Raised when the actor's role or department may not do this."""

    code = "not_allowed"


class AlreadyExists(ApplicationError):
    """Raised when something unique (a username, a demo case) exists already."""

    code = "already_exists"


class VersionConflict(ApplicationError):
    """Raised when the case moved on: an ``If-Match`` version is stale, or retries ran out."""

    code = "version_conflict"

    def __init__(self, message: str, current_version: int | None = None):
        super().__init__(message)
        self.current_version = current_version


class Conflict(ApplicationError):
    """Raised when the request contradicts the state of what it names (HTTP 409)."""

    code = "conflict"


class Busy(ApplicationError):
    """Raised when the database stayed too busy (lock timeouts) for a command; nothing was saved."""

    code = "busy"


class InvalidInput(ApplicationError):
    """Raised when input is malformed; ``fields`` maps each bad field to its messages."""

    code = "invalid_input"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class IdempotencyKeyReused(InvalidInput):
    """Raised when an ``Idempotency-Key`` already stands for another request (method, path or body)."""

    code = "idempotency_key_reused"
