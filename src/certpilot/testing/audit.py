"""The guarantees a store must keep whatever happened to the daemon, counted: every Certificate
Ready, every Secret's key matching its certificate (in the store and in the mirrored files), one
Order per CertificateRequest, no Challenge without its Order, and a rotationPolicy Never
Certificate keeping one key across all its revisions. Used by the chaos test and bench/chaos.py."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from certpilot.api import annotations as ann
from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.enums import RotationPolicy
from certpilot.pki.csr import csr_from_pem
from certpilot.pki.errors import InvalidCSRError
from certpilot.pki.keys import parse_private_key, public_key_bytes, supported_public_key
from certpilot.store.protocol import Store

# The Audit fields that list what broke a guarantee.
_GUARANTEES = (
    "not_ready",
    "secret_mismatches",
    "file_mismatches",
    "duplicate_orders",
    "orphaned_challenges",
    "never_rotation_key_changes",
)


@dataclass
class Audit:
    """What a finished run left in the store; every count but the totals must be 0."""

    certificates: int = 0
    not_ready: list[str] = field(default_factory=list)
    secret_mismatches: list[str] = field(default_factory=list)
    file_mismatches: list[str] = field(default_factory=list)
    duplicate_orders: list[str] = field(default_factory=list)
    orphaned_challenges: list[str] = field(default_factory=list)
    never_rotation_key_changes: list[str] = field(default_factory=list)
    requests_per_certificate_max: int = 0
    requests_per_certificate_mean: float = 0.0

    def broken(self) -> list[str]:
        """One line per broken guarantee (empty when all held)."""
        return [f"{name}: {getattr(self, name)[:10]}" for name in _GUARANTEES if getattr(self, name)]

    def figures(self) -> dict[str, Any]:
        counted = {k: len(v) if isinstance(v, list) else v for k, v in asdict(self).items()}
        counted["certificates_lost"] = counted.pop("not_ready")
        return counted


def is_ready(cert: Certificate) -> bool:
    status = cert.status
    ready = get_condition(status.conditions if status else None, "Ready")
    issuing = get_condition(status.conditions if status else None, "Issuing")
    return ready is not None and ready.status == "True" and (issuing is None or issuing.status != "True")


def key_pair_mismatch(chain_pem: bytes, key_pem: bytes) -> str | None:
    """Why the leaf of chain_pem and key_pem are not a pair (None when they are)."""
    if not chain_pem or not key_pem:
        return "tls.crt or tls.key is empty"
    try:
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
        key = parse_private_key(key_pem)
    except ValueError as error:
        return f"unreadable: {error}"
    leaf_key = supported_public_key(leaf.public_key())
    return None if public_key_bytes(leaf_key) == public_key_bytes(key) else "the key is not the certificate's"


def file_mismatch(folder: Path) -> str | None:
    if not folder.is_dir():
        return "no mirrored files"
    chain, key = folder / "tls.crt", folder / "tls.key"
    if not chain.exists() or not key.exists():
        return "tls.crt or tls.key missing"
    return key_pair_mismatch(chain.read_bytes(), key.read_bytes())


def request_public_key(request: CertificateRequest) -> bytes | None:
    try:
        csr = csr_from_pem(base64.b64decode(request.spec.request))
    except InvalidCSRError:
        return None
    return public_key_bytes(supported_public_key(csr.public_key()))


async def audit_store(store: Store, namespace: str, output_dir: Path | None = None) -> Audit:
    audit = Audit()
    certificates, _ = await store.list(Certificate, namespace)
    secrets = {s.name: s for s in (await store.list(Secret, namespace))[0]}
    requests, _ = await store.list(CertificateRequest, namespace)
    orders, _ = await store.list(Order, namespace)
    challenges, _ = await store.list(Challenge, namespace)
    audit.certificates = len(certificates)

    requests_of: dict[str, list[CertificateRequest]] = {}
    for request in requests:
        owner = (request.metadata.annotations or {}).get(ann.CERTIFICATE_NAME, "")
        requests_of.setdefault(owner, []).append(request)
    for cert in certificates:
        name = f"{namespace}/{cert.name}"
        if not is_ready(cert):
            audit.not_ready.append(name)
        secret = secrets.get(cert.spec.secret_name)
        if secret is not None and (
            why := key_pair_mismatch(secret.get_data("tls.crt") or b"", secret.get_data("tls.key") or b"")
        ):
            audit.secret_mismatches.append(f"{name}: {why}")
        if output_dir is not None and (why := file_mismatch(output_dir / namespace / cert.spec.secret_name)):
            audit.file_mismatches.append(f"{name}: {why}")
        policy = cert.spec.private_key.rotation_policy if cert.spec.private_key else None
        if policy == RotationPolicy.NEVER:
            keys = {request_public_key(r) for r in requests_of.get(cert.name, [])}
            if secret is not None and (key_pem := secret.get_data("tls.key")):
                keys.add(public_key_bytes(parse_private_key(key_pem)))
            if len(keys) > 1:
                audit.never_rotation_key_changes.append(f"{name}: {len(keys)} keys")
    counts = [len(requests_of.get(c.name, [])) for c in certificates]
    audit.requests_per_certificate_max = max(counts, default=0)
    audit.requests_per_certificate_mean = round(sum(counts) / len(counts), 2) if counts else 0.0

    orders_per_request = Counter(ref.uid for o in orders for ref in o.metadata.owner_references or [])
    audit.duplicate_orders = [uid for uid, n in orders_per_request.items() if n > 1]
    order_uids = {o.metadata.uid for o in orders}
    for challenge in challenges:
        owners = {ref.uid for ref in challenge.metadata.owner_references or []}
        if not owners & order_uids:
            audit.orphaned_challenges.append(f"{namespace}/{challenge.name}")
    return audit
