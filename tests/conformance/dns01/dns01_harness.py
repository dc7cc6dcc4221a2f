"""The DNS-01 conformance suite's harness: the suite's BIND, a peer of each kind, and a Challenge solved
through the controllers' own ChallengeSolving (record lookup + provider + propagation check)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certpilot.api.acme import Challenge, ChallengeSpec
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverDNS01
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.enums import ACMEChallengeType
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.acme.solving import ChallengeSolving, SolverListeners
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.secrets import get_secret, secret_value
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.peers.bind import BindServer, bind_server
from certpilot.testing.peers.dns_standins.acmedns import ACME_DNS_ZONE, AcmeDnsPeer
from certpilot.testing.peers.dns_standins.akamai import AkamaiStandin
from certpilot.testing.peers.dns_standins.azuredns import AzureDnsStandin
from certpilot.testing.peers.dns_standins.base import BindZoneWriter
from certpilot.testing.peers.dns_standins.clouddns import CloudDnsStandin
from certpilot.testing.peers.dns_standins.cloudflare import CloudflarePeer
from certpilot.testing.peers.dns_standins.digitalocean import DigitalOceanPeer
from certpilot.testing.peers.dns_standins.peers import OTHER_ZONE, DnsProviderPeer
from certpilot.testing.peers.dns_standins.route53 import Route53Peer

ZONE = "example.test."
NAMESPACE = "default"
# One DNS name per case and peer, so that cases never see each other's records: <label>.<peer id>.ZONE
LABELS = ("present", "pair", "absent", "propagated", "discovery", "cname", "creds")
# Peers whose values always live at a CNAME target (the user's `_acme-challenge` points there, and the
# solver needs no cnameStrategy).
CNAME_DELEGATED = frozenset({"acmeDNS"})
# Peers whose API cannot delete a value: cleanup leaves it for the next present to replace.
KEEPS_VALUES = frozenset({"acmeDNS"})
# Peers without zones: the provider never looks one up.
ZONELESS = frozenset({"acmeDNS"})
PROPAGATION_DEADLINE = 15.0


def start_bind(directory: Path) -> BindServer:
    zones = (ZONE.rstrip("."), OTHER_ZONE.rstrip("."), ACME_DNS_ZONE.rstrip("."))
    return bind_server(directory, zones=zones).start()


def dns_name(peer_id: str, label: str) -> str:
    return f"{label}.{peer_id}.{ZONE.rstrip('.')}"


def cname_target(peer_id: str) -> str:
    """Where `_acme-challenge` of the cname case points: a name in the other zone."""
    return f"_acme-challenge.cname-target.{peer_id}.{OTHER_ZONE}"


def start_peer(peer_id: str, bind: BindServer, directory: Path) -> Any:
    """A started peer of kind `peer_id` (its own stop() stops it)."""
    if peer_id == "acmedns":
        return AcmeDnsPeer(bind, tuple(dns_name(peer_id, label) for label in LABELS)).start()
    BindZoneWriter(bind).cname(f"_acme-challenge.{dns_name(peer_id, 'cname')}.", cname_target(peer_id))
    if peer_id == "route53":
        return Route53Peer(bind, directory).start()
    if peer_id == "digitalocean":
        return DigitalOceanPeer(bind).start()
    zones = (ZONE.rstrip("."), OTHER_ZONE.rstrip("."))
    if peer_id == "azuredns":
        return AzureDnsStandin(bind, directory, zones).start()
    if peer_id == "clouddns":
        return CloudDnsStandin(bind, zones).start()
    if peer_id == "akamai":
        return AkamaiStandin(bind, zones).start()
    return CloudflarePeer(bind, legacy_api_key=peer_id == "cloudflare-key").start()


def running_peer(peer_id: str, bind: BindServer, directory: Path) -> Iterator[Any]:
    peer = start_peer(peer_id, bind, directory)
    try:
        yield peer
    finally:
        peer.stop()


def txt_value() -> str:
    """A fresh challenge value shaped like the real ones (base64url SHA-256, 43 characters)."""
    digest = hashlib.sha256(secrets.token_bytes(16)).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def secret_of(name: str, data: Mapping[str, bytes]) -> Secret:
    encoded = {key: base64.b64encode(value).decode() for key, value in data.items()}
    return Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE), data=encoded)


@dataclass
class Solving:
    """ChallengeSolving on a SQLite store holding the peer's Secrets, looking names up at BIND."""

    peer: DnsProviderPeer
    solving: ChallengeSolving
    store: SQLiteStore

    def challenge(self, name: str, value: str, follow: bool = False) -> Challenge:
        block: dict[str, Any] = {self.peer.name: self.peer.solver_config()}
        if follow:
            block["cnameStrategy"] = "Follow"
        return Challenge(
            metadata=ObjectMeta(
                name=f"c-{secrets.token_hex(4)}", namespace=NAMESPACE, uid=secrets.token_hex(8)
            ),
            spec=ChallengeSpec(
                url="https://acme.example/chall/1",
                authorization_url="https://acme.example/authz/1",
                dns_name=name,
                type=ACMEChallengeType.DNS01,
                token=secrets.token_urlsafe(16),
                key=value,
                solver=ACMEChallengeSolver(dns01=ACMEChallengeSolverDNS01.model_validate(block)),
                issuer_ref=IssuerReference(name="acme"),
            ),
        )

    async def secret_value(self, name: str, key: str) -> bytes:
        """A key of one of the peer's Secrets, read from the store as the solver reads it."""
        return secret_value(await get_secret(self.store, NAMESPACE, name), key)

    async def present(self, challenge: Challenge) -> None:
        await self.solving.present(challenge, NAMESPACE)

    async def cleanup(self, challenge: Challenge) -> None:
        await self.solving.cleanup(challenge, NAMESPACE)

    async def self_check_passes(self, challenge: Challenge) -> bool:
        return (await self.solving.self_check(challenge, NAMESPACE)).passed

    async def wait_until_propagated(self, challenge: Challenge) -> None:
        """Polls the self-check, as the Challenge controller does, until it passes (or fails the test)."""
        deadline = time.monotonic() + PROPAGATION_DEADLINE
        while not await self.self_check_passes(challenge):
            if time.monotonic() > deadline:
                reason = (await self.solving.self_check(challenge, NAMESPACE)).reason
                raise AssertionError(f"not propagated after {PROPAGATION_DEADLINE}s: {reason}")
            await asyncio.sleep(0.1)


async def open_solving(
    peer: DnsProviderPeer, bind: BindServer, directory: Path, secrets_: Mapping[str, Mapping[str, bytes]]
) -> Solving:
    store = SQLiteStore(directory / "store.db")
    for name, data in secrets_.items():
        await store.create(secret_of(name, data))
    options = ControllerOptions(dns01_recursive_nameservers=(bind.address,), http01_listen=())
    return Solving(peer, ChallengeSolving(store, options, SolverListeners((), ())), store)


def wrong_value(value: bytes) -> bytes:
    """`value` with its last character changed: the same shape, refused by the vendor."""
    last = b"A" if value[-1:] != b"A" else b"B"
    return value[:-1] + last
