"""The CA issuer: signs requests with a CA key pair kept in a Secret (`spec.ca.secretName`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.api.issuer import CAIssuer
from certpilot.issuers.base import IssuerContext, IssuerNotReady, IssuerReady, Permanent, SignedCertificate
from certpilot.issuers.request import sign_as_requested
from certpilot.issuers.secrets import KeyPair, SecretProblem, get_secret, key_pair_of
from certpilot.pki.errors import SigningError, UnsupportedKeyError
from certpilot.pki.keys import public_key_matches
from certpilot.pki.match import is_ca_in
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.object_versions import stored_version

REASON_GET_KEY_PAIR = "ErrGetKeyPair"
REASON_INVALID_KEY_PAIR = "ErrInvalidKeyPair"
REASON_VERIFIED = "KeyPairVerified"
MESSAGE_VERIFIED = "Signing CA verified"

# CA Secrets in use at once (one per CA issuer, two while one is rotated), with room to spare.
CHECKED_CA_KEY_PAIRS_CAPACITY = 256


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def ca_key_pair_problem(pair: KeyPair, now: datetime) -> str | None:
    """Why this key pair cannot sign certificates, or None. The first reason wins."""
    return ca_key_pair_defect(pair) or ca_validity_problem(pair.certificates[0], now)


def ca_key_pair_defect(pair: KeyPair) -> str | None:
    """What makes this key pair unable to sign at any time, or None."""
    ca = pair.certificates[0]
    if not is_ca_in(ca.extensions):
        return f'certificate "{ca.subject.rfc4514_string()}" is not a CA (basicConstraints CA:TRUE missing)'
    try:
        matches = public_key_matches(ca, pair.key)
    except UnsupportedKeyError as e:
        return str(e)
    if not matches:
        return "tls.key is not the private key of the CA certificate in tls.crt"
    return None


def ca_validity_problem(ca: x509.Certificate, now: datetime) -> str | None:
    if now >= ca.not_valid_after_utc:
        return f"the CA certificate expired at {ca.not_valid_after_utc.isoformat()}"
    if now < ca.not_valid_before_utc:
        return f"the CA certificate is not valid before {ca.not_valid_before_utc.isoformat()}"
    return None


@dataclass(frozen=True)
class CheckedKeyPair:
    """A CA Secret's key pair, parsed, with what makes it unable to sign at any time (or None),
    and the PEMs every leaf it signs is stored with (encoded once, not per signing)."""

    pair: KeyPair
    defect: str | None
    pems: IssuerPems


def checked_key_pair(secret: Secret, where: str) -> CheckedKeyPair:
    """Raises SecretProblem when tls.crt or tls.key is missing or does not parse."""
    pair = key_pair_of(secret, where)
    return CheckedKeyPair(pair, ca_key_pair_defect(pair), issuer_pems(pair.certificates))


@dataclass(frozen=True)
class IssuerPems:
    """What follows a leaf signed by a CA: the chain after the leaf (tls.crt) and ca.crt, PEM."""

    chain: bytes
    ca: bytes


def issuer_pems(ca_certificates: list[x509.Certificate]) -> IssuerPems:
    """As cert-manager: the chain is the issuers without a self-signed root; ca.crt is the last
    certificate known (the root, or the top-most intermediate when no root is given)."""
    issuers = list(ca_certificates)
    top = issuers[-1]
    if is_self_signed(top):
        issuers = issuers[:-1]
    return IssuerPems(b"".join(c.public_bytes(Encoding.PEM) for c in issuers), top.public_bytes(Encoding.PEM))


def chain_and_ca(leaf: x509.Certificate, ca_certificates: list[x509.Certificate]) -> tuple[bytes, bytes]:
    """tls.crt and ca.crt for a leaf signed by ca_certificates[0] (which may carry its own chain)."""
    return chain_after(leaf, issuer_pems(ca_certificates))


def chain_after(leaf: x509.Certificate, pems: IssuerPems) -> tuple[bytes, bytes]:
    """tls.crt and ca.crt for a leaf signed by the CA whose PEMs these are."""
    return leaf.public_bytes(Encoding.PEM) + pems.chain, pems.ca


class CAIssuerBackend:
    def __init__(self) -> None:
        # checked_key_pair once per CA Secret version (uid + resourceVersion): every signing reads
        # the CA Secret, and parsing it and checking the pair again costs more than the signing.
        self._checked_key_pairs: BoundedMemo[CheckedKeyPair] = BoundedMemo(CHECKED_CA_KEY_PAIRS_CAPACITY)

    def remembered_checked_key_pair(self, secret: Secret, where: str) -> CheckedKeyPair:
        """checked_key_pair, once per stored version of `secret` (a Secret never stored: every time)."""
        return self._checked_key_pairs.get_or_compute(
            stored_version(secret), lambda: checked_key_pair(secret, where)
        )

    async def _verified_key_pair(self, ctx: IssuerContext) -> CheckedKeyPair:
        config = _ca_config(ctx)
        where = f'secret "{ctx.resource_namespace}/{config.secret_name}"'
        try:
            secret = await get_secret(ctx.store, ctx.resource_namespace, config.secret_name)
            checked = self.remembered_checked_key_pair(secret, where)
        except SecretProblem as e:
            raise IssuerNotReady(f"Error getting keypair for CA issuer: {e}", REASON_GET_KEY_PAIR) from None
        problem = checked.defect or ca_validity_problem(checked.pair.certificates[0], ctx.clock.now())
        if problem is not None:
            raise IssuerNotReady(f"Error initializing issuer: {problem}", REASON_INVALID_KEY_PAIR)
        return checked

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        await self._verified_key_pair(ctx)
        return IssuerReady(REASON_VERIFIED, MESSAGE_VERIFIED)

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        checked = await self._verified_key_pair(ctx)
        pair = checked.pair
        config = _ca_config(ctx)
        try:
            leaf = sign_as_requested(
                request,
                issuer_cert=pair.certificates[0],
                issuer_key=pair.key,
                now=ctx.clock.now(),
                crl_distribution_points=config.crl_distribution_points,
                ocsp_servers=config.ocsp_servers,
                issuing_certificate_urls=config.issuing_certificate_urls,
            )
        except SigningError as e:
            raise IssuerNotReady(f"Error initializing issuer: {e}", REASON_INVALID_KEY_PAIR) from None
        chain, ca = chain_after(leaf, checked.pems)
        return SignedCertificate(certificate=chain, ca=ca)


def _ca_config(ctx: IssuerContext) -> CAIssuer:
    issuer = ctx.builtin_issuer()
    config: CAIssuer | None = issuer.spec.ca
    if config is None:
        raise Permanent(f"issuer {issuer.name!r} has no spec.ca")
    return config
