"""certpilot replaces cert-manager in place: on a cluster that has cert-manager v1.21.1's own CRDs
(not certpilot's) and a Certificate cert-manager already issued, certpilot starts without
`certpilot install`, leaves the issued Certificate and its Secret alone, and issues new ones.

The issued Certificate is made here as cert-manager leaves one (the Secret's annotations and label,
the Certificate's status): no cert-manager controller can run on this machine to make it."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import TLS_SECRET_TYPE, Secret
from certpilot.api.meta import Condition, ObjectMeta
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.kube import KubeControlPlane, kube_assets
from tests.e2e.kube.kube_harness import REPO, KubeDaemon, apply, self_signed_issuer, wait_ready

REFERENCE_CRDS = REPO.parent / "shared" / "reference" / "cert-manager-v1.21.1-crds"
NAMESPACE = "apps"


@pytest.fixture(scope="module")
def cert_manager_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeControlPlane]:
    """A control plane of its own, with cert-manager's CRDs instead of certpilot's."""
    assets = kube_assets()
    if assets is None or not REFERENCE_CRDS.is_dir():
        reason = f"needs KUBEBUILDER_ASSETS and {REFERENCE_CRDS}"
        if os.environ.get("CERTPILOT_REQUIRE_KUBE"):
            pytest.fail(reason)
        pytest.skip(reason)
    with KubeControlPlane(tmp_path_factory.mktemp("cert-manager-cluster"), assets) as plane:
        plane.kubectl("apply", "--server-side", "-f", str(REFERENCE_CRDS))
        plane.kubectl("wait", "--for=condition=Established", "crd", "--all")
        plane.kubectl("create", "namespace", NAMESPACE)
        yield plane


def issued_by_cert_manager(name: str) -> tuple[dict[str, Any], Secret, CertificateStatus]:
    """A Certificate, its Secret and its status as cert-manager's controllers leave them after a
    SelfSigned issuance (revision 1): the key PKCS#1-encoded (SEC1 for ECDSA), cert-manager's default."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC).replace(microsecond=0)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.example.test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{name}.example.test")]), critical=False)
        .add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    spec = {
        "secretName": f"{name}-tls",
        "commonName": f"{name}.example.test",
        "dnsNames": [f"{name}.example.test"],
        "privateKey": {"algorithm": "ECDSA", "size": 256},
        "issuerRef": {"name": "self", "kind": "Issuer", "group": "cert-manager.io"},
    }
    manifest = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }
    secret = Secret(
        metadata=ObjectMeta(
            name=f"{name}-tls",
            namespace=NAMESPACE,
            labels={"controller.cert-manager.io/fao": "true"},
            annotations={
                "cert-manager.io/certificate-name": name,
                "cert-manager.io/issuer-name": "self",
                "cert-manager.io/issuer-kind": "Issuer",
                "cert-manager.io/issuer-group": "cert-manager.io",
                "cert-manager.io/common-name": f"{name}.example.test",
                "cert-manager.io/alt-names": f"{name}.example.test",
                "cert-manager.io/ip-sans": "",
                "cert-manager.io/uri-sans": "",
            },
        ),
        type=TLS_SECRET_TYPE,
        data={
            "tls.crt": base64.b64encode(pem).decode(),
            "tls.key": base64.b64encode(key_pem).decode(),
            "ca.crt": base64.b64encode(pem).decode(),
        },
    )
    status = CertificateStatus(
        revision=1,
        not_before=now,
        not_after=now + timedelta(days=90),
        renewal_time=now + timedelta(days=60),
        conditions=[
            Condition(
                type="Ready",
                status="True",
                reason="Ready",
                message="Certificate is up to date and has not expired",
                last_transition_time=now,
                observed_generation=1,
            )
        ],
    )
    return manifest, secret, status


async def test_certpilot_takes_over_a_cert_manager_cluster_without_reissuing(
    cert_manager_cluster: KubeControlPlane, tmp_path: Path
) -> None:
    store = KubernetesStore(load_connection(cert_manager_cluster.kubeconfig))
    daemon = KubeDaemon(cert_manager_cluster.kubeconfig, tmp_path / "certpilot.log", [])
    try:
        manifest, secret, status = issued_by_cert_manager("kept")
        apply(cert_manager_cluster, [self_signed_issuer(NAMESPACE), manifest])
        stored_secret = await store.create(secret)
        kept = await store.get(Certificate, "kept", NAMESPACE)
        kept.status = status
        await store.update_status(kept)
        fresh = {**manifest, "metadata": {"name": "fresh", "namespace": NAMESPACE}}
        fresh["spec"] = {**manifest["spec"], "secretName": "fresh-tls", "dnsNames": ["fresh.example.test"]}
        fresh["spec"].pop("commonName")
        apply(cert_manager_cluster, [fresh])

        daemon.start()
        await wait_ready(store, "fresh", NAMESPACE, daemon)
        await wait_ready(store, "kept", NAMESPACE, daemon)
        requests, _ = await store.list(CertificateRequest, namespace=NAMESPACE)
        assert [r.name for r in requests] == ["fresh-1"], (
            "the Certificate cert-manager issued was issued again"
        )
        unchanged = await store.get(Secret, "kept-tls", NAMESPACE)
        assert unchanged.data == stored_secret.data
        assert (await store.get(Certificate, "kept", NAMESPACE)).status.revision == 1  # type: ignore[union-attr]
    finally:
        daemon.stop()
        await store.close()
