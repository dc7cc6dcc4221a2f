"""The small interface every DNS-01 provider implements, and the request it is handed.

A provider only writes and removes one TXT value; finding the record name (CNAME following) and the zone,
checking propagation and talking to the ACME server are done once, outside the providers. So a cloud
provider is one module with two methods.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from certpilot.api.meta import ApiModel

# Reads one key of a Secret referenced by the provider's config (in the Challenge's namespace for an
# Issuer, the cluster resource namespace for a ClusterIssuer); raises if it is missing.
# The TTL of a presented TXT record where the vendor has no reason for another.
TXT_TTL = 60

GetSecretValue = Callable[[str, str], Awaitable[bytes]]


@dataclass(frozen=True)
class Dns01Request:
    """One TXT value to present at `fqdn`.

    `fqdn` is absolute (`_acme-challenge.<name>.`, or where its CNAME chain ends with cnameStrategy
    Follow); `zone` is the absolute name of the zone holding it, or None to let the provider find it.
    `value` is the key authorization digest: a secret until presented, so it is kept out of repr.
    """

    dns_name: str
    fqdn: str
    zone: str | None
    value: str = field(repr=False)
    config: ApiModel
    get_secret_value: GetSecretValue = field(repr=False)
    resource_namespace: str = ""
    allow_ambient_credentials: bool = False


class Dns01Provider(Protocol):
    """Presents and removes exactly one TXT value; both must be idempotent (retries call them again)."""

    async def present(self, request: Dns01Request) -> None: ...

    async def cleanup(self, request: Dns01Request) -> None: ...
