"""Work the ACME issuer repeats on every look at an in-flight request or Order, done once: the names a
request's CSR asks for, and the CA bundle file the ACME client trusts."""

from __future__ import annotations

from pathlib import Path

import pytest

from certpilot.issuers.acme import RequestedNames, requested_names
from certpilot.issuers.acme_account import _ca_bundle_file
from certpilot.issuers.request import InvalidRequest
from tests.unit.issuers.issuer_material import new_key, request


def test_requested_names_come_from_the_csr_and_are_remembered_per_request_fields() -> None:
    key = new_key()
    first = request("r1", key, common_name="app.example.com", dns_names=["app.example.com", "b.example.com"])
    names = requested_names(first)
    assert names == RequestedNames("app.example.com", ("app.example.com", "b.example.com"), ())
    assert requested_names(first.model_copy(deep=True)) is names
    as_ca = first.model_copy(deep=True)
    as_ca.spec.is_ca = True
    # The same CSR asked for as a CA contradicts its extensions: checked again, not taken from memory.
    with pytest.raises(InvalidRequest):
        requested_names(as_ca)


def test_an_unusable_csr_is_refused_every_time() -> None:
    broken = request("r2", new_key(), csr_pem=b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n")
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            requested_names(broken)


def test_ca_bundle_file_is_written_once_and_again_when_removed(tmp_path: Path) -> None:
    directory = tmp_path / "bundles"
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    path = Path(_ca_bundle_file(pem, directory))
    assert path.read_bytes() == pem
    assert directory.stat().st_mode & 0o777 == 0o700
    assert _ca_bundle_file(pem, directory) == str(path)
    path.unlink()
    assert Path(_ca_bundle_file(pem, directory)).read_bytes() == pem
    assert _ca_bundle_file(b"other", directory) != str(path)
