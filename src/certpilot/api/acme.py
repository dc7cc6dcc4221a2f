"""acme.cert-manager.io/v1 Order and Challenge: one ACME order per CertificateRequest, one
Challenge per authorization to prove. Both specs are immutable once created."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import Field

from certpilot.api.acme_issuer import ACMEChallengeSolver
from certpilot.api.common import IssuerReference
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.api.meta import ApiModel, Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Base64, Bool

ACME_GROUP_VERSION = "acme.cert-manager.io/v1"


class ACMEChallenge(ApiModel):
    """One way offered by the ACME server to prove an authorization."""

    url: str
    token: str
    type: str


class ACMEAuthorization(ApiModel):
    url: str
    identifier: str | None = None
    wildcard: Bool | None = None
    initial_state: State | None = None
    challenges: list[ACMEChallenge] | None = None


class OrderSpec(ApiModel):
    """`request` is the base64 of the PEM CSR, as Kubernetes encodes []byte in JSON."""

    request: Base64
    """The PEM CSR to finalize the order with (base64 in JSON)."""
    issuer_ref: IssuerReference
    """The ACME Issuer or ClusterIssuer."""
    common_name: str | None = None
    """The CSR's common name."""
    dns_names: list[str] | None = None
    """DNS identifiers to order."""
    ip_addresses: list[str] | None = None
    """IP identifiers to order."""
    duration: str | None = None
    """Requested lifetime, sent when the issuer enables it."""
    profile: str | None = None
    """ACME certificate profile to request."""
    replaces: str | None = Field(
        default=None, description="ACME Renewal Information: the ARI certificate ID this order replaces."
    )


class OrderStatus(ApiModel):
    """The order's state at the ACME server."""

    url: str | None = None
    """The order's URL at the ACME server."""
    finalize_url: str | None = Field(default=None, alias="finalizeURL")
    """Where the CSR is sent once every authorization is valid."""
    authorizations: list[ACMEAuthorization] | None = None
    """What the ACME server asked to prove."""
    certificate: Base64 | None = None
    """The PEM certificate chain once issued (base64 in JSON)."""
    state: State | None = None
    """The order state as the ACME server reports it."""
    reason: str | None = None
    """Why the order failed, if it did."""
    failure_time: datetime | None = None
    """When the order failed."""


# Kubernetes label values hold 63 characters; cert-manager keeps 52 of the parent's name and adds "-<hash>".
NAME_PREFIX_LENGTH = 52


def derived_name(parent_name: str, seed: bytes) -> str:
    """`<parent name>-<32-bit hash of seed>`, how an Order is named after its CertificateRequest
    and a Challenge after its Order: the same inputs always give the same name."""
    digest = hashlib.sha256(seed).digest()
    return f"{parent_name[:NAME_PREFIX_LENGTH]}-{int.from_bytes(digest[:4], 'big')}"


@register
class Order(Resource):
    """One ACME order for one CertificateRequest; owns a Challenge per authorization to prove."""

    API_VERSION = ACME_GROUP_VERSION
    KIND = "Order"
    PLURAL = "orders"
    SINGULAR = "order"

    spec: OrderSpec
    status: OrderStatus | None = None


class ChallengeSpec(ApiModel):
    """`key` is the key authorization (HTTP01) or its digest (DNS01): secret, never logged."""

    url: str
    """The challenge's URL at the ACME server."""
    authorization_url: str = Field(alias="authorizationURL")
    """The URL of the authorization this challenge belongs to."""
    dns_name: str
    """The identifier to prove control of."""
    type: ACMEChallengeType
    """HTTP-01 or DNS-01."""
    token: str
    """The challenge token."""
    key: str = Field(repr=False)
    """The key authorization (HTTP-01) or its digest (DNS-01)."""
    solver: ACMEChallengeSolver
    """The issuer's solver chosen for this identifier."""
    issuer_ref: IssuerReference
    """The ACME Issuer or ClusterIssuer."""
    wildcard: Bool | None = None
    """Whether the identifier is a wildcard name."""


class ChallengeStatus(ApiModel):
    """How far solving has got."""

    processing: Bool | None = None
    """Whether the challenge is still being worked on."""
    presented: Bool | None = None
    """Whether the answer is in place (record or HTTP response)."""
    reason: str | None = None
    """Why the challenge is in its state."""
    state: State | None = None
    """The challenge state as the ACME server reports it."""
    presented_at: datetime | None = None
    """When the answer was put in place."""


@register
class Challenge(Resource):
    """One ACME challenge to solve to prove control of one identifier."""

    API_VERSION = ACME_GROUP_VERSION
    KIND = "Challenge"
    PLURAL = "challenges"
    SINGULAR = "challenge"

    spec: ChallengeSpec
    status: ChallengeStatus | None = None
