"""What the DNS-01 conformance suite (tests/conformance/dns01/) needs of each provider's test peer: a
stand-in of the vendor's API (or a real emulator, moto for Route53) holding the zones `zone` and
`other.test.`, whose records also reach the suite's BIND so that DNS sees them."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

OTHER_ZONE = "other.test."  # a second zone every peer holds: the target of CNAMEs in `zone`


class DnsProviderPeer(Protocol):
    name: str  # the solver key, e.g. "cloudflare"
    zone: str  # absolute zone it serves, e.g. "example.test."

    def solver_config(self) -> dict[str, Any]:
        """The provider's own block in an Issuer manifest's dns01 solver (under the key `name`), e.g.
        {"apiTokenSecretRef": {...}} for cloudflare."""
        ...

    def secrets(self) -> dict[str, dict[str, bytes]]:
        """The credential Secrets solver_config references: name -> {key: value}."""
        ...

    def environment(self) -> dict[str, str]:
        """The environment the provider needs to reach the peer (CERTPILOT_DNS01_*_ENDPOINT...)."""
        ...

    def txt_values(self, fqdn: str) -> set[str]:
        """The TXT values the vendor side holds at `fqdn` now."""
        ...


@runtime_checkable
class StructuredSecretsPeer(Protocol):
    """A peer whose Secrets are structured (JSON accounts, key files): it says how to make them wrong.

    For other peers the suite makes wrong credentials by changing the last character of every value."""

    def wrong_secrets(self) -> dict[str, dict[str, bytes]]:
        """secrets() with credentials the vendor refuses, in the same shape."""
        ...


@runtime_checkable
class UncheckedCredentialsPeer(Protocol):
    """A peer that accepts any credentials; `unchecked_credentials` says why (the suite prints it)."""

    unchecked_credentials: str
