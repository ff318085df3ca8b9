"""The e-licence key: an Ed25519 PEM file outside the database (``ONETHING_LICENCE_KEY``), and the signature check.

A signature is ``{"alg": "Ed25519", "key_id": …, "value": base64}`` over ``canonical(metadata)``
(``application.licences.metadata``). A verifier trusts keys, not the ``key_id`` a signature names: the keys it
holds are indexed by their own id (``public_keys_from_pem``), so an unknown id, a wrong key or any changed
field fails alike.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.licences.metadata import METADATA_FIELDS, canonical
from infrastructure.audit.offline_verifier import key_id, load_public_key
from infrastructure.common.keys import SigningKey

ALG = "Ed25519"


class LicenceKey(SigningKey):
    """The e-licence signing key (a ``LicenceSigner``): made by ``onething certificates keygen``, never overwritten."""

    def sign(self, message: bytes) -> dict[str, str]:
        """Sign ``message``: ``{"alg": "Ed25519", "key_id": …, "value": base64}``."""
        value = base64.b64encode(self.private.sign(message)).decode("ascii")
        return {"alg": ALG, "key_id": self.key_id, "value": value}

    def sign_metadata(self, fields: Mapping[str, object]) -> dict[str, str]:
        """Sign a licence's metadata (its canonical bytes)."""
        return self.sign(canonical(fields))

    def public_keys(self) -> dict[str, str]:
        """The public key a verifier accepts, PEM text by key id."""
        return {self.key_id: self.public_pem().decode("ascii")}

    def verifying_keys(self) -> dict[str, Ed25519PublicKey]:
        """The public key as ``verify_signature`` takes it."""
        return {self.key_id: self.private.public_key()}


def public_keys_from_pem(pems: Iterable[bytes | str]) -> dict[str, Ed25519PublicKey]:
    """Index Ed25519 public keys (PEM) by their own key id; raises ``ValueError`` on one that is not such a key."""
    keys = [load_public_key(pem.encode("ascii") if isinstance(pem, str) else pem) for pem in pems]
    return {key_id(key): key for key in keys}


def verify_signature(fields: Mapping[str, Any], signature: Any, public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature over exactly these twelve fields by a known key."""
    if not isinstance(signature, Mapping) or signature.get("alg") != ALG or set(fields) != METADATA_FIELDS:
        return False
    named, value = signature.get("key_id"), signature.get("value")
    key = public_keys.get(named) if isinstance(named, str) else None
    if key is None or key_id(key) != named or not isinstance(value, str):
        return False
    try:
        key.verify(base64.b64decode(value, validate=True), canonical(fields))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
