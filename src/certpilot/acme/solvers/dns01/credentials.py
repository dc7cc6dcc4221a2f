"""Reading a provider's credential from the Secret key its configuration references."""

from __future__ import annotations

from collections.abc import Sequence

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.api.meta import SecretKeySelector


async def secret_text(request: Dns01Request, ref: SecretKeySelector | None, field: str) -> str:
    """The value of `ref` (the provider field `field`, e.g. `cloudflare.apiTokenSecretRef`), stripped."""
    if ref is None or not ref.name:
        raise InvalidProviderConfig(f"{field} must name a Secret and the key holding the credential")
    if not ref.key:
        raise InvalidProviderConfig(f"{field} must name the key of Secret {ref.name!r} that holds it")
    return (await request.get_secret_value(ref.name, ref.key)).decode().strip()


def describe_sources(sources: Sequence[SecretKeySelector | None]) -> str:
    """`Secret 'cf' key 'api-token'`, and so on: where the credentials came from, never their value."""
    named = [f"Secret {ref.name!r} key {ref.key!r}" for ref in sources if ref is not None]
    return " and ".join(named) or "no Secret"
