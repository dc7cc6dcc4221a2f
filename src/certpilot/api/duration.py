"""Go duration strings ("1h30m", "2160h", "1.5s"), as cert-manager's API writes durations.

Stored objects keep the user's string; code converts with these two functions. Resolution is one
microsecond (timedelta's); finer Go units are accepted and rounded down.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

_UNIT_NANOSECONDS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_TERM = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class InvalidDuration(ValueError):
    """A string that is not a Go duration."""


def parse_duration(text: str) -> timedelta:
    """Parse a Go duration: an optional sign, then one or more number+unit terms ("0" alone is
    allowed). Units: ns, us (µs), ms, s, m, h."""
    body = text
    negative = body.startswith("-")
    if body[:1] in "+-" and body:
        body = body[1:]
    if body == "0":
        return timedelta(0)
    if not body:
        raise InvalidDuration(f"invalid duration {text!r}: expected e.g. '90m', '1h30m' or '2160h'")
    nanoseconds = Decimal(0)
    position = 0
    while position < len(body):
        match = _TERM.match(body, position)
        if match is None:
            raise InvalidDuration(
                f"invalid duration {text!r}: expected number+unit terms (units ns, us, ms, s, m, h), "
                "e.g. '90m', '1h30m' or '2160h'"
            )
        nanoseconds += Decimal(match.group(1)) * _UNIT_NANOSECONDS[match.group(2)]
        position = match.end()
    microseconds = int(nanoseconds // 1000)
    return timedelta(microseconds=-microseconds if negative else microseconds)


def format_duration(value: timedelta) -> str:
    """Format like Go's time.Duration.String(): "2160h0m0s", "1m30s", "1.5s", "500ms", "0s"."""
    total_us = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    if total_us == 0:
        return "0s"
    if total_us < 1_000_000:
        if total_us < 1_000:
            return f"{sign}{total_us}µs"
        return f"{sign}{_trim(total_us, 1_000)}ms"
    hours, rest = divmod(total_us, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = f"{_trim(rest, 1_000_000)}s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"


def _trim(amount: int, unit: int) -> str:
    """`amount / unit` as a decimal without trailing zeros ("1.5", "2")."""
    whole, fraction = divmod(amount, unit)
    if not fraction:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{fraction:0{digits}d}".rstrip("0")
