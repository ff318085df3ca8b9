"""The e-licence signature: it verifies with the key that made it and fails on any change, unknown id or wrong key."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from application.licences.metadata import METADATA_FIELDS, metadata, signed
from infrastructure.licences.signing import LicenceKey, public_keys_from_pem, verify_signature
from tests.application.licences.sample import LICENCE


def test_a_signature_verifies_with_the_key_that_made_it(key):
    fields = metadata(LICENCE)
    signature = key.sign_metadata(fields)
    assert signature["alg"] == "Ed25519" and signature["key_id"] == key.key_id and len(key.key_id) == 16
    assert len(base64.b64decode(signature["value"])) == 64
    assert verify_signature(fields, signature, key.verifying_keys())
    assert verify_signature(fields, signature, public_keys_from_pem(key.public_keys().values()))


def test_the_key_is_a_licence_signer(key):
    answer = signed(LICENCE, key)
    assert verify_signature(answer["metadata"], answer["signature"], key.verifying_keys())


@pytest.mark.parametrize("field", sorted(METADATA_FIELDS))
def test_any_changed_field_fails(key, field):
    fields = metadata(LICENCE)
    signature = key.sign_metadata(fields)
    changed = {**fields, field: (fields[field] or "2099-12-31") + "0"}
    assert not verify_signature(changed, signature, key.verifying_keys())


def test_a_missing_or_extra_field_fails(key):
    fields = metadata(LICENCE)
    signature = key.sign_metadata(fields)
    without = {name: value for name, value in fields.items() if name != "jurisdiction_code"}
    assert not verify_signature(without, key.sign_metadata(without), key.verifying_keys())
    extra = {**fields, "status": "valid"}
    assert not verify_signature(extra, key.sign_metadata(extra), key.verifying_keys())
    assert verify_signature(fields, signature, key.verifying_keys())


def test_an_unknown_key_id_fails(key):
    fields = metadata(LICENCE)
    signature = key.sign_metadata(fields)
    assert not verify_signature(fields, {**signature, "key_id": "0" * 16}, key.verifying_keys())
    assert not verify_signature(fields, signature, {})


def test_a_wrong_key_fails(key, tmp_path):
    other = LicenceKey(tmp_path / "other.pem")
    other.create()
    fields = metadata(LICENCE)
    forged = other.sign_metadata(fields)
    assert not verify_signature(fields, forged, key.verifying_keys())
    # a mapping that files the other key under this key's id is not fooled either
    assert not verify_signature(fields, {**forged, "key_id": key.key_id}, {key.key_id: other.private.public_key()})


@pytest.mark.parametrize("signature", [
    None, "sig", {}, {"alg": "RS256"}, {"alg": "Ed25519", "key_id": 5, "value": "x"},
    {"alg": "Ed25519", "value": "x"}, {"alg": "Ed25519", "key_id": "k", "value": None},
])
def test_a_malformed_signature_fails(key, signature):
    named = signature
    if isinstance(signature, dict) and signature.get("key_id") == "k":
        named = {**signature, "key_id": key.key_id}  # a known key, so only the value is wrong
    assert not verify_signature(metadata(LICENCE), named, key.verifying_keys())


def test_a_bad_base64_value_fails(key):
    fields = metadata(LICENCE)
    signature = key.sign_metadata(fields)
    assert not verify_signature(fields, {**signature, "value": signature["value"][:-4] + "!!!!"}, key.verifying_keys())


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path):
    key = LicenceKey(tmp_path / "instance" / "licence-key.pem")
    assert key.create()
    pem = key.path.read_bytes()
    assert stat.S_IMODE(os.stat(key.path).st_mode) == 0o600
    assert not LicenceKey(key.path).create()
    assert key.path.read_bytes() == pem
