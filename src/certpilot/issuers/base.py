"""The issuer interface: an issuer type writes `check` and `sign`; the request lifecycle
(approval, gating on readiness, conditions, retries, events) is written once around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from certpilot.runtime.clock import Clock
from certpilot.runtime.errors import PendingError, PermanentError, RetryWithBackoff
from certpilot.store.protocol import Store


class Pending(PendingError):
    """Still working (an ACME order in flight, a Venafi pickup): look again after requeue_after."""


class Permanent(PermanentError):
    """This request can never succeed (refused by policy, CSR invalid for the CA): Ready=False Failed."""


class IssuerNotReady(RetryWithBackoff):
    """The issuer cannot sign now (CA Secret missing, Vault unreachable): re-check the issuer.

    `reason` becomes the Issuer's Ready=False condition reason (e.g. ErrGetKeyPair)."""

    def __init__(self, message: str, reason: str = "NotReady") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class IssuerReady:
    """What a successful check reports: the Ready condition's reason and message, and any
    status the issuer type owns (e.g. `acme` for ACME issuers, as a camelCase dict)."""

    reason: str
    message: str
    extra_status: dict[str, Any] | None = None


@dataclass(frozen=True)
class SignedCertificate:
    """certificate: PEM leaf followed by its chain (no root unless the CA only has a root).
    ca: PEM of the CA when the issuer knows it, else empty."""

    certificate: bytes
    ca: bytes = b""


@dataclass(frozen=True)
class IssuerContext:
    """Everything an issuer type may use. `issuer` is an Issuer or ClusterIssuer model;
    `resource_namespace` is where its referenced Secrets live (the Issuer's namespace, or the
    cluster resource namespace for ClusterIssuers)."""

    issuer: Any
    resource_namespace: str
    store: Store
    clock: Clock


class IssuerBackend(Protocol):
    """One issuer type (selfSigned, ca, acme, vault, venafi, or a plugin)."""

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        """Raise IssuerNotReady (with an actionable message) when the issuer cannot sign."""
        ...

    async def sign(self, ctx: IssuerContext, request: Any) -> SignedCertificate:
        """Sign one CertificateRequest model. Raise Pending, Permanent or IssuerNotReady."""
        ...
