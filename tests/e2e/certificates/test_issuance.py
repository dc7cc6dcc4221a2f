"""The running daemon issues, mirrors, re-issues and renews Certificates from a real SelfSigned
→ CA chain (issuers built in, store on disk, openssl verifying what was issued)."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import set_condition
from certpilot.api.core import Event, Secret
from certpilot.api.enums import PrivateKeyAlgorithm, RotationPolicy
from certpilot.pki.keys import parse_private_key, public_key_matches
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate
from tests.e2e.certificates.daemon_harness import (
    Daemon,
    DaemonFactory,
    eventually,
    make_ca,
    ready_certificate,
)

pytestmark = pytest.mark.timeout(240)


async def secret_of(store: SQLiteStore, cert: Certificate) -> Secret:
    return await store.get(Secret, cert.spec.secret_name, cert.namespace)


def leaf_and_key(secret: Secret) -> tuple[x509.Certificate, bytes]:
    chain = x509.load_pem_x509_certificates(secret.get_data("tls.crt") or b"")
    return chain[0], secret.get_data("tls.key") or b""


def openssl_verify(tmp_path: Path, secret: Secret) -> None:
    (tmp_path / "ca.pem").write_bytes(secret.get_data("ca.crt") or b"")
    (tmp_path / "leaf.pem").write_bytes(secret.get_data("tls.crt") or b"")
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "leaf.pem")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_ca_chain_issues_leaves_and_mirrors_files(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    daemon: Daemon = daemon_factory()
    await make_ca(store)
    await store.create(certificate("web", dns_names=["web.example.com", "www.example.com"]))
    await store.create(
        certificate(
            "api",
            dns_names=["api.example.com"],
            private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=384),
        )
    )
    await ready_certificate(store, "root")
    for name in ("web", "api"):
        cert = await ready_certificate(store, name)
        secret = await secret_of(store, cert)
        assert secret.type == "kubernetes.io/tls"
        leaf, key_pem = leaf_and_key(secret)
        assert public_key_matches(leaf, parse_private_key(key_pem))
        openssl_verify(tmp_path, secret)
        annotations = secret.metadata.annotations or {}
        assert annotations[ann.CERTIFICATE_NAME] == name
        assert annotations[ann.ISSUER_NAME] == "ca"
        assert cert.status is not None and cert.status.not_after == leaf.not_valid_after_utc
        directory = daemon.output_dir / "default" / cert.spec.secret_name

        async def mirrored(directory: Path = directory, secret: Secret = secret) -> bool:
            return (directory / "tls.crt").exists() and (
                directory / "tls.crt"
            ).read_bytes() == secret.get_data("tls.crt")

        await eventually(mirrored, what=f"files of {name}")
        assert (directory / "tls.key").read_bytes() == key_pem
        assert stat.S_IMODE(os.stat(directory / "tls.key").st_mode) == 0o600
        assert (directory / "ca.crt").read_bytes() == secret.get_data("ca.crt")
    api = await ready_certificate(store, "api")
    leaf, _ = leaf_and_key(await secret_of(store, api))
    assert leaf.public_key().key_size == 384  # type: ignore[union-attr]


async def test_deleted_secret_and_changed_dns_names_reissue(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
) -> None:
    daemon_factory()
    await make_ca(store)
    await store.create(certificate("web", dns_names=["web.example.com"]))
    cert = await ready_certificate(store, "web")
    first_leaf, _ = leaf_and_key(await secret_of(store, cert))

    await store.delete(Secret, "web-tls", "default")
    cert = await ready_certificate(store, "web", min_revision=2)
    second_leaf, _ = leaf_and_key(await secret_of(store, cert))
    assert second_leaf.serial_number != first_leaf.serial_number

    cert.spec.dns_names = ["web.example.com", "new.example.com"]
    await store.update(cert)
    cert = await ready_certificate(store, "web", min_revision=3)
    third_leaf, _ = leaf_and_key(await secret_of(store, cert))
    sans = third_leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == ["new.example.com", "web.example.com"]
    # revisionHistoryLimit defaults to 1: only the current revision's request remains.

    async def pruned() -> bool:
        requests, _ = await store.list(CertificateRequest, "default")
        return sorted(r.name for r in requests if r.name.startswith("web-")) == ["web-3"]

    await eventually(pruned, what="old CertificateRequests pruned")


async def renew(store: SQLiteStore, name: str) -> None:
    """What `cmctl renew` does: set Issuing=True with reason ManuallyTriggered."""
    cert = await store.get(Certificate, name, "default")
    assert cert.status is not None
    cert.status.conditions = set_condition(
        cert.status.conditions, "Issuing", "True", "ManuallyTriggered", "renewal requested", datetime.now(UTC)
    )
    await store.update_status(cert)


async def test_rotation_never_keeps_the_key_across_a_renewal_and_always_rotates(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
) -> None:
    daemon_factory()
    await make_ca(store)
    await store.create(
        certificate("keep", private_key=CertificatePrivateKey(rotation_policy=RotationPolicy.NEVER))
    )
    await store.create(certificate("rotate"))
    keys = {}
    for name in ("keep", "rotate"):
        cert = await ready_certificate(store, name)
        keys[name] = leaf_and_key(await secret_of(store, cert))
        await renew(store, name)
    for name in ("keep", "rotate"):
        cert = await ready_certificate(store, name, min_revision=2)
        leaf, key = leaf_and_key(await secret_of(store, cert))
        assert leaf.serial_number != keys[name][0].serial_number
        assert (key == keys[name][1]) is (name == "keep")

    async def next_keys_gone() -> bool:
        found, _ = await store.list(Secret, "default", label_selector="cert-manager.io/next-private-key=true")
        return not found

    await eventually(next_keys_gone, what="temporary next-key Secrets deleted")


async def test_short_lived_certificate_is_renewed_in_real_time(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
) -> None:
    """duration 1h with renewBefore 59m56s: due 4 s after issuance, every time."""
    daemon_factory()
    await make_ca(store)
    await store.create(certificate("brief", duration="1h", renew_before="59m56s"))
    first = await ready_certificate(store, "brief")
    assert first.status is not None and first.status.renewal_time is not None
    renewed = await ready_certificate(store, "brief", min_revision=3, limit=90)
    assert renewed.status is not None and renewed.status.not_before is not None
    assert first.status.not_before is not None and renewed.status.not_before > first.status.not_before


async def test_hook_runs_with_paths_and_a_failing_hook_warns(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    record = tmp_path / "hook.env"
    hook = f'env | grep ^CERTPILOT_ | sort > {record}; test "$CERTPILOT_SECRET_NAME" != bad-tls'
    daemon = daemon_factory("--hook", hook)
    await make_ca(store)
    await store.create(certificate("good"))
    await ready_certificate(store, "good")

    async def hook_ran() -> str | None:
        text = record.read_text() if record.exists() else ""
        return text if "CERTPILOT_SECRET_NAME=good-tls" in text else None

    env = dict(line.split("=", 1) for line in (await eventually(hook_ran, what="hook")).splitlines())
    directory = daemon.output_dir / "default" / "good-tls"
    assert env["CERTPILOT_CERT_FILE"] == str(directory / "tls.crt")
    assert env["CERTPILOT_KEY_FILE"] == str(directory / "tls.key")
    assert env["CERTPILOT_CA_FILE"] == str(directory / "ca.crt")
    assert env["CERTPILOT_NAMESPACE"] == "default"
    assert Path(env["CERTPILOT_CERT_FILE"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")  # noqa: ASYNC240

    await store.create(certificate("bad"))
    await ready_certificate(store, "bad")

    async def warned() -> Event | None:
        events, _ = await store.list(Event, "default")
        found = [e for e in events if e.reason == "HookFailed" and e.involved_object.name == "bad"]
        return found[0] if found else None

    event = await eventually(warned, what="HookFailed event")
    assert event.type == "Warning"
    assert (daemon.output_dir / "default" / "bad-tls" / "tls.key").exists()


async def test_no_private_key_material_in_output_or_events(
    daemon_factory: DaemonFactory,
    store: SQLiteStore,
) -> None:
    daemon: Daemon = daemon_factory()
    await make_ca(store)
    await store.create(
        certificate("web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA))
    )
    await ready_certificate(store, "web")
    await store.delete(Secret, "web-tls", "default")
    await ready_certificate(store, "web", min_revision=2)
    assert daemon.stop() == 0
    secrets, _ = await store.list(Secret, "default")
    key_lines = {
        line
        for s in secrets
        for line in (s.get_data("tls.key") or b"").decode().splitlines()
        if line and not line.startswith("-----")
    }
    assert key_lines
    events, _ = await store.list(Event)
    texts = [daemon.log(), *(f"{e.reason} {e.message}" for e in events)]
    for text in texts:
        assert "PRIVATE KEY" not in text
        assert not any(line in text for line in key_lines)
    with pytest.raises(NotFound):
        await store.get(Secret, "never-made", "default")
