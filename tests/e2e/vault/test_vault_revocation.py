"""`certpilot revoke` through a Vault issuer, against a real OpenBao: `<mount>/revoke` by serial,
refused with a clear message while the token's policy does not allow it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography import x509

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.api.core import Event, Secret
from certpilot.issuers.vault import vault_serial
from certpilot.testing import builders
from certpilot.testing.peers.openbao import OpenBaoServer, PKIMount
from tests.e2e.vault.vault_harness import NAMESPACE, eventually, ready_condition, running_certpilot
from tests.e2e.vault.vault_objects import secret, token_auth, vault_issuer


def certpilot_revoke(store: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "certpilot.cli",
            "revoke",
            name,
            "--reason",
            "keyCompromise",
            "--store",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_revoke_through_vault_marks_the_serial_revoked(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount
) -> None:
    store_path = tmp_path / "store.db"
    async with running_certpilot(store_path, certificates=True) as store:
        await store.create(secret("vault-token", token=openbao.create_token(pki.mount).encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        await store.create(
            builders.certificate("web", NAMESPACE, issuer="vault", dns_names=["web.example.test"])
        )

        async def ready() -> Certificate | None:
            cert = await store.get(Certificate, "web", NAMESPACE)
            found = ready_condition(cert)
            return cert if found is not None and found.status == "True" else None

        await eventually(ready, "Certificate web Ready", seconds=60)
        tls = await store.get(Secret, "web-tls", NAMESPACE)
        leaf = x509.load_pem_x509_certificate(tls.get_data("tls.crt") or b"")
        serial = f"{leaf.serial_number:x}"

        denied = certpilot_revoke(store_path, "web")
        assert denied.returncode == 1
        assert f"did not revoke serial {serial}" in denied.stderr and "Vault denied access" in denied.stderr
        token = (await store.get(Secret, "vault-token", NAMESPACE)).get_data("token") or b""
        assert token.decode() not in denied.stderr

        admin = openbao.admin()
        rules = admin.sys.read_policy(pki.mount)["data"]["rules"]
        admin.sys.create_or_update_policy(
            pki.mount, f'{rules}\npath "{pki.mount}/revoke" {{ capabilities = ["update"] }}'
        )
        revoked = certpilot_revoke(store_path, "web")
        assert revoked.returncode == 0, revoked.stderr
        assert f"Revoked certificate serial {serial}" in revoked.stdout and "Issuer vault" in revoked.stdout

        record = admin.secrets.pki.read_certificate(vault_serial(leaf.serial_number), mount_point=pki.mount)
        assert record["data"]["revocation_time"] > 0
        cert = await store.get(Certificate, "web", NAMESPACE)
        assert (cert.metadata.annotations or {})[keys.REVOKED_SERIAL] == serial
        events, _ = await store.list(Event, NAMESPACE)
        assert sorted(e.reason or "" for e in events if e.reason in ("Revoked", "RevocationFailed")) == [
            "RevocationFailed",
            "Revoked",
        ]
