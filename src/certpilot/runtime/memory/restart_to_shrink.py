"""Restart the daemon in place once most of what it held is gone, to give its memory back.

After thousands of objects are deleted, the memory they used is free inside the process but stays
mapped: CPython returns a 1 MB arena only when every object in it is gone, and a few survivors
keep most arenas (docs/reliability.md, Load). A daemon that held 10,000 Certificates keeps about
2.8 times its idle memory after they are all deleted. The one way to give it all back is a new
process: what uWSGI's reload-on-rss and gunicorn's max-requests do for web workers.

When the caches have shed three quarters of their peak (at least `min_shed_objects`), nothing is
queued or reconciling, no ACME challenge is being solved, and the resident memory is at least
`rss_factor` times what it was once the caches were first loaded, the daemon stops gracefully and
executes itself again with the same arguments (same pid, same log). That is safe by design: a
restart at any instant loses nothing (docs/reliability.md, Chaos), and the new process's
informers load only what is left.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Three quarters of the peak gone, and at least this many objects (1,000 Certificates are about
# 3,000 objects: the Certificate, its Secret and its CertificateRequest).
SHED_FRACTION = 0.75
DEFAULT_MIN_SHED_OBJECTS = 3000
DEFAULT_RSS_FACTOR = 1.5


@dataclass(frozen=True)
class Footprint:
    """Objects in the informer caches and the process's resident memory, at one moment."""

    objects: int
    rss_bytes: int


@dataclass(frozen=True)
class RestartPolicy:
    """When a restart to return memory is worth it; `rss_factor` 0 turns it off."""

    rss_factor: float = DEFAULT_RSS_FACTOR
    min_shed_objects: int = DEFAULT_MIN_SHED_OBJECTS

    def __post_init__(self) -> None:
        if self.rss_factor < 0:
            raise ValueError(f"the memory restart factor must be 0 (off) or more, got {self.rss_factor}")
        if self.min_shed_objects < 1:
            raise ValueError(f"the memory restart minimum must be at least 1, got {self.min_shed_objects}")


class RestartToReturnMemory(Exception):
    """The daemon stopped so that it can execute itself again with the same arguments."""


def worth_restarting(
    policy: RestartPolicy, at_start: Footprint, peak_objects: int, now: Footprint, idle: bool
) -> bool:
    """Whether a daemon that held `peak_objects` at most, and `at_start` once its caches were loaded,
    should restart now to give back the memory its deleted objects used."""
    if policy.rss_factor == 0 or not idle:
        return False
    shed = peak_objects - now.objects
    return (
        shed >= policy.min_shed_objects
        and shed >= SHED_FRACTION * peak_objects
        and now.rss_bytes >= policy.rss_factor * at_start.rss_bytes
    )


def restart_reason(at_start: Footprint, peak_objects: int, now: Footprint) -> str:
    return (
        f"restarting to return memory: {now.rss_bytes / 2**20:.0f} MB resident, "
        f"{now.rss_bytes / at_start.rss_bytes:.1f} times the {at_start.rss_bytes / 2**20:.0f} MB at start; "
        f"the caches hold {now.objects} objects, down from {peak_objects}"
    )


def resident_bytes() -> int | None:
    """This process's resident memory (Linux's /proc); None where that cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
