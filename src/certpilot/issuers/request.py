"""What a CertificateRequest asks for, decoded (its CSR, the duration), and signing exactly that:
shared by the issuer types that sign locally (SelfSigned, CA)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta

from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.defaults import DEFAULT_DURATION
from certpilot.api.duration import parse_duration
from certpilot.api.enums import KeyUsage
from certpilot.api.meta import Resource
from certpilot.issuers.base import Permanent
from certpilot.pki.errors import InvalidCSRError, InvalidPEMError, InvalidUsageError, UnsupportedKeyError
from certpilot.pki.keys import PrivateKey
from certpilot.pki.sign import csr_contradiction, sign_certificate
from certpilot.pki.usages import usages_for
from certpilot.pki.verified_csr import CSRS_SIGNED_HERE, VerifiedCsr, load_verified_csr
from certpilot.runtime.bounded_memo import BoundedMemo

# Every request in flight at once, with room to spare: an entry is a parsed CSR (~1 KB) or a message.
CHECKED_CSRS_CAPACITY = 4096


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
    return requested_verified_csr(request).csr


def requested_verified_csr(request: CertificateRequest) -> VerifiedCsr:
    """requested_csr with the proof of its verified signature, for signing. The outcome is
    remembered by exactly its inputs (the SHA-256 of the PEM, isCA, usages): the signer looks at a
    request several times, and each look would verify the signature again."""
    pem = request_pem(request)
    is_ca = bool(request.spec.is_ca)
    usages = request.spec.usages
    outcome = CHECKED_CSRS.get_or_compute(
        checked_csr_key(pem, is_ca, usages), lambda: csr_check_outcome(pem, is_ca, usages)
    )
    if isinstance(outcome, str):
        raise InvalidRequest(outcome)
    return outcome


def checked_csr_key(pem: bytes, is_ca: bool, usages: list[KeyUsage] | None) -> Hashable:
    return (hashlib.sha256(pem).digest(), is_ca, None if usages is None else tuple(usages))


def forget_checked_request(obj: Resource) -> None:
    """Drop the remembered check of a deleted CertificateRequest's CSR: a parsed CSR costs ~4 KB,
    and those of deleted requests would stay until 4,096 newer ones pushed them out."""
    if not isinstance(obj, CertificateRequest):
        return
    try:
        pem = request_pem(obj)
    except InvalidRequest:
        return  # never decoded, so never remembered
    CHECKED_CSRS.forget(checked_csr_key(pem, bool(obj.spec.is_ca), obj.spec.usages))
    CSRS_SIGNED_HERE.forget(pem)


def csr_check_outcome(pem: bytes, is_ca: bool, usages: list[KeyUsage] | None) -> VerifiedCsr | str:
    """The verified CSR, or why it can never be signed for this isCA / usages (the message of the
    InvalidRequest; the first reason wins)."""
    try:
        verified = load_verified_csr(pem)
    except InvalidPEMError as e:
        return f"Failed to decode CSR in spec.request: {e}"
    except UnsupportedKeyError as e:
        return f"the CSR in spec.request: {e}"
    except InvalidCSRError:
        return "the CSR in spec.request has an invalid signature"
    try:
        contradiction = csr_contradiction(verified.csr, is_ca, usages_for(usages, is_ca))
    except InvalidUsageError as e:
        return f"spec.usages: {e}"
    if contradiction is not None:
        return f"{contradiction}: make the CSR and the request agree"
    return verified


CHECKED_CSRS: BoundedMemo[VerifiedCsr | str] = BoundedMemo(CHECKED_CSRS_CAPACITY)


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
            requested_verified_csr(request),
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
