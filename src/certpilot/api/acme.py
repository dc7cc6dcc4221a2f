"""acme.cert-manager.io/v1 Order and Challenge: one ACME order per CertificateRequest, one
Challenge per authorization to prove. Both specs are immutable once created."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certpilot.api.acme_issuer import ACMEChallengeSolver
from certpilot.api.common import IssuerReference
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.api.meta import ApiModel, Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Bool

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

    request: str
    issuer_ref: IssuerReference
    common_name: str | None = None
    dns_names: list[str] | None = None
    ip_addresses: list[str] | None = None
    duration: str | None = None
    profile: str | None = None


class OrderStatus(ApiModel):
    url: str | None = None
    finalize_url: str | None = Field(default=None, alias="finalizeURL")
    authorizations: list[ACMEAuthorization] | None = None
    certificate: str | None = None
    state: State | None = None
    reason: str | None = None
    failure_time: datetime | None = None


@register
class Order(Resource):
    API_VERSION = ACME_GROUP_VERSION
    KIND = "Order"
    PLURAL = "orders"
    SINGULAR = "order"

    spec: OrderSpec
    status: OrderStatus | None = None


class ChallengeSpec(ApiModel):
    """`key` is the key authorization (HTTP01) or its digest (DNS01): secret, never logged."""

    url: str
    authorization_url: str = Field(alias="authorizationURL")
    dns_name: str
    type: ACMEChallengeType
    token: str
    key: str = Field(repr=False)
    solver: ACMEChallengeSolver
    issuer_ref: IssuerReference
    wildcard: Bool | None = None


class ChallengeStatus(ApiModel):
    processing: Bool | None = None
    presented: Bool | None = None
    presented_at: datetime | None = None
    reason: str | None = None
    state: State | None = None


@register
class Challenge(Resource):
    API_VERSION = ACME_GROUP_VERSION
    KIND = "Challenge"
    PLURAL = "challenges"
    SINGULAR = "challenge"

    spec: ChallengeSpec
    status: ChallengeStatus | None = None
