"""The ACME layer's pure decisions, tested directly (no peer needed)."""

from __future__ import annotations

import datetime

import pytest

from certpilot.acme.client_errors import REDACTED, AcmeError, redact_key_authorizations
from certpilot.acme.client_network import retry_after_seconds
from certpilot.acme.solvers.http01 import http01_challenge_url
from certpilot.acme.solvers.tlsalpn01 import sni_name_for

NOW = datetime.datetime(2030, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)
TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
THUMBPRINT = "nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEY6FtWq2U"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, 60.0),
        ("", 60.0),
        ("120", 120.0),
        ("Tue, 01 Jan 2030 12:00:30 GMT", 30.0),
        ("Tue, 01 Jan 2030 11:00:00 GMT", 0.0),
        ("soon", 60.0),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float) -> None:
    assert retry_after_seconds(header, NOW, 60.0) == expected


def test_key_authorizations_are_redacted_wherever_they_appear() -> None:
    detail = f'Expected "{TOKEN}.{THUMBPRINT}" (got "{TOKEN}.wrong")'
    redacted = redact_key_authorizations(detail)
    assert THUMBPRINT not in redacted
    assert REDACTED in redacted
    error = AcmeError(f"failed: {detail}", detail=detail)
    assert THUMBPRINT not in str(error)
    assert THUMBPRINT not in (error.detail or "")


def test_error_code_is_the_short_acme_code() -> None:
    assert AcmeError("x", problem_type="urn:ietf:params:acme:error:rateLimited").code == "rateLimited"
    assert AcmeError("x", problem_type="about:blank").code is None


@pytest.mark.parametrize(
    ("identifier", "port", "expected"),
    [
        ("example.test", 80, "http://example.test/.well-known/acme-challenge/t"),
        ("example.test", 5002, "http://example.test:5002/.well-known/acme-challenge/t"),
        ("::1", 5002, "http://[::1]:5002/.well-known/acme-challenge/t"),
        ("192.0.2.1", 80, "http://192.0.2.1/.well-known/acme-challenge/t"),
    ],
)
def test_http01_challenge_url(identifier: str, port: int, expected: str) -> None:
    assert http01_challenge_url(identifier, "t", port) == expected


def test_tls_alpn_sni_name_is_the_reverse_name_for_ip_addresses() -> None:
    assert sni_name_for("Example.Test.") == "example.test"
    assert sni_name_for("192.0.2.1") == "1.2.0.192.in-addr.arpa"
    assert sni_name_for("::1").endswith(".ip6.arpa")
