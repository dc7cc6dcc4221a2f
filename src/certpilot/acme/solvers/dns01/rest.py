"""JSON over HTTPS to a DNS vendor's REST API (Cloudflare, DigitalOcean, ACME-DNS), with errors that
name the provider and where its credentials came from, and never carry the credentials themselves.

The base URL is the vendor's own, overridable for tests only through `CERTPILOT_DNS01_<PROVIDER>_ENDPOINT`:
the manifest schema stays cert-manager's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from certpilot.acme.solvers.dns01.credentials import describe_sources
from certpilot.acme.solvers.dns01.errors import ProviderApiError, ProviderCredentialsRejected
from certpilot.acme.solvers.dns01.vendor import endpoint_override
from certpilot.api.meta import SecretKeySelector

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
ERROR_BODY_LIMIT = 300


def endpoint_of(provider: str, default: str) -> str:
    """The vendor's base URL, or `CERTPILOT_DNS01_<PROVIDER>_ENDPOINT` when set (tests)."""
    return endpoint_override(provider) or default


@dataclass(frozen=True)
class RestApi:
    """One vendor API: `headers` carry the credentials (never shown), `sources` say where they came from."""

    provider: str
    base_url: str
    headers: Mapping[str, str] = field(repr=False)
    sources: list[SecretKeySelector]

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """The decoded JSON answer (None for an empty one, or a 404 when `missing_ok`); raises on any
        other non-2xx status."""
        url = self.base_url.rstrip("/") + path
        try:
            async with (
                aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session,
                session.request(
                    method, url, json=body, params=params, headers=dict(self.headers)
                ) as response,
            ):
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ProviderApiError(
                f"{self.provider} API at {self.base_url} could not be reached: {err or type(err).__name__}"
            ) from None
        if status in (401, 403):
            raise ProviderCredentialsRejected(
                f"{self.provider} API refused the credentials from {describe_sources(self.sources)} "
                f"(HTTP {status}: {text[:ERROR_BODY_LIMIT]})"
            )
        if status == 404 and missing_ok:
            return None
        if not 200 <= status < 300:
            raise ProviderApiError(
                f"{self.provider} API: {method} {path} answered HTTP {status}: {text[:ERROR_BODY_LIMIT]}"
            )
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise ProviderApiError(
                f"{self.provider} API: {method} {path} did not answer JSON: {text[:ERROR_BODY_LIMIT]}"
            ) from None
