"""Stored event state encrypted at rest: AES-GCM with keys kept outside the database.

eventsourcing's mapper calls a ``Cipher`` on every event and snapshot it stores or reads
(``CIPHER_TOPIC``). OneThing's cipher, ``KeyRingCipher``, wraps eventsourcing's own
``eventsourcing.cryptography.AESCipher`` (AES-GCM from the ``cryptography`` package) once per key and
marks what it writes, so that one store can hold rows of several kinds at once:

* an encrypted row is ``MAGIC`` + the 8-byte id of the key that wrote it + AESCipher's bytes (nonce,
  tag, ciphertext); it is decrypted with that key, the current one or an earlier one;
* any other row is clear JSON (written before encryption was turned on, or with it off) and is read as
  it is: a key is never needed to read a clear row, and JSON never starts with a zero byte.

New rows are encrypted with the current key (``ONETHING_CIPHER_KEY``); earlier keys
(``ONETHING_CIPHER_OLD_KEYS``) only read. History is never rewritten: the hash chain covers the bytes as
stored, so re-encrypting an old row would break it — keep every key that ever wrote a row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher, Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import Environment
from sqlalchemy import func, select

MAGIC = b"\x00OTC\x01"  # zero byte (never the start of JSON), "OneThing cipher", format 1
KEY_ID_BYTES = 8
HEADER = len(MAGIC) + KEY_ID_BYTES
KEY_SIZES = (16, 24, 32)
CLEAR = "none"  # ONETHING_CIPHER_KEY=none: store in clear, knowingly (also in production)
KEY_VARIABLE, OLD_KEYS_VARIABLE = "ONETHING_CIPHER_KEY", "ONETHING_CIPHER_OLD_KEYS"


class CipherConfigError(RuntimeError):
    """Raised when the cipher settings are unusable (a malformed key, production without a key)."""


class StoredStateUnreadable(RuntimeError):
    """Raised when a stored row is encrypted with a key this process does not have, or was damaged."""


def new_key() -> str:
    """A new random AES-256 key, base64-encoded (``onething cipher keygen``)."""
    return AESCipher.create_key(32)


def key_id(key: bytes) -> bytes:
    """The 8 bytes that name ``key`` on the rows it encrypts (a hash: they reveal nothing of the key)."""
    return hashlib.sha256(b"onething-cipher-key-id\x00" + key).digest()[:KEY_ID_BYTES]


def _decode(text: str, variable: str) -> bytes:
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        key = b""
    if len(key) not in KEY_SIZES:
        raise CipherConfigError(f"{variable} is not a base64 AES key of 16, 24 or 32 bytes "
                                "(make one with 'onething cipher keygen')")
    return key


class KeyRing:
    """The current key (which encrypts) and every key that may decrypt, by key id."""

    def __init__(self, current: str = "", old: Iterable[str] = ()):
        """``current`` and ``old`` are base64 keys; an empty or ``none`` current key encrypts nothing."""
        self.current: tuple[bytes, AESCipher] | None = None
        self.readers: dict[bytes, AESCipher] = {}
        for text in [t.strip() for t in old if t.strip()]:
            key = _decode(text, OLD_KEYS_VARIABLE)
            self.readers[key_id(key)] = _aes(key)
        if current.strip() and current.strip().lower() != CLEAR:
            key = _decode(current.strip(), KEY_VARIABLE)
            self.current = (key_id(key), _aes(key))
            self.readers[self.current[0]] = self.current[1]

    @classmethod
    def from_settings(cls, current: str, old: str) -> KeyRing:
        """The key ring of ``ONETHING_CIPHER_KEY`` and the comma-separated ``ONETHING_CIPHER_OLD_KEYS``."""
        return cls(current, old.split(","))


def _aes(key: bytes) -> AESCipher:
    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: base64.b64encode(key).decode("ascii")}))


class KeyRingCipher(Cipher):
    """eventsourcing's ``Cipher`` over a key ring: marks, encrypts with the current key, reads any."""

    CIPHER_KEY, CIPHER_OLD_KEYS = "CIPHER_KEY", "CIPHER_OLD_KEYS"

    def __init__(self, environment: Environment):
        """Read ``CIPHER_KEY`` (may be empty: then rows are written in clear) and ``CIPHER_OLD_KEYS``."""
        self.keys = KeyRing.from_settings(environment.get(self.CIPHER_KEY, ""),
                                          environment.get(self.CIPHER_OLD_KEYS, ""))

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt and mark ``plaintext`` with the current key (return it as it is without one)."""
        if self.keys.current is None:
            return plaintext
        ident, aes = self.keys.current
        return MAGIC + ident + aes.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt a marked row with the key that wrote it; return a clear row as it is."""
        if not ciphertext.startswith(MAGIC):
            return ciphertext  # clear JSON
        ident = ciphertext[len(MAGIC):HEADER]
        aes = self.keys.readers.get(ident)
        if aes is None:
            raise StoredStateUnreadable(
                f"it is encrypted with key {ident.hex()}, which is neither {KEY_VARIABLE} nor one of "
                f"{OLD_KEYS_VARIABLE} (keys configured: {self.describe() or 'none'})")
        try:
            return aes.decrypt(ciphertext[HEADER:])
        except ValueError:
            raise StoredStateUnreadable(f"it does not decrypt with key {ident.hex()}: the stored bytes were "
                                        "changed or damaged") from None

    def describe(self) -> str:
        """The configured key ids, the current one first (for messages: ids, never keys)."""
        current = self.keys.current[0] if self.keys.current else None
        ids = ([current] if current else []) + [i for i in self.keys.readers if i != current]
        return ", ".join(i.hex() + (" (current)" if i == current else "") for i in ids)


class CipherMapper(Mapper[Any]):
    """eventsourcing's mapper, whose error for an unreadable encrypted row names the row and the key."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The domain event of ``stored_event``; raises ``StoredStateUnreadable`` if its key is missing."""
        try:
            return super().to_domain_event(stored_event)
        except MapperDeserialisationError as error:
            if isinstance(error.__cause__, StoredStateUnreadable):
                raise StoredStateUnreadable(
                    f"cannot read stored event {stored_event.topic} of {stored_event.originator_id} at version "
                    f"{stored_event.originator_version}: {error.__cause__}") from error
            raise


def cipher_env(key: str, old_keys: str = "", production: bool = False) -> dict[str, str]:
    """The eventsourcing settings that install ``KeyRingCipher`` for these keys.

    Without a key rows are written in clear (development's default); a production start needs a key,
    or ``none`` to accept clear storage knowingly. Raises ``CipherConfigError`` naming the problem.
    """
    if production and not key.strip():
        raise CipherConfigError(f"ONETHING_ENV=production needs {KEY_VARIABLE} (make one with 'onething cipher "
                                f"keygen'), or {KEY_VARIABLE}={CLEAR} to store personal data in clear")
    KeyRing.from_settings(key, old_keys)  # fail now, at start, not on the first save
    return {"CIPHER_TOPIC": f"{__name__}:KeyRingCipher", "MAPPER_TOPIC": f"{__name__}:CipherMapper",
            KeyRingCipher.CIPHER_KEY: key.strip(), KeyRingCipher.CIPHER_OLD_KEYS: old_keys}


def key_usage(recorders: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """How many rows of each recorder's tables (events, snapshots) are clear, or written by each key id."""
    usage: dict[str, dict[str, int]] = {}
    for name, recorder in recorders.items():
        counts = usage.setdefault(name, {})
        for table in recorder.tables:
            head = func.substr(table.c.state, 1, HEADER)
            with recorder.datastore.engine.connect() as connection:
                for prefix, count in connection.execute(select(head, func.count()).group_by(head)):
                    prefix = bytes(prefix)
                    label = prefix[len(MAGIC):].hex() if prefix.startswith(MAGIC) else "clear"
                    counts[label] = counts.get(label, 0) + count
    return usage


def usage_report(usage: Mapping[str, Mapping[str, int]], cipher: KeyRingCipher) -> tuple[list[str], int]:
    """Lines for ``onething cipher status``, and how many rows no configured key can read."""
    known = {i.hex() for i in cipher.keys.readers}
    current = cipher.keys.current[0].hex() if cipher.keys.current else None
    lines, unreadable = [], 0
    for store, counts in sorted(usage.items()):
        parts = []
        for label, count in sorted(counts.items()):
            if label not in known and label != "clear":
                unreadable += count
                label += " (NO KEY)"
            elif label == current:
                label += " (current)"
            parts.append(f"{label}: {count}")
        lines.append(f"{store:<16} " + (", ".join(parts) or "no rows"))
    written = f"with key {current}" if current else "in clear"
    lines.append(f"new rows are written {written}; keys configured: {cipher.describe() or 'none'}")
    return lines, unreadable
