"""Ed25519 signing keys kept as PEM files outside the database: the audit checkpoint key, the e-licence key.

The file helpers (``generate_key``, ``load_private_key``, ``key_id``) live in the standalone offline verifier,
which must keep working with nothing but ``cryptography``; this class is the server's handle on one key file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infrastructure.audit.offline_verifier import generate_key, key_id, load_private_key, public_key_pem


class SigningKey:
    """A signing key: a PEM file outside the database, made once (mode 0600) and never overwritten."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._key: Any = None

    @property
    def available(self) -> bool:
        """Whether the key file exists (without it, nothing is signed)."""
        return self.path.is_file()

    @property
    def private(self) -> Any:
        """The Ed25519 private key (read once)."""
        if self._key is None:
            self._key = load_private_key(self.path)
        return self._key

    @property
    def key_id(self) -> str:
        """The key's published id: the first 16 hex digits of SHA-256 of the raw public key."""
        return key_id(self.private.public_key())

    def public_pem(self) -> bytes:
        """The public key, PEM."""
        return public_key_pem(self.private)

    def create(self) -> bool:
        """Write a new key file (its folder made if needed) unless one exists; return whether it was made."""
        if self.path.exists():
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = generate_key(self.path)  # O_EXCL: a file made meanwhile by someone else is not replaced
        return True
