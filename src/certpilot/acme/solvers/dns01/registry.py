"""Which provider module serves which `dns01` configuration block. A provider's module (and its SDK:
dnspython for rfc2136, a vendor SDK for the cloud providers) is imported when a Challenge first needs
it, so a missing optional SDK breaks only the Challenges that use it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderNotSupported
from certpilot.acme.solvers.dns01.provider import Dns01Provider
from certpilot.api.acme_issuer import ACMEChallengeSolverDNS01
from certpilot.api.meta import ApiModel

if TYPE_CHECKING:
    from certpilot.acme.solvers.dns01.webhook import SolverEndpoints


def _route53() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.route53 import Route53Provider

    return Route53Provider()


def _cloudflare() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.cloudflare import CloudflareProvider

    return CloudflareProvider()


def _digitalocean() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.digitalocean import DigitalOceanProvider

    return DigitalOceanProvider()


def _acmedns() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.acmedns import AcmeDnsProvider

    return AcmeDnsProvider()


def _azuredns() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.azuredns import AzureDNSProvider

    return AzureDNSProvider()


def _clouddns() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.clouddns import CloudDNSProvider

    return CloudDNSProvider()


def _akamai() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.akamai import AkamaiProvider

    return AkamaiProvider()


def _rfc2136() -> Dns01Provider:
    from certpilot.acme.solvers.dns01.rfc2136 import RFC2136Provider

    return RFC2136Provider()


# The providers built from their block alone, by the block's JSON name (the webhook also needs settings).
PROVIDERS: dict[str, Callable[[], Dns01Provider]] = {
    "rfc2136": _rfc2136,
    "route53": _route53,
    "cloudflare": _cloudflare,
    "digitalocean": _digitalocean,
    "acmeDNS": _acmedns,
    "azureDNS": _azuredns,
    "cloudDNS": _clouddns,
    "akamai": _akamai,
}
SUPPORTED = (*PROVIDERS, "webhook")


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
    if name in PROVIDERS:
        return ProviderChoice(name, PROVIDERS[name](), config)
    if name == "webhook":
        from certpilot.acme.solvers.dns01.webhook import DirectUrls, WebhookProvider

        endpoints = settings.webhook_endpoints or DirectUrls(settings.webhook_urls, settings.webhook_timeout)
        return ProviderChoice(name, WebhookProvider(endpoints), config)
    raise ProviderNotSupported(
        f"DNS-01 provider {name!r} is not supported in certpilot yet: "
        f"use one of {', '.join(SUPPORTED)} (or its cert-manager webhook solver, through webhook)"
    )
