"""Chaos: `certpilot run` as a child process, killed with SIGKILL at random instants and restarted,
while Certificates issue from a CA, ACME HTTP-01, ACME DNS-01 (RFC 2136 to BIND) and Vault (OpenBao)
issuer, and while those peers are restarted. Shared by tests/e2e/chaos/ (a few kills) and
bench/chaos.py (100 kills, 200 Certificates); what is judged afterwards is in `audit.py`."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm, RotationPolicy
from certpilot.api.issuer import Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta, Resource, SecretKeySelector
from certpilot.api.vault_issuer import VaultAuth, VaultIssuer
from certpilot.controllers.certificates.manual_renewal import AlreadyIssuing, request_renewal
from certpilot.pki.keys import parse_private_key, public_key_bytes
from certpilot.store.errors import Conflict, NotFound
from certpilot.store.protocol import Store
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing import builders
from certpilot.testing.audit import Audit, audit_store, is_ready
from certpilot.testing.peers.bind import BindServer, bind_server
from certpilot.testing.peers.openbao import OpenBaoServer
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port

NAMESPACE = "chaos"
ISSUER_KINDS = ("ca", "acme-http01", "acme-dns01", "vault")
# One Certificate in this many keeps its key (rotationPolicy Never); the others rotate (Always).
NEVER_EVERY = 5


@dataclass
class Peers:
    """The servers the issuers talk to; each can be restarted mid-flight on the same port."""

    bind: BindServer
    pebble: PebbleServer
    openbao: OpenBaoServer | None
    http01_port: int
    vault_path: str = ""

    @classmethod
    def start(cls, directory: Path, *, nonce_reject: int = 30, vault: bool = True) -> Peers:
        http01_port = free_port()
        bind = bind_server(directory / "bind").start()
        pebble = PebbleServer(
            directory / "pebble",
            dns_server=bind.address,
            http_port=http01_port,
            env={"PEBBLE_WFE_NONCEREJECT": str(nonce_reject)},
        ).start()
        openbao = OpenBaoServer(directory / "openbao").start() if vault else None
        peers = cls(bind, pebble, openbao, http01_port)
        peers.setup_vault()
        return peers

    def setup_vault(self) -> None:
        """OpenBao's dev mode starts empty: mount PKI (again, after a restart)."""
        if self.openbao is not None:
            self.vault_path = self.openbao.setup_pki(allowed_domains=(self.bind.zone,)).sign_path

    def restart(self, name: str) -> None:
        """Stop and start one peer ('pebble', 'bind' or 'openbao') on the same address."""
        if name == "pebble":
            self.pebble.stop()
            self.pebble.start()
        elif name == "bind":
            self.bind.stop()
            self.bind.start()
        elif name == "openbao" and self.openbao is not None:
            self.openbao.stop()
            self.openbao.start()
            self.setup_vault()

    def stop(self) -> None:
        for stop in (self.pebble.stop, self.bind.stop, *([self.openbao.stop] if self.openbao else [])):
            stop()


def _secret(name: str, key: str, value: str) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE))
    secret.set_data(key, value.encode())
    return secret


def _acme_issuer(name: str, peers: Peers, solver: dict[str, Any]) -> Issuer:
    config = {
        "server": peers.pebble.directory_url,
        "email": "ops@example.test",
        "caBundle": base64.b64encode(peers.pebble.ca_bundle_path.read_bytes()).decode(),
        "privateKeySecretRef": {"name": f"{name}-account-key"},
        "solvers": [solver],
    }
    return Issuer(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE),
        spec=IssuerSpec(acme=ACMEIssuer.model_validate(config)),
    )


def issuers(peers: Peers) -> list[Resource]:
    """Every issuer of the mix and what it needs (CA Secret via a SelfSigned root, TSIG and Vault
    token Secrets)."""
    rfc2136 = {
        "nameserver": peers.bind.address,
        "tsigKeyName": peers.bind.tsig_key_name,
        "tsigAlgorithm": "HMACSHA256",
        "tsigSecretSecretRef": {"name": "tsig", "key": "secret"},
    }
    objects: list[Resource] = [
        builders.issuer_selfsigned(namespace=NAMESPACE),
        builders.certificate(
            "root",
            NAMESPACE,
            issuer="selfsigned",
            is_ca=True,
            common_name="chaos root",
            secret_name="ca-tls",  # noqa: S106 - a Secret's name
        ),
        builders.issuer_ca(namespace=NAMESPACE),
        _secret("tsig", "secret", peers.bind.tsig_secret),
        _acme_issuer("acme-http01", peers, {"http01": {}}),
        _acme_issuer("acme-dns01", peers, {"dns01": {"rfc2136": rfc2136}}),
    ]
    if peers.openbao is not None:
        objects.append(_secret("vault-token", "token", peers.openbao.root_token))
        auth = VaultAuth(token_secret_ref=SecretKeySelector(name="vault-token", key="token"))
        vault = VaultIssuer(server=peers.openbao.url, path=peers.vault_path, auth=auth)
        objects.append(
            Issuer(metadata=ObjectMeta(name="vault", namespace=NAMESPACE), spec=IssuerSpec(vault=vault))
        )
    return objects


def certificates(count: int, peers: Peers) -> list[Certificate]:
    """count Certificates, the issuers in turn; every NEVER_EVERY-th keeps its key."""
    kinds = [k for k in ISSUER_KINDS if k != "vault" or peers.openbao is not None]
    made = []
    for index in range(count):
        policy = RotationPolicy.NEVER if index % NEVER_EVERY == 0 else RotationPolicy.ALWAYS
        name = f"c{index:04d}"
        made.append(
            builders.certificate(
                name,
                NAMESPACE,
                issuer=kinds[index % len(kinds)],
                dns_names=[f"{name}.{peers.bind.zone}"],
                private_key=CertificatePrivateKey(
                    algorithm=PrivateKeyAlgorithm.ECDSA, size=256, rotation_policy=policy
                ),
            )
        )
    return made


@dataclass
class DaemonProcess:
    """`certpilot run` on a store file with --output-dir, as a child process."""

    store_path: Path
    output_dir: Path
    log_path: Path
    extra: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = None
    _log_offset: int = 0

    def start(self) -> None:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [sys.executable, "-m", "certpilot.cli", "run", "--store", str(self.store_path)]
        command += ["--output-dir", str(self.output_dir), *self.extra]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    async def started(self, limit: float = 60.0) -> None:
        """Until this run of the daemon has synced its informers (its controllers are working)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                if b"informers synced" in log.read():
                    return
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the daemon exited; see {self.log_path}")
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the daemon did not start within {limit} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        if process is not None:
            process.wait()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def daemon_arguments(peers: Peers) -> list[str]:
    return [
        "--metrics-listen", "",
        "--http01-listen", f"127.0.0.1:{peers.http01_port}",
        "--dns01-recursive-nameservers", peers.bind.address,
        "--dns01-check-retry-period", "1",
        # Failures caused by the chaos must be retried within the run, not after cert-manager's hour.
        "--issuance-backoff-initial", "2s",
        "--issuance-backoff-max", "10s",
    ]  # fmt: skip


@dataclass
class Plan:
    certificates: int
    kills: int
    seed: int = 1
    # SIGKILL a random uniform(*pause_s) seconds after the daemon's controllers started.
    pause_s: tuple[float, float] = (0.0, 2.5)
    # Peers restarted at these kill numbers (while the daemon runs).
    peer_restarts: dict[int, str] = field(default_factory=dict)
    # At these kill numbers every Certificate is marked for renewal (as `certpilot renew --all`).
    renew_at: frozenset[int] = frozenset()
    recovery_limit_s: float = 300.0


@dataclass
class Outcome:
    audit: Audit
    kills: int
    peer_restarts: list[str]
    recovery_s: float
    never_keys_seen: dict[str, int]
    seconds: float
    # CertificateRequests created per Certificate over the run (old ones are garbage-collected).
    requests_created_per_certificate: float

    def broken(self) -> list[str]:
        changed = [name for name, n in self.never_keys_seen.items() if n > 1]
        return [*self.audit.broken(), *([f"Never Secrets that changed key: {changed}"] if changed else [])]

    def figures(self) -> dict[str, Any]:
        return {
            **self.audit.figures(),
            "kills": self.kills,
            "peer_restarts": self.peer_restarts,
            "recover_after_last_kill_s": round(self.recovery_s, 2),
            "never_rotation_keys_changed_while_running": sum(
                1 for n in self.never_keys_seen.values() if n > 1
            ),
            "seconds": round(self.seconds, 1),
            "requests_created_per_certificate": round(self.requests_created_per_certificate, 2),
        }


async def renew_all(store: Store, namespace: str = NAMESPACE) -> None:
    """What `certpilot renew --all` does: Issuing=True (ManuallyTriggered) on every Certificate."""
    certs, _ = await store.list(Certificate, namespace)
    for cert in certs:
        if cert.status is None:
            continue
        try:
            await store.update_status(request_renewal(cert, datetime.now(UTC)))
        except (AlreadyIssuing, Conflict, NotFound):
            continue


async def record_never_keys(store: Store, seen: dict[str, set[bytes]], namespace: str = NAMESPACE) -> None:
    """Remember every key a rotationPolicy Never Certificate's Secret has held."""
    certs, _ = await store.list(Certificate, namespace)
    never = {
        c.spec.secret_name
        for c in certs
        if c.spec.private_key and c.spec.private_key.rotation_policy == RotationPolicy.NEVER
    }
    secrets, _ = await store.list(Secret, namespace)
    for secret in secrets:
        key_pem = secret.get_data("tls.key")
        if secret.name in never and key_pem:
            seen.setdefault(secret.name, set()).add(public_key_bytes(parse_private_key(key_pem)))


def requests_created(store_path: Path) -> int:
    """CertificateRequests ever created in the store, from its change log (read-only SQL)."""
    connection = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT COUNT(*) FROM changes WHERE kind = 'CertificateRequest' AND type = 'ADDED'"
        ).fetchone()
    finally:
        connection.close()
    return int(row[0])


async def all_ready(store: SQLiteStore, count: int) -> bool:
    certs, _ = await store.list(Certificate, NAMESPACE)
    return len(certs) == count and all(is_ready(c) for c in certs)


async def run_chaos(
    workdir: Path, peers: Peers, plan: Plan, log: Callable[[str], None] = lambda _: None
) -> Outcome:
    """Create the mix, then kill and restart the daemon plan.kills times; wait until every
    Certificate is Ready again and audit the store and the output files."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    rng = random.Random(plan.seed)
    started = time.monotonic()
    store = SQLiteStore(workdir / "store.db")
    output_dir = workdir / "out"
    daemon = DaemonProcess(workdir / "store.db", output_dir, workdir / "daemon.log", daemon_arguments(peers))
    wanted: list[Resource] = [*issuers(peers), *certificates(plan.certificates, peers)]
    never_keys: dict[str, set[bytes]] = {}
    restarted: list[str] = []
    try:
        for obj in wanted:
            await store.create(obj)
        daemon.start()
        for kill in range(plan.kills):
            await daemon.started()
            await asyncio.sleep(rng.uniform(*plan.pause_s))
            if kill in plan.peer_restarts:
                name = plan.peer_restarts[kill]
                log(f"kill {kill}: restarting {name}")
                await asyncio.to_thread(peers.restart, name)
                restarted.append(name)
            if kill in plan.renew_at:
                log(f"kill {kill}: renewing every Certificate")
                await renew_all(store)
            daemon.kill()
            await record_never_keys(store, never_keys)
            daemon.start()
        last_kill = time.monotonic()
        deadline = last_kill + plan.recovery_limit_s
        while not await all_ready(store, plan.certificates + 1):  # and the CA's root
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        recovery = time.monotonic() - last_kill
        # Files are mirrored after the Secret is written: give the mirror a moment to settle.
        await asyncio.sleep(2)
        await record_never_keys(store, never_keys)
        audit = await audit_store(store, NAMESPACE, output_dir)
        created = await asyncio.to_thread(requests_created, workdir / "store.db")
    finally:
        daemon.stop()
        await store.close()
    keys_seen = {name: len(keys) for name, keys in never_keys.items()}
    per_certificate = created / plan.certificates
    elapsed = time.monotonic() - started
    return Outcome(audit, plan.kills, restarted, recovery, keys_seen, elapsed, per_certificate)
