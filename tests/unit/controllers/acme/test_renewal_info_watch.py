"""The renewal-info controller queues a Certificate for its Secret's changes only when an ACME
issuer signs for it: for any other issuer its reconcile returns at once, and each issuance changes
the Secret three times. Runs the whole daemon's controllers in-process on a real SQLite store; the
ACME issuer's server is unreachable (nothing here needs it to answer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.issuer import Issuer
from certpilot.controllers.all_controllers import build_all
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_selfsigned, secret_tls
from tests.unit.runtime.runtime_builders import eventually

pytestmark = pytest.mark.timeout(60)


def acme_issuer() -> Issuer:
    return Issuer.model_validate(
        {
            "metadata": {"name": "acme", "namespace": "default"},
            "spec": {
                "acme": {
                    "server": "https://127.0.0.1:1/directory",
                    "privateKeySecretRef": {"name": "acme-account"},
                    "solvers": [{"http01": {"ingress": {}}}],
                }
            },
        }
    )


async def test_only_the_secrets_of_acme_issued_certificates_queue_a_renewal_info_check(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    manager = Manager(store, listen=None)
    reconcilers = [manager.add(factory) for factory in build_all(ControllerOptions())]
    (renewal_info,) = [r for r in reconcilers if r.spec.name == "acme-renewal-info"]
    (secret_watch,) = renewal_info.spec.watches
    await manager.start()
    try:
        await store.create(issuer_selfsigned())
        await store.create(acme_issuer())
        await store.create(certificate("self", issuer="selfsigned", secret_name="self-tls"))
        await store.create(certificate("web", issuer="acme", secret_name="web-tls"))
        await eventually(
            lambda: (
                all(manager.cache.get(Certificate, n, "default") for n in ("self", "web"))
                and manager.cache.get(Issuer, "acme", "default") is not None
            ),
            "the Certificates and issuers in the cache",
        )
        assert list(secret_watch.to_keys(secret_tls("web-tls"))) == [ObjectKey("default", "web")]
        assert list(secret_watch.to_keys(secret_tls("self-tls"))) == []
        assert list(secret_watch.to_keys(secret_tls("nobody-tls"))) == []
    finally:
        await manager.stop()
