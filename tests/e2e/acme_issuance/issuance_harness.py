"""Helpers shared by the tests in this folder (fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.issuer import Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta, Resource
from certpilot.controllers.options import ControllerOptions
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing import builders
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer

NAMESPACE = "default"


TSIG_SECRET_NAME = "tsig"


EAB_KEY_ID = "kid-1"


EAB_HMAC_KEY = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


WAIT_SECONDS = 60.0


T = TypeVar("T", bound=Resource)


def start_pebble(
    directory: Path, bind: BindServer, http01_port: int, tlsalpn01_port: int, **options: Any
) -> PebbleServer:
    return PebbleServer(
        directory, dns_server=bind.address, http_port=http01_port, tls_port=tlsalpn01_port, **options
    ).start()


@dataclass
class Daemon:
    """The certpilot daemon in-process, and helpers to drive and observe it through its store."""

    store: SQLiteStore
    options: ControllerOptions
    bind: BindServer

    async def create(self, obj: T) -> T:
        return await self.store.create(obj)

    async def get(self, kind: type[T], name: str, namespace: str | None = NAMESPACE) -> T | None:
        try:
            return await self.store.get(kind, name, namespace)
        except NotFound:
            return None

    async def wait_for(
        self,
        kind: type[T],
        name: str,
        done: Callable[[T], bool],
        namespace: str | None = NAMESPACE,
        within_seconds: float = WAIT_SECONDS,
    ) -> T:
        """Poll the store until done(obj) holds (a wait, not a timing assertion)."""
        last: T | None = None
        try:
            async with asyncio.timeout(within_seconds):
                while True:
                    last = await self.get(kind, name, namespace)
                    if last is not None and done(last):
                        return last
                    await asyncio.sleep(0.05)
        except TimeoutError:
            state = last.model_dump(mode="json", exclude={"spec"}) if last is not None else None
            raise AssertionError(f"{kind.KIND} {name} never got there; last seen: {state}") from None

    async def wait_gone(self, kind: type[T], name: str, namespace: str | None = NAMESPACE) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                if await self.get(kind, name, namespace) is None:
                    return
                await asyncio.sleep(0.05)

    async def wait_ready(self, name: str, within_seconds: float = WAIT_SECONDS) -> Certificate:
        return await self.wait_for(
            Certificate, name, condition_is("Ready", "True"), within_seconds=within_seconds
        )


def condition_is(type_: str, status: str, reason: str | None = None) -> Callable[[Any], bool]:
    def check(obj: Any) -> bool:
        found = get_condition(obj.status.conditions if obj.status else None, type_)
        return found is not None and found.status == status and (reason is None or found.reason == reason)

    return check


def daemon_options(
    bind: BindServer, http01_port: int, tlsalpn01_port: int, **overrides: Any
) -> ControllerOptions:
    fields: dict[str, Any] = {
        "cluster_resource_namespace": NAMESPACE,
        "http01_listen": (f"127.0.0.1:{http01_port}",),
        "tlsalpn01_listen": (),
        "dns01_recursive_nameservers": (bind.address,),
        "dns01_check_retry_period": timedelta(seconds=0.5),
    }
    fields.update(overrides)
    return ControllerOptions(**fields)


def tsig_secret(bind: BindServer) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=TSIG_SECRET_NAME, namespace=NAMESPACE))
    secret.set_data("secret", bind.tsig_secret.encode())
    return secret


def eab_secret(hmac_key: str, name: str = "eab") -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE))
    secret.set_data("secret", hmac_key.encode())
    return secret


def http01_solver() -> dict[str, Any]:
    return {"http01": {}}


def rfc2136_solver(bind: BindServer, **selector: Any) -> dict[str, Any]:
    solver: dict[str, Any] = {
        "dns01": {
            "rfc2136": {
                "nameserver": bind.address,
                "tsigKeyName": bind.tsig_key_name,
                "tsigAlgorithm": "HMACSHA256",
                "tsigSecretSecretRef": {"name": TSIG_SECRET_NAME, "key": "secret"},
            }
        }
    }
    if selector:
        solver["selector"] = selector
    return solver


def acme_issuer(
    pebble: PebbleServer,
    name: str = "acme",
    solvers: list[dict[str, Any]] | None = None,
    **acme_fields: Any,
) -> Issuer:
    config: dict[str, Any] = {
        "server": pebble.directory_url,
        "email": "ops@example.test",
        "caBundle": base64.b64encode(pebble.ca_bundle_path.read_bytes()).decode(),
        "privateKeySecretRef": {"name": f"{name}-account-key"},
        "solvers": solvers if solvers is not None else [http01_solver()],
        **acme_fields,
    }
    return Issuer(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE),
        spec=IssuerSpec(acme=ACMEIssuer.model_validate(config)),
    )


def certificate(name: str, dns_names: list[str], issuer: str = "acme", **spec: Any) -> Certificate:
    """A Certificate with a fast P-256 key."""
    return builders.certificate(
        name,
        NAMESPACE,
        issuer=issuer,
        dns_names=dns_names,
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256),
        **spec,
    )


def chain_of(daemon_secret: Secret) -> bytes:
    chain = daemon_secret.get_data("tls.crt")
    assert chain, "the Secret has no tls.crt"
    return chain


def openssl_verify(chain_pem: bytes, root_pem: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """`openssl verify` of the leaf against `root_pem`, intermediates from the rest of the chain."""
    blocks = chain_pem.decode().split("-----END CERTIFICATE-----")
    certificates = [b.strip() + "\n-----END CERTIFICATE-----\n" for b in blocks if b.strip()]
    (directory / "leaf.pem").write_text(certificates[0])
    (directory / "untrusted.pem").write_text("".join(certificates[1:]) or certificates[0])
    (directory / "root.pem").write_text(root_pem)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "untrusted.pem", "leaf.pem"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
