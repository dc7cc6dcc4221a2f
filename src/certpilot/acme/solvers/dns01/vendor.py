"""What the cloud DNS-01 providers (Azure, Cloud DNS, Akamai) share.

* Each one's SDK is an optional extra; a missing one is a typed error naming the extra to install.
* The URL each talks to can be replaced, for tests only, by `CERTPILOT_DNS01_<PROVIDER>_ENDPOINT`: the
  manifest schema stays cert-manager's, so the override cannot live in the Issuer.
* The vendor's hosted zone for a name is the closest one holding it, as DNS delegation would pick.
* A TXT record set is read, changed by one value and written back; the change itself is a pure function.
* Vendors' error texts are shortened and have every credential value cut out before they reach a message.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import Any

from certpilot.acme.solvers.dns01.errors import sdk_missing
from certpilot.acme.solvers.dns01.names import absolute
from certpilot.runtime.logging import REDACTED

MAX_VENDOR_TEXT = 300
REQUEST_TIMEOUT = 30.0  # seconds, per vendor API call
WRITE_ATTEMPTS = 3  # read-modify-write rounds when another writer changed the record set in between


def untyped_sdk_module(name: str, extra: str) -> Any:
    """An SDK module that ships no type information, imported by name (so mypy sees Any rather than
    untyped calls), or the typed error naming the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise sdk_missing(extra, err.name or name) from None


def endpoint_override(provider: str) -> str | None:
    """The test endpoint from `CERTPILOT_DNS01_<PROVIDER>_ENDPOINT`, without a trailing slash, if set."""
    value = os.environ.get(f"CERTPILOT_DNS01_{provider.upper()}_ENDPOINT", "").strip()
    return value.rstrip("/") or None


def closest_zone(fqdn: str, zones: Iterable[str]) -> str | None:
    """The longest of `zones` that `fqdn` is in (absolute, lower-case), or None."""
    name = absolute(fqdn)
    holding = [z for z in map(absolute, zones) if name == z or name.endswith("." + z)]
    return max(holding, key=len, default=None)


def txt_values_after(current: Iterable[str], value: str, add: bool) -> list[str]:
    """The record set's values once `value` is added (kept once) or removed (the others untouched)."""
    others = [v for v in current if v != value]
    return [*others, value] if add else others


def unquoted(rdata: str) -> str:
    """A TXT rdata in zone-file syntax (`"abc"`, or `"ab" "c"` in chunks) as the one value it holds."""
    if '"' not in rdata:
        return rdata
    return "".join(part for i, part in enumerate(rdata.split('"')) if i % 2 == 1)


def vendor_text(text: object, secrets: Iterable[str]) -> str:
    """A vendor's error text, short, with every credential value in `secrets` replaced."""
    shown = str(text)
    for secret in secrets:
        if secret:
            shown = shown.replace(secret, REDACTED)
    return shown[:MAX_VENDOR_TEXT]
