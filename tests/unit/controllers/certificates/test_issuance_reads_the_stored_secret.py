"""Issuance decides on the Secret as stored, not only as the cache holds it.

The trigger: each kind has its own informer, so for a moment after an issuance the cache can hold
the Certificate's new status but not yet the Secret written just before it (missing, or its
previous version). Deciding on that cache alone started a second issuance of 4 in 1,000
Certificates in bench/ca_issuance.py. That lag lasts microseconds and cannot be produced on demand,
so `SecretNotYetSeen` stands in for it: the real informer cache, except for one Secret it shows as
it was before. Everything else is real: the SQLite store, the controllers and the issuer.

The issuing controller: a cache that holds only certpilot's labelled Secrets (Kubernetes) does not
hold a user's Secret made ahead of the Certificate; the issuance fills that Secret in.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509

from certpilot.api.annotations import PART_OF_LABEL
from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import ISSUING, get_condition
from certpilot.api.core import Event, Secret
from certpilot.api.enums import PrivateKeyAlgorithm, RotationPolicy
from certpilot.api.meta import Resource
from certpilot.controllers.certificates.conditions import with_status
from certpilot.controllers.certificates.trigger.trigger import TriggerController
from certpilot.controllers.kubernetes_daemon import MANAGED_SECRETS_SELECTOR
from certpilot.controllers.options import ControllerOptions
from certpilot.pki.keys import encode_private_key
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.audit import is_ready
from certpilot.testing.builders import certificate, ec_key, issued_secret, issuer_selfsigned, secret_tls
from tests.unit.controllers.running_controllers import controllers_running
from tests.unit.runtime.runtime_builders import eventually

T = TypeVar("T", bound=Resource)
P256 = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
pytestmark = pytest.mark.timeout(60)


class SecretNotYetSeen:
    """A cache that shows one Secret as `seen` (None: not there at all) and the rest as they are."""

    def __init__(self, cache: CacheReader, name: str, seen: Secret | None) -> None:
        self._cache, self._name, self._seen = cache, name, seen

    def get(self, kind: type[T], name: str, namespace: str | None = None) -> T | None:
        if kind is Secret and name == self._name:
            return self._seen  # type: ignore[return-value]
        return self._cache.get(kind, name, namespace)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._cache, attribute)


def daemon_on(
    store: SQLiteStore, *, labelled_secrets_only: bool = False
) -> AbstractAsyncContextManager[Manager]:
    """Every controller on `store`; with labelled_secrets_only, Secrets are cached as on
    Kubernetes (only those labelled as certpilot's), through the SQLite store's own watch."""
    selectors = {Secret: MANAGED_SECRETS_SELECTOR} if labelled_secrets_only else None
    return controllers_running(store, cache_label_selectors=selectors)


async def wait_ready(daemon: Manager) -> None:
    def web_is_ready() -> bool:
        cert = daemon.cache.get(Certificate, "web", "default")
        return cert is not None and is_ready(cert)

    await eventually(web_is_ready, "Certificate web Ready")


@pytest.fixture
async def issued(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, Manager]]:
    """A store with one Certificate issued and Ready, and a Manager running no controller whose
    synced cache holds it all: nothing but the test's own reconcile touches the Certificate."""
    path = tmp_path / "store.db"
    async with daemon_on(SQLiteStore(path)) as daemon:
        await daemon.context.store.create(issuer_selfsigned())
        await daemon.context.store.create(certificate("web", issuer="selfsigned"))
        await wait_ready(daemon)
    store = SQLiteStore(path)
    cache_only = Manager(store, listen=None)
    await cache_only.start()
    try:
        yield store, cache_only
    finally:
        await cache_only.stop()


async def reconcile_with(manager: Manager, cache: CacheReader) -> None:
    trigger = TriggerController(dataclasses.replace(manager.context, cache=cache), ControllerOptions())
    await trigger.reconcile(ObjectKey("default", "web"))


async def issuing_events(store: SQLiteStore) -> builtins.list[str]:
    events, _ = await store.list(Event, namespace="default")
    return sorted(f"{e.reason}x{e.count}" for e in events if e.reason == "Issuing")


async def test_a_secret_the_cache_has_not_seen_yet_starts_no_issuance(
    issued: tuple[SQLiteStore, Manager],
) -> None:
    store, manager = issued
    before = await store.get(Certificate, "web", "default")
    events_before = await issuing_events(store)

    await reconcile_with(manager, SecretNotYetSeen(manager.cache, "web-tls", None))

    after = await store.get(Certificate, "web", "default")
    assert after.metadata.resource_version == before.metadata.resource_version
    assert get_condition(after.status.conditions if after.status else None, ISSUING) is None
    assert await issuing_events(store) == events_before


async def test_an_older_secret_in_the_cache_starts_no_issuance(
    issued: tuple[SQLiteStore, Manager],
) -> None:
    store, manager = issued
    stored = await store.get(Secret, "web-tls", "default")
    # What the cache held before this issuance: a certificate for other names, an older version.
    older = issued_secret(certificate("web", issuer="selfsigned", dns_names=["other.example"]), ec_key())
    older.metadata = stored.metadata.model_copy(update={"resource_version": "1"})
    before = await store.get(Certificate, "web", "default")

    await reconcile_with(manager, SecretNotYetSeen(manager.cache, "web-tls", older))

    after = await store.get(Certificate, "web", "default")
    assert after.metadata.resource_version == before.metadata.resource_version


async def test_a_secret_missing_from_the_store_too_is_issued(
    issued: tuple[SQLiteStore, Manager],
) -> None:
    """The confirmation does not hide a real need: with the Secret deleted the trigger issues."""
    store, manager = issued
    await store.delete(Secret, "web-tls", "default")

    await reconcile_with(manager, SecretNotYetSeen(manager.cache, "web-tls", None))

    after = await store.get(Certificate, "web", "default")
    issuing = get_condition(after.status.conditions if after.status else None, ISSUING)
    assert issuing is not None and issuing.status == "True" and issuing.reason == "DoesNotExist"


async def test_a_user_s_secret_outside_a_filtered_cache_is_filled_in(tmp_path: Path) -> None:
    """On Kubernetes only Secrets labelled as certpilot's are cached (docs/kubernetes.md). A user may
    create the Secret first (with annotations for a replicator, say): the issuance fills it in,
    keeping the user's annotation, instead of failing to create a Secret that exists. The same
    filter, on the SQLite store's watch."""
    store = SQLiteStore(tmp_path / "store.db")
    await store.create(secret_tls("web-tls", annotations={"replicator.example/replicate": "true"}))
    async with daemon_on(store, labelled_secrets_only=True) as daemon:
        await store.create(issuer_selfsigned())
        await store.create(certificate("web", issuer="selfsigned"))
        await wait_ready(daemon)
        secret = await store.get(Secret, "web-tls", "default")
        assert secret.get_data("tls.crt")
        assert (secret.metadata.annotations or {}).get("replicator.example/replicate") == "true"
        requests, _ = await store.list(CertificateRequest, namespace="default")
        assert [r.name for r in requests] == ["web-1"]


async def test_a_valid_unlabelled_secret_is_labelled_not_issued_again(tmp_path: Path) -> None:
    """A certpilot taking over from a cert-manager older than the label: the Certificate (issued
    once, its status says) has a valid Secret outside the filtered cache. The Secret is labelled,
    which brings it into the cache, and kept; nothing is issued."""
    store = SQLiteStore(tmp_path / "store.db")
    cert = certificate("web", issuer="selfsigned", private_key=P256)
    await store.create(issued_secret(cert, ec_key()))
    await store.create(issuer_selfsigned())
    created = await store.create(cert)
    await store.update_status(with_status(created, CertificateStatus(revision=1)))
    async with daemon_on(store, labelled_secrets_only=True) as daemon:
        await wait_ready(daemon)
        secret = await store.get(Secret, "web-tls", "default")
        assert (secret.metadata.labels or {}).get(PART_OF_LABEL) == "true"
        requests, _ = await store.list(CertificateRequest, namespace="default")
        assert requests == []


async def test_rotation_policy_never_keeps_the_key_of_an_unlabelled_secret(tmp_path: Path) -> None:
    """rotationPolicy Never with a Secret outside the filtered cache that must be issued again (its
    certificate names other hosts): the new certificate is for the key already handed out."""
    store = SQLiteStore(tmp_path / "store.db")
    key = ec_key()
    kept = CertificatePrivateKey(
        algorithm=PrivateKeyAlgorithm.ECDSA, size=256, rotation_policy=RotationPolicy.NEVER
    )
    before = certificate("web", issuer="selfsigned", private_key=kept, dns_names=["old.example"])
    await store.create(issued_secret(before, key))
    async with daemon_on(store, labelled_secrets_only=True) as daemon:
        await store.create(issuer_selfsigned())
        await store.create(
            certificate("web", issuer="selfsigned", private_key=kept, dns_names=["new.example"])
        )
        await wait_ready(daemon)
        secret = await store.get(Secret, "web-tls", "default")
        leaf = x509.load_pem_x509_certificate(secret.get_data("tls.crt") or b"")
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["new.example"]
        assert secret.get_data("tls.key") == encode_private_key(key)
