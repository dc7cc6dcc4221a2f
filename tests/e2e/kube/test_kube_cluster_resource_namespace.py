"""A ClusterIssuer's Secrets come from --cluster-resource-namespace only, as cert-manager reads them:
a Secret of the same name in the Certificate's namespace is never used."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.api.core import Secret
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import DaemonFactory, apply, openssl_verify, wait_ready


def ca_secret(name: str, namespace: str, common_name: str) -> tuple[dict[str, Any], bytes]:
    """A CA Secret (kubernetes.io/tls with tls.crt and tls.key) and its certificate's PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"tls.crt": base64.b64encode(pem).decode(), "tls.key": base64.b64encode(key_pem).decode()},
    }
    return secret, pem


async def test_a_cluster_issuer_reads_its_ca_from_the_cluster_resource_namespace(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory, tmp_path: Path
) -> None:
    resources = f"resources-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", resources)
    try:
        real, real_pem = ca_secret("shared-ca", resources, "the real CA")
        decoy, decoy_pem = ca_secret("shared-ca", kube_namespace, "a decoy in the app's namespace")
        issuer_name = f"shared-{uuid.uuid4().hex[:8]}"
        apply(
            cluster,
            [
                real,
                decoy,
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "ClusterIssuer",
                    "metadata": {"name": issuer_name},
                    "spec": {"ca": {"secretName": "shared-ca"}},
                },
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "Certificate",
                    "metadata": {"name": "app", "namespace": kube_namespace},
                    "spec": {
                        "secretName": "app-tls",
                        "dnsNames": ["app.example.test"],
                        "privateKey": {"algorithm": "ECDSA"},
                        "issuerRef": {"name": issuer_name, "kind": "ClusterIssuer"},
                    },
                },
            ],
        )
        election = ("--leader-election-namespace", kube_namespace)
        daemon = daemons("--cluster-resource-namespace", resources, *election)
        await wait_ready(kube_store, "app", kube_namespace, daemon)

        issued = await kube_store.get(Secret, "app-tls", kube_namespace)
        chain = issued.get_data("tls.crt")
        assert chain and issued.get_data("ca.crt") == real_pem
        assert openssl_verify(chain, real_pem, tmp_path / "real").returncode == 0
        assert openssl_verify(chain, decoy_pem, tmp_path / "decoy").returncode != 0
    finally:
        cluster.kubectl("delete", "namespace", resources, "--wait=false")
