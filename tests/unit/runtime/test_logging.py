"""Structured logging never emits key material, in either format."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.runtime.logging import REDACTED, LogFormat, redact, setup_logging


@pytest.fixture(scope="module")
def pem_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, list[LogFormat]]]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield io.StringIO(), []
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def body_of(pem: str) -> str:
    return pem.splitlines()[1]


def test_pem_private_key_is_redacted(pem_key: str) -> None:
    out = redact(f"loaded key {pem_key} for ns/web")
    assert body_of(pem_key) not in out
    assert "PRIVATE KEY" not in out
    assert out.startswith("loaded key [redacted]") and out.endswith("for ns/web")


def test_truncated_pem_private_key_is_redacted(pem_key: str) -> None:
    out = redact("oops " + pem_key[:100])
    assert out == f"oops {REDACTED}"


def test_base64_of_a_private_key_is_redacted(pem_key: str) -> None:
    encoded = base64.b64encode(pem_key.encode()).decode()
    out = redact(f"secret data tls.key={encoded}")
    assert encoded[:40] not in out


def test_public_certificates_and_ordinary_text_pass_through() -> None:
    text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----- issued for ns/web, token url /x"
    assert redact(text) == text
    long_b64 = base64.b64encode(b"not a key at all, just a long public value " * 3).decode()
    assert redact(long_b64) == long_b64


@pytest.mark.parametrize(
    "line",
    [
        "password=hunter2",
        'apiKey: "hunter2"',
        '{"tsigSecret": "hunter2"}',
        "keyAuthorization=hunter2",
        "Authorization: Bearer hunter2",
        "vault token_secret=hunter2",
    ],
)
def test_secret_looking_values_are_redacted(line: str) -> None:
    out = redact(line)
    assert "hunter2" not in out
    assert REDACTED in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logged_lines_are_one_per_event_and_redacted(
    fmt: LogFormat, pem_key: str, captured: tuple[io.StringIO, list[LogFormat]]
) -> None:
    stream = captured[0]
    setup_logging("DEBUG", fmt, stream)
    log = logging.getLogger("certpilot.test")
    log.info("issued %s", "ns/web", extra={"certificate": "ns/web", "attempt": 2})
    log.warning("bad key %s", pem_key, extra={"detail": pem_key})
    try:
        raise ValueError(f"cannot parse {pem_key}")
    except ValueError:
        log.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert body_of(pem_key) not in stream.getvalue()
    if fmt == "json":
        first = json.loads(lines[0])
        assert first["msg"] == "issued ns/web"
        assert first["certificate"] == "ns/web"
        assert first["attempt"] == 2
        assert first["level"] == "info"
        assert "ValueError" in json.loads(lines[2])["error"]
    else:
        assert 'msg="issued ns/web"' in lines[0]
        assert "certificate=ns/web attempt=2" in lines[0]
        assert "level=warning" in lines[1]
        assert "ValueError" in lines[2]
