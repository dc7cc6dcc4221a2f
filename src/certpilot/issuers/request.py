"""What a CertificateRequest asks for, decoded (its CSR, the duration), and signing exactly that:
shared by the issuer types that sign locally (SelfSigned, CA)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.duration import parse_duration
from certpilot.issuers.base import Permanent
from certpilot.pki.errors import InvalidCSRError, InvalidUsageError, UnsupportedKeyError
from certpilot.pki.keys import PrivateKey, supported_public_key
from certpilot.pki.sign import csr_contradiction, sign_certificate
from certpilot.pki.usages import usages_for

# cert-manager's default when a request sets no duration (90 days).
DEFAULT_DURATION = timedelta(hours=2160)


class InvalidRequest(Permanent):
    """spec.request is not a usable CSR, or contradicts the request: it can never succeed."""


def request_pem(request: CertificateRequest) -> bytes:
    try:
        return base64.b64decode(request.spec.request, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("spec.request is not base64 (it must be the base64 of a PEM CSR)") from None


def requested_csr(request: CertificateRequest) -> x509.CertificateSigningRequest:
    """The CSR of spec.request: parseable, validly self-signed, and agreeing with spec.isCA and
    spec.usages. Raises InvalidRequest."""
    try:
        csr = x509.load_pem_x509_csr(request_pem(request))
    except ValueError:
        raise InvalidRequest("Failed to decode CSR in spec.request: not a PEM certificate request") from None
    try:
        supported_public_key(csr.public_key())
    except UnsupportedKeyError as e:
        raise InvalidRequest(f"the CSR in spec.request: {e}") from None
    if not csr.is_signature_valid:
        raise InvalidRequest("the CSR in spec.request has an invalid signature")
    is_ca = bool(request.spec.is_ca)
    try:
        contradiction = csr_contradiction(csr, is_ca, usages_for(request.spec.usages, is_ca))
    except InvalidUsageError as e:
        raise InvalidRequest(f"spec.usages: {e}") from None
    if contradiction is not None:
        raise InvalidRequest(f"{contradiction}: make the CSR and the request agree")
    return csr


def requested_duration(request: CertificateRequest) -> timedelta:
    if request.spec.duration is None:
        return DEFAULT_DURATION
    return parse_duration(request.spec.duration)


def sign_as_requested(
    request: CertificateRequest,
    *,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey,
    now: datetime,
    crl_distribution_points: Sequence[str] | None = None,
    ocsp_servers: Sequence[str] | None = None,
    issuing_certificate_urls: Sequence[str] | None = None,
) -> x509.Certificate:
    """The certificate the request asks for (duration capped by the issuer's expiry), signed by
    issuer_key (issuer_cert None: self-signed). Raises InvalidRequest, or pki's SigningError when
    the issuer cannot sign."""
    try:
        return sign_certificate(
            requested_csr(request),
            issuer_cert=issuer_cert,
            issuer_key=issuer_key,
            duration=requested_duration(request),
            is_ca=bool(request.spec.is_ca),
            usages=request.spec.usages,
            now=now,
            crl_distribution_points=crl_distribution_points or (),
            ocsp_servers=ocsp_servers or (),
            issuing_certificate_urls=issuing_certificate_urls or (),
        )
    except InvalidCSRError as e:
        raise InvalidRequest(str(e)) from None
