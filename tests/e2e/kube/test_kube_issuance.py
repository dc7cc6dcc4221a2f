"""certpilot on a real kube-apiserver + etcd + kube-controller-manager: objects created with kubectl,
certificates issued by `certpilot run --kubeconfig`, chains checked with openssl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from certpilot.api.annotations import PART_OF_LABEL
from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import TLS_SECRET_TYPE, Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates.conditions import with_status
from certpilot.pki.keys import encode_private_key
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.builders import certificate, ec_key, issued_secret
from tests.e2e.kube.kube_harness import (
    REPO,
    WAIT_SECONDS,
    DaemonFactory,
    apply,
    kubectl_json,
    leaf_certificate,
    openssl_verify,
    self_signed_issuer,
    wait_for,
    wait_gone,
    wait_ready,
)

QUICKSTART = REPO / "examples" / "quickstart"


def quickstart_in(namespace: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(QUICKSTART.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                document["metadata"]["namespace"] = namespace
                documents.append(document)
    return documents


def names_of(documents: list[dict[str, Any]], kind: str) -> list[str]:
    return [d["metadata"]["name"] for d in documents if d["kind"] == kind]


async def test_a_private_ca_and_its_leaves_are_issued_on_the_cluster(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory, tmp_path: Path
) -> None:
    documents = quickstart_in(kube_namespace)
    apply(cluster, documents)
    daemon = daemons()

    certificates = names_of(documents, "Certificate")
    ready = {name: await wait_ready(kube_store, name, kube_namespace, daemon) for name in certificates}
    root = await kube_store.get(Secret, "quickstart-ca", kube_namespace)
    root_pem = root.get_data("tls.crt")
    assert root_pem
    for name, cert in ready.items():
        secret = await kube_store.get(Secret, cert.spec.secret_name, kube_namespace)
        assert secret.type == TLS_SECRET_TYPE
        chain = secret.get_data("tls.crt")
        assert chain and secret.get_data("tls.key") and secret.get_data("ca.crt") == root_pem
        verified = openssl_verify(chain, root_pem, tmp_path / name)
        assert verified.returncode == 0, verified.stderr
    keystore = await kube_store.get(Secret, "java-app-tls", kube_namespace)
    assert keystore.get_data("keystore.p12"), "the PKCS#12 keystore was not written"
    events = kubectl_json(cluster, "get", "events", "-n", kube_namespace)["items"]
    assert {"Issuing", "Issued"} <= {e["reason"] for e in events}, "real Events were not recorded"


async def test_a_short_lived_certificate_renews_and_a_spec_change_reissues(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "Issuer"}
    apply(
        cluster,
        [{**issuer, "metadata": {"name": "self", "namespace": kube_namespace}, "spec": {"selfSigned": {}}}],
    )
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "brief", "namespace": kube_namespace},
        "spec": {
            "secretName": "brief-tls",
            "dnsNames": ["brief.example.test"],
            "duration": "1h",
            # Renewal is due 3 s after issuance.
            "renewBefore": "59m57s",
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": "self"},
        },
    }
    apply(cluster, [certificate])
    daemon = daemons("--namespace", kube_namespace)

    first = await wait_ready(kube_store, "brief", kube_namespace, daemon)
    renewed = await wait_for(
        kube_store,
        Certificate,
        "brief",
        kube_namespace,
        lambda c: c.status is not None and (c.status.revision or 0) > (first.status.revision or 0),  # type: ignore[union-attr]
        daemons=(daemon,),
    )
    assert renewed.status is not None and renewed.status.not_before != first.status.not_before  # type: ignore[union-attr]

    certificate["spec"] = {**certificate["spec"], "dnsNames": ["changed.example.test"], "renewBefore": "30m"}
    apply(cluster, [certificate])
    changed = await wait_for(
        kube_store,
        Secret,
        "brief-tls",
        kube_namespace,
        lambda s: b"changed.example.test" in _san_text(s),
        daemons=(daemon,),
    )
    assert changed.get_data("tls.key")


def _san_text(secret: Secret) -> bytes:
    from cryptography import x509

    pem = secret.get_data("tls.crt")
    if not pem:
        return b""
    sans = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ",".join(sans.value.get_values_for_type(x509.DNSName)).encode()


async def test_with_owner_references_deleting_a_certificate_collects_its_secret(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    apply(
        cluster,
        [
            self_signed_issuer(kube_namespace),
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": "owned", "namespace": kube_namespace},
                "spec": {
                    "secretName": "owned-tls",
                    "dnsNames": ["owned.example.test"],
                    "privateKey": {"algorithm": "ECDSA"},
                    "issuerRef": {"name": "self"},
                },
            },
        ],
    )
    daemon = daemons("--namespace", kube_namespace, "--enable-certificate-owner-ref")
    await wait_ready(kube_store, "owned", kube_namespace, daemon)
    secret = await kube_store.get(Secret, "owned-tls", kube_namespace)
    [owner] = secret.metadata.owner_references or []
    assert (owner.kind, owner.name, owner.controller, owner.block_owner_deletion) == (
        "Certificate",
        "owned",
        True,
        True,
    )

    cluster.kubectl("delete", "certificate", "owned", "-n", kube_namespace)
    await wait_gone(kube_store, Secret, "owned-tls", kube_namespace)


async def test_a_secret_a_user_made_first_is_filled_in_and_labelled(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    """The daemon caches only Secrets labelled as its own: one a user made ahead of the Certificate
    (annotated for a replicator) is read from the API server, filled in with one issuance, keeps
    its annotation and gets the label."""
    apply(
        cluster,
        [
            self_signed_issuer(kube_namespace),
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "early-tls",
                    "namespace": kube_namespace,
                    "annotations": {"replicator.example/replicate": "true"},
                },
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "", "tls.key": ""},
            },
            leaf_certificate(kube_namespace, "early", "self", privateKey={"algorithm": "ECDSA"}),
        ],
    )
    daemon = daemons("--namespace", kube_namespace)
    await wait_ready(kube_store, "early", kube_namespace, daemon)
    secret = await kube_store.get(Secret, "early-tls", kube_namespace)
    assert secret.get_data("tls.crt") and secret.get_data("tls.key")
    assert (secret.metadata.annotations or {}).get("replicator.example/replicate") == "true"
    assert (secret.metadata.labels or {}).get(PART_OF_LABEL) == "true"
    requests, _ = await kube_store.list(CertificateRequest, namespace=kube_namespace)
    assert [r.name for r in requests] == ["early-1"]


async def test_a_valid_secret_issued_before_the_label_is_labelled_not_issued_again(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    """Taking over from a cert-manager older than the label: a Certificate issued once (its status
    says) whose valid Secret lacks the label, so is outside the daemon's cache. The Secret is kept
    and labelled, nothing is issued."""
    cert = certificate(
        "kept",
        kube_namespace,
        issuer="self",
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256),
    )
    key = ec_key()
    apply(cluster, [self_signed_issuer(kube_namespace)])
    await kube_store.create(issued_secret(cert, key))
    created = await kube_store.create(cert)
    await kube_store.update_status(with_status(created, CertificateStatus(revision=1)))
    daemon = daemons("--namespace", kube_namespace)
    await wait_ready(kube_store, "kept", kube_namespace, daemon)
    secret = await wait_for(
        kube_store,
        Secret,
        cert.spec.secret_name,
        kube_namespace,
        lambda s: (s.metadata.labels or {}).get(PART_OF_LABEL) == "true",
        WAIT_SECONDS,
        (daemon,),
    )
    assert secret.get_data("tls.key") == encode_private_key(key)
    requests, _ = await kube_store.list(CertificateRequest, namespace=kube_namespace)
    assert requests == []


async def test_kill_9_mid_issuance_duplicates_no_request_and_everything_ends_ready(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    count = 12
    documents: list[dict[str, Any]] = [self_signed_issuer(kube_namespace)]
    for i in range(count):
        documents.append(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": f"c{i}", "namespace": kube_namespace},
                "spec": {
                    "secretName": f"c{i}-tls",
                    "dnsNames": [f"c{i}.example.test"],
                    "privateKey": {"algorithm": "RSA", "size": 2048},
                    "issuerRef": {"name": "self"},
                },
            }
        )
    apply(cluster, documents)
    first = daemons("--namespace", kube_namespace)
    # Kill once some work is under way: a request exists, not everything is done.
    await wait_for(kube_store, CertificateRequest, "c0-1", kube_namespace, lambda _: True, daemons=(first,))
    first.kill()
    second = daemons("--namespace", kube_namespace)

    for i in range(count):
        await wait_ready(kube_store, f"c{i}", kube_namespace, second)
    requests, _ = await kube_store.list(CertificateRequest, namespace=kube_namespace)
    assert sorted(r.name for r in requests) == sorted(f"c{i}-1" for i in range(count)), (
        "a Certificate got more than one request"
    )
    for i in range(count):
        secret = await kube_store.get(Secret, f"c{i}-tls", kube_namespace)
        assert secret.get_data("tls.key") and secret.get_data("tls.crt")
