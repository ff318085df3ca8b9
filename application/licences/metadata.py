"""The signed part of an e-licence: the GB/T 36903 metadata of one certificate, and the signer the use cases ask for.

What is signed is ``canonical(metadata(licence))``: the twelve fields as JSON with sorted keys, no spaces and
UTF-8 text (not ``\\u`` escapes), so a verifier in any language rebuilds the same bytes from the fields. The
status is not among them: a certificate is revoked after it was signed, and its signature stays valid —
whether it still holds is asked of the issuer (the public check) or read from a document rendered since.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from domain.shared.values import CertificateStatus

HOLDER_CODE_TYPE_CREDIT_CODE = "001"  # GB/T 36903: the holder is identified by a unified social credit code
METADATA_FIELDS = frozenset({
    "licence_name", "type_code", "number", "issuer", "issuer_code", "holder", "holder_code",
    "holder_code_type", "issued_on", "valid_from", "valid_to", "jurisdiction_code",
})
WITHDRAWN_STATUSES = frozenset({CertificateStatus.REVOKED.value, CertificateStatus.VOID.value})


@dataclass(frozen=True)
class Licence:
    """One certificate as an e-licence: what is signed, and its status now (``CertificateStatus``'s values).

    ``valid_to`` None means long-term (长期). ``jurisdiction_code`` is the six-digit administrative division
    code of the issuing area ("000000": not configured).
    """

    number: str
    type_code: str
    licence_name: str
    issuer: str
    issuer_code: str
    holder: str
    holder_code: str
    issued_on: date
    valid_from: date
    valid_to: date | None
    jurisdiction_code: str
    status: str

    @property
    def long_term(self) -> bool:
        """Whether the licence has no end date (长期)."""
        return self.valid_to is None

    @property
    def withdrawn(self) -> bool:
        """Whether the licence is revoked or void: it no longer holds, whatever its signature says."""
        return self.status in WITHDRAWN_STATUSES


def metadata(licence: Licence) -> dict[str, str | None]:
    """Return exactly the twelve GB/T 36903 fields of a licence: dates as ISO strings, long-term as None."""
    return {
        "licence_name": licence.licence_name,
        "type_code": licence.type_code,
        "number": licence.number,
        "issuer": licence.issuer,
        "issuer_code": licence.issuer_code,
        "holder": licence.holder,
        "holder_code": licence.holder_code,
        "holder_code_type": HOLDER_CODE_TYPE_CREDIT_CODE,
        "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_to": licence.valid_to.isoformat() if licence.valid_to else None,
        "jurisdiction_code": licence.jurisdiction_code,
    }


def canonical(fields: Mapping[str, object]) -> bytes:
    """Return the signed bytes of metadata: JSON, sorted keys, no spaces, UTF-8 text."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class LicenceSigner(Protocol):
    """Signs e-licence metadata with a key kept outside the database (``infrastructure.licences.signing``)."""

    @property
    def available(self) -> bool:
        """Whether the key exists (``onething certificates keygen`` makes it)."""

    @property
    def key_id(self) -> str:
        """The id of the signing key, published so that holders can check which key signed."""

    def sign(self, message: bytes) -> dict[str, str]:
        """Return ``{"alg": "Ed25519", "key_id": …, "value": base64}`` over ``message``."""

    def public_keys(self) -> dict[str, str]:
        """Return the public keys a verifier accepts, PEM text by key id."""


def signed(licence: Licence, signer: LicenceSigner) -> dict[str, object]:
    """Return a licence's metadata and its signature, as the public certificate answer carries them."""
    fields = metadata(licence)
    return {"metadata": fields, "signature": signer.sign(canonical(fields))}
