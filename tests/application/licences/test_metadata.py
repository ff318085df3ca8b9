"""The signed metadata of an e-licence: exactly the twelve GB/T 36903 fields, in one canonical byte form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from application.licences.metadata import METADATA_FIELDS, canonical, metadata, signed
from tests.application.licences.sample import LICENCE


def test_metadata_has_exactly_the_twelve_gbt_36903_fields():
    fields = metadata(LICENCE)
    assert set(fields) == METADATA_FIELDS and len(fields) == 12
    assert fields["holder_code_type"] == "001"
    assert fields["issued_on"] == "2025-03-04" and fields["valid_from"] == "2025-03-04"


def test_a_long_term_licence_has_no_end_date():
    assert LICENCE.long_term and metadata(LICENCE)["valid_to"] is None
    dated = replace(LICENCE, valid_to=date(2030, 3, 3))
    assert not dated.long_term and metadata(dated)["valid_to"] == "2030-03-03"


def test_the_status_is_not_signed():
    assert metadata(replace(LICENCE, status="revoked")) == metadata(LICENCE)
    assert "status" not in METADATA_FIELDS


def test_revoked_and_void_licences_are_withdrawn():
    assert [replace(LICENCE, status=s).withdrawn for s in ("held", "valid", "revoked", "void")] == [
        False, False, True, True]


def test_canonical_bytes_are_sorted_compact_utf8_json():
    data = canonical(metadata(LICENCE))
    assert data.startswith(b'{"holder":"') and b" " not in data and b", " not in data
    assert "营业执照".encode() in data and b"\\u" not in data
    assert json.loads(data) == metadata(LICENCE)
    assert canonical(dict(reversed(list(metadata(LICENCE).items())))) == data


class FakeSigner:
    key_id = "k1"

    def sign(self, message: bytes) -> dict[str, str]:
        self.message = message
        return {"alg": "Ed25519", "key_id": self.key_id, "value": "c2ln"}

    def public_keys(self) -> dict[str, str]:
        return {}


def test_signed_signs_the_canonical_metadata():
    signer = FakeSigner()
    answer = signed(LICENCE, signer)
    assert answer == {"metadata": metadata(LICENCE), "signature": {"alg": "Ed25519", "key_id": "k1", "value": "c2ln"}}
    assert signer.message == canonical(metadata(LICENCE))
