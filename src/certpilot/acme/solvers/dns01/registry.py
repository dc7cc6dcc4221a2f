"""Which provider module serves which `dns01` configuration block. A provider's module (dnspython
for rfc2136) is imported when a Challenge first needs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderNotSupported
from certpilot.acme.solvers.dns01.provider import Dns01Provider
from certpilot.api.acme_issuer import ACMEChallengeSolverDNS01
from certpilot.api.meta import ApiModel

if TYPE_CHECKING:
    from certpilot.acme.solvers.dns01.webhook import SolverEndpoints

SUPPORTED = ("rfc2136", "webhook")


@dataclass(frozen=True)
class ProviderSettings:
    """Daemon-wide settings providers need (from `certpilot run`'s options). `webhook_endpoints`:
    where webhook solvers are reached on this runtime (the API server on Kubernetes); by default
    the `webhook_urls` of each groupName."""

    webhook_urls: Mapping[str, str]
    webhook_timeout: float = 30.0
    webhook_endpoints: SolverEndpoints | None = None


@dataclass(frozen=True)
class ProviderChoice:
    name: str  # the block's JSON name, e.g. "rfc2136"
    provider: Dns01Provider
    config: ApiModel


def provider_for(dns01: ACMEChallengeSolverDNS01, settings: ProviderSettings) -> ProviderChoice:
    """The provider for the one provider block set in `dns01`, with that block."""
    names = dns01.providers()
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise InvalidProviderConfig(f"a dns01 solver must set exactly one provider; found: {found}")
    name = names[0]
    config = next(
        getattr(dns01, field)
        for field, info in type(dns01).model_fields.items()
        if (info.alias or field) == name
    )
    if name == "rfc2136":
        from certpilot.acme.solvers.dns01.rfc2136 import RFC2136Provider

        return ProviderChoice(name, RFC2136Provider(), config)
    if name == "webhook":
        from certpilot.acme.solvers.dns01.webhook import DirectUrls, WebhookProvider

        endpoints = settings.webhook_endpoints or DirectUrls(settings.webhook_urls, settings.webhook_timeout)
        return ProviderChoice(name, WebhookProvider(endpoints), config)
    raise ProviderNotSupported(
        f"DNS-01 provider {name!r} is not supported in certpilot yet: "
        f"use one of {', '.join(SUPPORTED)} (or its cert-manager webhook solver, through webhook)"
    )
