"""ACME DNS-01 on the real API server: an Issuer and a wildcard Certificate created with kubectl,
solved through RFC2136 updates to a real BIND, issued by a real pebble resolving at that BIND."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.acme import Order
from certpilot.api.core import Secret
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.kube.kube_harness import DaemonFactory, apply, openssl_verify, wait_ready

pytestmark = pytest.mark.skipif(
    any(shutil.which(b) is None for b in ("pebble", "named", "openssl")),
    reason="needs pebble, named and openssl: apt-get install pebble bind9 openssl",
)


def acme_objects(namespace: str, bind: BindServer, pebble: PebbleServer) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tsig", "namespace": namespace},
            "stringData": {"secret": bind.tsig_secret},
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": {"name": "acme", "namespace": namespace},
            "spec": {
                "acme": {
                    "server": pebble.directory_url,
                    "email": "ops@example.test",
                    "caBundle": base64.b64encode(pebble.ca_bundle_path.read_bytes()).decode(),
                    "privateKeySecretRef": {"name": "acme-account-key"},
                    "solvers": [
                        {
                            "dns01": {
                                "rfc2136": {
                                    "nameserver": bind.address,
                                    "tsigKeyName": bind.tsig_key_name,
                                    "tsigAlgorithm": "HMACSHA256",
                                    "tsigSecretSecretRef": {"name": "tsig", "key": "secret"},
                                }
                            }
                        }
                    ],
                }
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "site", "namespace": namespace},
            "spec": {
                "secretName": "site-tls",
                "dnsNames": [f"{namespace}.example.test", f"*.{namespace}.example.test"],
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"name": "acme"},
            },
        },
    ]


async def test_a_wildcard_certificate_is_issued_over_dns01_rfc2136(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    bind: BindServer,
    pebble: PebbleServer,
    tmp_path: Path,
) -> None:
    apply(cluster, acme_objects(kube_namespace, bind, pebble))
    daemon = daemons(
        "--namespace",
        kube_namespace,
        "--dns01-recursive-nameservers",
        bind.address,
        "--dns01-recursive-nameservers-only",
        "--dns01-check-retry-period",
        "0.5",
    )
    await wait_ready(kube_store, "site", kube_namespace, daemon, within_seconds=120)

    secret = await kube_store.get(Secret, "site-tls", kube_namespace)
    chain = secret.get_data("tls.crt")
    assert chain
    verified = openssl_verify(chain, pebble.fetch_root().encode(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    orders, _ = await kube_store.list(Order, namespace=kube_namespace)
    assert len(orders) == 1, "one CertificateRequest got more than one Order"
    account = await kube_store.get(Secret, "acme-account-key", kube_namespace)
    assert account.get_data("tls.key"), "the ACME account key was not stored in its Secret"
