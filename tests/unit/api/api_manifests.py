"""Shared helpers for the api tests: manifest fixtures on disk and a builder for valid objects."""

from __future__ import annotations

from pathlib import Path

MANIFESTS = Path(__file__).parent / "manifests"


def manifest_text(name: str) -> str:
    return (MANIFESTS / name).read_text(encoding="utf-8")


def csr_base64() -> str:
    """A real base64 PEM CSR taken from the CertificateRequest fixture."""
    for line in manifest_text("certificaterequest.yaml").splitlines():
        if line.strip().startswith("request:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("fixture has no request")
