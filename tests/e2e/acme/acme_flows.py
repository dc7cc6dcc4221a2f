"""Order flows the e2e tests share: what the order and challenge controllers will do, step by step
(the client is blocking, so it runs in a thread while the solver answers on the event loop)."""

from __future__ import annotations

import asyncio
import ipaddress
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from acme import crypto_util, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.acme.client import AcmeClient

POLL_INTERVAL = 0.05
POLL_DEADLINE = 60.0

Present = Callable[[messages.ChallengeBody, messages.AuthorizationResource], None]


def new_csr(dns_names: Sequence[str] = (), ip_addresses: Sequence[str] = ()) -> bytes:
    key_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return crypto_util.make_csr(
        key_pem, list(dns_names) or None, ipaddrs=[ipaddress.ip_address(ip) for ip in ip_addresses] or None
    )


async def wait_while(
    client: AcmeClient, order: messages.OrderResource, states: Sequence[str]
) -> messages.OrderResource:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + POLL_DEADLINE
    while order.body.status.name in states:
        if loop.time() > deadline:
            raise AssertionError(f"order still {order.body.status.name} after {POLL_DEADLINE}s")
        await asyncio.sleep(POLL_INTERVAL)
        order = await asyncio.to_thread(client.poll_order_once, order)
    return order


async def authorize(
    client: AcmeClient, order: messages.OrderResource, challenge_type: str, present: Present
) -> messages.OrderResource:
    """Present and accept `challenge_type` for every pending authorization, then wait until the
    order leaves "pending"."""
    for url in order.body.authorizations:
        authz = await asyncio.to_thread(client.get_authorization, url)
        if authz.body.status.name != "pending":
            continue
        challenge = next(c for c in authz.body.challenges if c.chall.typ == challenge_type)
        present(challenge, authz)
        await asyncio.to_thread(client.answer_challenge, challenge)
    return await wait_while(client, order, ("pending",))


async def issue(
    client: AcmeClient,
    csr_pem: bytes,
    challenge_type: str,
    present: Present,
    preferred_chain: str | None = None,
) -> str:
    order = await asyncio.to_thread(client.new_order, csr_pem)
    order = await authorize(client, order, challenge_type, present)
    assert order.body.status.name == "ready", order.body
    order = await asyncio.to_thread(client.finalize, order, csr_pem)
    order = await wait_while(client, order, ("processing", "ready"))
    assert order.body.status.name == "valid", order.body
    return await asyncio.to_thread(client.fetch_certificate, order, preferred_chain)


def openssl_verify(directory: Path, fullchain_pem: str, root_pem: str) -> subprocess.CompletedProcess[str]:
    """`openssl verify` of the leaf against `root_pem`, with the rest of the chain as untrusted."""
    certificates = x509.load_pem_x509_certificates(fullchain_pem.encode())
    leaf = directory / "leaf.pem"
    untrusted = directory / "untrusted.pem"
    root = directory / "root.pem"
    leaf.write_bytes(certificates[0].public_bytes(serialization.Encoding.PEM))
    untrusted.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates[1:]))
    root.write_text(root_pem)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", str(root), "-untrusted", str(untrusted), str(leaf)],
        capture_output=True,
        text=True,
        check=False,
    )


def subject_alt_names(fullchain_pem: str) -> list[str]:
    leaf = x509.load_pem_x509_certificates(fullchain_pem.encode())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in names]
