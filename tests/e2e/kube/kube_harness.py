"""Helpers for the end-to-end tests on the real control plane: `certpilot run --kubeconfig` as a child
process, manifests applied with kubectl, and waits read through a KubernetesStore."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from certpilot.api.certificate import Certificate
from certpilot.api.conditions import get_condition
from certpilot.api.meta import Resource
from certpilot.store.errors import NotFound
from certpilot.store.kubernetes import KubernetesStore

T = TypeVar("T", bound=Resource)

REPO = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 90.0
POLL_SECONDS = 0.05
# Leader election quick enough for tests (cert-manager's defaults are 60 s / 40 s / 15 s).
FAST_LEADER_ELECTION = (
    "--leader-election-lease-duration",
    "4s",
    "--leader-election-renew-deadline",
    "3s",
    "--leader-election-retry-period",
    "1s",
)


class ControlPlane(Protocol):
    kubeconfig: Path

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, user: str | None = None
    ) -> subprocess.CompletedProcess[str]: ...


class KubeDaemon:
    """One replica of `certpilot run --kubeconfig`, logging to its own file."""

    def __init__(self, kubeconfig: Path, log_path: Path, extra: list[str]) -> None:
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> KubeDaemon:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "certpilot.cli",
                    "run",
                    "--kubeconfig",
                    str(self.kubeconfig),
                    "--metrics-listen",
                    "",
                    "--http01-listen",
                    "",
                    "--log-level",
                    "DEBUG",
                    *FAST_LEADER_ELECTION,
                    *self.extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def kill(self) -> None:
        """kill -9: no chance to release the lease or finish anything."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def terminate(self) -> None:
        """SIGTERM, as a rolling update sends: the replica stops and releases its lease."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def leads(self) -> bool:
        return "became leader" in self.log()


def apply(plane: ControlPlane, documents: list[dict[str, Any]] | str) -> None:
    """`kubectl apply -f -`: objects reach the cluster as a user's would, not through certpilot."""
    text = documents if isinstance(documents, str) else yaml.safe_dump_all(documents)
    plane.kubectl("apply", "-f", "-", input=text)


def self_signed_issuer(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": "self", "namespace": namespace},
        "spec": {"selfSigned": {}},
    }


def leaf_certificate(namespace: str, name: str, issuer: str, **spec: Any) -> dict[str, Any]:
    """A Certificate for `<name>.example.test` into Secret `<name>-tls`, from an Issuer."""
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": [f"{name}.example.test"],
            "issuerRef": {"name": issuer},
            **spec,
        },
    }


def kubectl_json(plane: ControlPlane, *args: str) -> Any:
    return json.loads(plane.kubectl(*args, "-o", "json").stdout)


async def get_or_none(store: KubernetesStore, kind: type[T], name: str, namespace: str | None) -> T | None:
    try:
        return await store.get(kind, name, namespace)
    except NotFound:
        return None


async def wait_for(
    store: KubernetesStore,
    kind: type[T],
    name: str,
    namespace: str | None,
    done: Callable[[T], bool],
    within_seconds: float = WAIT_SECONDS,
    daemons: tuple[KubeDaemon, ...] = (),
) -> T:
    """Poll the API server until done(obj) holds (a wait, not a timing assertion)."""
    last: T | None = None
    try:
        async with asyncio.timeout(within_seconds):
            while True:
                last = await get_or_none(store, kind, name, namespace)
                if last is not None and done(last):
                    return last
                await asyncio.sleep(0.1)
    except TimeoutError:
        state = last.model_dump(mode="json", exclude={"spec"}) if last is not None else None
        logs = "\n".join(d.log()[-3000:] for d in daemons)
        raise AssertionError(
            f"{kind.KIND} {namespace}/{name} never got there; last seen: {state}\n{logs}"
        ) from None


async def until(check: Callable[[], Awaitable[bool] | bool], within_seconds: float, what: str) -> None:
    """Poll check() every 50 ms until it holds (a wait, not a timing assertion)."""
    for _ in range(int(within_seconds / POLL_SECONDS)):
        outcome = check()
        if await outcome if isinstance(outcome, Awaitable) else outcome:
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"not within {within_seconds}s: {what}")


async def wait_gone(
    store: KubernetesStore, kind: type[T], name: str, namespace: str | None, within_seconds: float = 30.0
) -> None:
    """Poll until the object is gone (deleted, or collected by the garbage collector)."""

    async def gone() -> bool:
        return await get_or_none(store, kind, name, namespace) is None

    await until(gone, within_seconds, f"{kind.KIND} {namespace}/{name} gone")


def is_ready(cert: Certificate) -> bool:
    found = get_condition(cert.status.conditions if cert.status else None, "Ready")
    return found is not None and found.status == "True"


async def wait_ready(
    store: KubernetesStore,
    name: str,
    namespace: str,
    *daemons: KubeDaemon,
    within_seconds: float = WAIT_SECONDS,
) -> Certificate:
    return await wait_for(store, Certificate, name, namespace, is_ready, within_seconds, daemons)


def split_pem_chain(chain: bytes) -> list[str]:
    blocks = chain.decode().split("-----END CERTIFICATE-----")
    return [b.strip() + "\n-----END CERTIFICATE-----\n" for b in blocks if b.strip()]


def openssl_verify(chain: bytes, root_pem: bytes, directory: Path) -> subprocess.CompletedProcess[str]:
    """`openssl verify` of the chain's leaf against root_pem, intermediates from the rest."""
    certificates = split_pem_chain(chain)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "leaf.pem").write_text(certificates[0])
    (directory / "untrusted.pem").write_text("".join(certificates[1:]) or certificates[0])
    (directory / "root.pem").write_bytes(root_pem)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "untrusted.pem", "leaf.pem"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


# Starts a `certpilot run --kubeconfig` replica with extra flags (conftest `daemons`).
DaemonFactory = Callable[..., KubeDaemon]
