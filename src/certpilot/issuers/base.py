"""The issuer interface: an issuer type writes `check` and `sign`; the request lifecycle
(approval, gating on readiness, conditions, retries, events) is written once around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer, IssuerStatus
from certpilot.api.meta import Resource
from certpilot.runtime.clock import Clock
from certpilot.runtime.errors import PendingError, PermanentError, RetryWithBackoff
from certpilot.store.protocol import Store

IssuerModel = TypeVar("IssuerModel", bound=Resource)


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
    """What a successful check reports: the Ready condition's reason and message, and any other
    status field the issuer type owns (e.g. `acme` for ACME issuers); its conditions are ignored."""

    reason: str
    message: str
    extra_status: IssuerStatus | None = None


@dataclass(frozen=True)
class SignedCertificate:
    """certificate: PEM leaf followed by its chain (no root unless the CA only has a root).
    ca: PEM of the CA when the issuer knows it, else empty."""

    certificate: bytes
    ca: bytes = b""


@dataclass(frozen=True)
class IssuerContext:
    """Everything an issuer type may use. `issuer` is the issuer resource a request names: an
    Issuer, a ClusterIssuer, or one of a plugin's kinds (read it with `issuer_as`).
    `resource_namespace` is where its referenced Secrets live (the Issuer's namespace, or the
    cluster resource namespace for ClusterIssuers)."""

    issuer: Resource
    resource_namespace: str
    store: Store
    clock: Clock

    def issuer_as(self, model: type[IssuerModel]) -> IssuerModel:
        """The issuer as `model` (a plugin's issuer kind). Raises Permanent when it is another kind."""
        if not isinstance(self.issuer, model):
            raise Permanent(f"{self.issuer.KIND} {self.issuer.name!r} is not a {model.KIND}")
        return self.issuer

    def builtin_issuer(self) -> AnyIssuer:
        """The issuer as a cert-manager.io Issuer or ClusterIssuer. Raises Permanent otherwise."""
        if not isinstance(self.issuer, Issuer | ClusterIssuer):
            raise Permanent(f"{self.issuer.KIND} {self.issuer.name!r} is not an Issuer nor a ClusterIssuer")
        return self.issuer


class IssuerBackend(Protocol):
    """One issuer type (selfSigned, ca, acme, vault, venafi, or a plugin)."""

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        """Raise IssuerNotReady (with an actionable message) when the issuer cannot sign."""
        ...

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        """Sign one CertificateRequest. Raise Pending, Permanent or IssuerNotReady."""
        ...
