"""Flask's secret key: ``ONETHING_SECRET_KEY``; a production start without it is refused.

In development a key is made once and kept in ``ONETHING_SECRET_KEY_FILE`` (``instance/secret-key``, mode
0600), so sessions work across processes and restarts. The first process to need it writes it to a private
temporary file and links it into place, so no process ever reads a half-written key.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class MissingSecretKey(RuntimeError):
    """Raised when a production start has no ``ONETHING_SECRET_KEY``."""


def secret_key_for(settings: Any) -> str:
    """The configured key; in development without one, the kept key file's (made on first use)."""
    if settings.secret_key:
        return str(settings.secret_key)
    if settings.production:
        raise MissingSecretKey(
            "ONETHING_ENV=production needs ONETHING_SECRET_KEY: set it to the same long random value in every "
            "process (for example the output of: python3 -c 'import secrets; print(secrets.token_hex(32))')")
    return kept_key(Path(settings.secret_key_file))


def kept_key(path: Path) -> str:
    """The key in ``path``, made (mode 0600) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, (secrets.token_hex(32) + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)  # fails if another process was first: then its key is the key
            log.warning("ONETHING_SECRET_KEY is not set: made a key in %s (set the variable in production)", path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise MissingSecretKey(f"the secret key file {path} is empty: delete it to make a new key, "
                               "or set ONETHING_SECRET_KEY")
    return key
