"""What the DNS-01 conformance suite needs from each provider's peer (a stand-in vendor API or a real one)."""

from __future__ import annotations

from typing import Any, Protocol


class DnsProviderPeer(Protocol):
    name: str  # the solver key, e.g. "cloudflare"
    zone: str  # absolute zone it serves, e.g. "example.test."

    def solver_config(self) -> dict[str, Any]: ...  # the provider block as in an Issuer manifest

    def secrets(self) -> dict[str, dict[str, bytes]]: ...  # credential Secrets: name -> {key: value}

    def environment(self) -> dict[str, str]: ...  # the CERTPILOT_DNS01_*_ENDPOINT etc. to set

    def txt_values(self, fqdn: str) -> set[str]: ...  # what the vendor side holds now
