"""Decoding what a CertificateRequest asks for, and refusing CSRs that cannot be signed."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from certpilot.api.defaults import DEFAULT_DURATION
from certpilot.issuers.request import InvalidRequest, requested_csr, requested_duration
from certpilot.pki.csr import build_csr, csr_to_pem
from tests.unit.issuers.issuer_material import new_key, request, spec


def test_valid_csr_decodes() -> None:
    key = new_key()
    csr = requested_csr(request("r", key))
    assert csr.public_key() == key.public_key()


def test_not_base64_is_invalid() -> None:
    cr = request("r", new_key())
    cr.spec.request = "not base64 !!"
    with pytest.raises(InvalidRequest, match="not base64"):
        requested_csr(cr)


def test_not_a_csr_is_invalid() -> None:
    cr = request("r", new_key())
    cr.spec.request = base64.b64encode(b"hello").decode()
    with pytest.raises(InvalidRequest, match="Failed to decode CSR"):
        requested_csr(cr)


def test_csr_saying_ca_for_a_non_ca_request_is_invalid() -> None:
    key = new_key()
    cr = request("r", key, csr_pem=csr_to_pem(build_csr(spec("x", is_ca=True), key)))
    with pytest.raises(InvalidRequest, match="isCA"):
        requested_csr(cr)


def test_duration_defaults_to_90_days() -> None:
    assert requested_duration(request("r", new_key())) == DEFAULT_DURATION == timedelta(days=90)
    assert requested_duration(request("r", new_key(), duration="1h30m")) == timedelta(minutes=90)
