"""A licence key made in a temporary folder."""

from __future__ import annotations

import pytest

from infrastructure.licences.signing import LicenceKey


@pytest.fixture
def key(tmp_path) -> LicenceKey:
    """A fresh e-licence key at ``tmp_path/keys/licence-key.pem``."""
    made = LicenceKey(tmp_path / "keys" / "licence-key.pem")
    assert made.create()
    return made
