"""The SelfSigned issuer: each certificate is signed by its own private key.

The key is read from the Secret named by the request's `cert-manager.io/private-key-secret-name`
annotation (the Certificate controllers' temporary next-key Secret), as cert-manager does.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.annotations import PRIVATE_KEY_SECRET_NAME
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.issuer import SelfSignedIssuer
from certpilot.issuers.base import IssuerContext, IssuerReady, Pending, Permanent, SignedCertificate
from certpilot.issuers.request import requested_csr, sign_as_requested
from certpilot.issuers.secrets import SecretMissing, SecretProblem, read_private_key
from certpilot.pki.errors import SigningError
from certpilot.pki.keys import public_key_matches

REASON_READY = "IsReady"
# A key Secret not written yet is usually a moment away (the key manager creates it).
SECRET_MISSING_RETRY_SECONDS = 10.0


class SelfSignedIssuerBackend:
    async def check(self, ctx: IssuerContext) -> IssuerReady:
        return IssuerReady(REASON_READY, "")

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        secret_name = (request.metadata.annotations or {}).get(PRIVATE_KEY_SECRET_NAME, "")
        if not secret_name:
            raise Permanent(
                f'Annotation "{PRIVATE_KEY_SECRET_NAME}" missing or reference empty: the SelfSigned '
                "issuer signs with the key in that Secret"
            )
        namespace = request.namespace or ctx.resource_namespace
        try:
            key = await read_private_key(ctx.store, namespace, secret_name)
        except SecretMissing as e:
            raise Pending(
                f"Referenced private key secret not found: {e}", SECRET_MISSING_RETRY_SECONDS
            ) from None
        except SecretProblem as e:
            raise Permanent(f"Cannot use the referenced private key: {e}") from None
        if not public_key_matches(requested_csr(request), key):
            raise Permanent(
                f'the CSR\'s public key does not match the private key in secret "{namespace}/{secret_name}"'
            )
        config: SelfSignedIssuer | None = ctx.builtin_issuer().spec.self_signed
        try:
            certificate = sign_as_requested(
                request,
                issuer_cert=None,
                issuer_key=key,
                now=ctx.clock.now(),
                crl_distribution_points=config.crl_distribution_points if config else None,
            )
        except SigningError as e:
            raise Permanent(str(e)) from None
        pem = certificate.public_bytes(Encoding.PEM)
        return SignedCertificate(certificate=pem, ca=pem)
