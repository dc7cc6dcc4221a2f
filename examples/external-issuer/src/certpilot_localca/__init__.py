"""LocalCAIssuer: an external issuer for certpilot, in its own API group (localca.example.com).

It signs with the CA key pair of Secret `spec.secretName` (tls.crt / tls.key). certpilot runs its
requests through the same lifecycle as its own issuers; this package writes only check and sign.
"""

from __future__ import annotations

from certpilot.issuers.api import (
    ApiModel,
    CertificateRequest,
    IssuerContext,
    IssuerNotReady,
    IssuerPlugin,
    IssuerReady,
    IssuerStatus,
    KeyPair,
    Resource,
    SecretProblem,
    SignedCertificate,
    ca_key_pair_problem,
    chain_and_ca,
    read_key_pair,
    sign_as_requested,
)

GROUP = "localca.example.com"


class LocalCAIssuerSpec(ApiModel):
    secret_name: str


class LocalCAIssuer(Resource):
    API_VERSION = f"{GROUP}/v1alpha1"
    KIND = "LocalCAIssuer"
    PLURAL = "localcaissuers"
    SINGULAR = "localcaissuer"

    spec: LocalCAIssuerSpec
    status: IssuerStatus | None = None


class LocalCABackend:
    async def _key_pair(self, ctx: IssuerContext) -> KeyPair:
        try:
            issuer = ctx.issuer_as(LocalCAIssuer)
            pair = await read_key_pair(ctx.store, ctx.resource_namespace, issuer.spec.secret_name)
        except SecretProblem as e:
            raise IssuerNotReady(f"cannot read the CA: {e}", "CANotFound") from None
        problem = ca_key_pair_problem(pair, ctx.clock.now())
        if problem is not None:
            raise IssuerNotReady(f"cannot sign with the CA: {problem}", "CAInvalid")
        return pair

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        await self._key_pair(ctx)
        return IssuerReady("CAVerified", "LocalCA can sign")

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        pair = await self._key_pair(ctx)
        leaf = sign_as_requested(
            request, issuer_cert=pair.certificates[0], issuer_key=pair.key, now=ctx.clock.now()
        )
        chain, ca = chain_and_ca(leaf, pair.certificates)
        return SignedCertificate(certificate=chain, ca=ca)


plugin = IssuerPlugin(group=GROUP, kinds=(LocalCAIssuer,), backend=LocalCABackend())
