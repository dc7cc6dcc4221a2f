"""No secret in anything certpilot prints or serves while Vault issuers (token auth, and AppRole
auth) issue: a real `certpilot run --log-level DEBUG` against a real OpenBao. Searched for, in every
form tests/e2e/cli/redaction_harness.py lists: the Vault token in the token issuer's Secret, the
AppRole secretId, every token OpenBao handed out at an AppRole login (read from OpenBao's own audit
log, which records them in clear), and both issued certificates' private keys. The AppRole roleId is
not a secret (cert-manager keeps it in the Issuer's spec) and is not searched for. Searched in: every
DEBUG log line, Events, `get -o yaml` of every kind taken while the daemon works and after,
`describe` of every object, `status` and `inspect secret`, and /metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.certificate import CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.testing import builders
from certpilot.testing.peers.openbao import OpenBaoServer
from tests.e2e.cli.cli_harness import Cli, Daemon
from tests.e2e.cli.redaction_harness import Transcript, apply, leaks, private_key, secret_data
from tests.e2e.vault.vault_objects import approle_auth, secret, token_auth, vault_issuer


@pytest.fixture(scope="module")
def audited_openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBaoServer]:
    directory = tmp_path_factory.mktemp("openbao-audited")
    with OpenBaoServer(directory, audit_log=directory / "audit.log") as server:
        yield server


def login_tokens(audit_log: Path, login_path: str) -> list[str]:
    """The client tokens OpenBao answered logins at `login_path` with."""
    entries = [json.loads(line) for line in audit_log.read_text().splitlines()]
    return [
        entry["response"]["auth"]["client_token"]
        for entry in entries
        if entry["type"] == "response"
        and entry["request"]["path"] == login_path
        and (entry.get("response") or {}).get("auth")
    ]


def certificate(name: str, issuer: str) -> dict[str, Any]:
    return builders.certificate(
        name,
        issuer=issuer,
        dns_names=[f"{name}.example.test"],
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256),
    ).to_dict()


def test_no_vault_token_approle_secret_or_private_key_in_anything_printed_or_served(
    tmp_path: Path, audited_openbao: OpenBaoServer
) -> None:
    openbao = audited_openbao
    pki = openbao.setup_pki(mount="pki", policy="pki")
    token = openbao.create_token(pki.mount)
    approle_mount = f"ar-{pki.mount}"
    role_id, secret_id = openbao.enable_approle(role=pki.mount, policy=pki.mount, mount=approle_mount)
    by_approle = approle_auth(role_id, "approle")
    assert by_approle.app_role is not None
    by_approle.app_role.path = approle_mount
    cli = Cli(tmp_path / "store.db")
    daemon = Daemon(cli, tmp_path, "--log-level", "DEBUG")
    with Transcript(cli, daemon) as transcript:
        apply(
            cli,
            tmp_path,
            [
                secret("vault-token", token=token.encode()).to_dict(),
                secret("approle", secretId=secret_id.encode()).to_dict(),
                vault_issuer("by-token", openbao, pki.sign_path, token_auth("vault-token")).to_dict(),
                vault_issuer("by-approle", openbao, pki.sign_path, by_approle).to_dict(),
                certificate("token-web", "by-token"),
                certificate("approle-web", "by-approle"),
            ],
        )
        transcript.watch_until_ready(["token-web", "approle-web"])
    assert openbao.audit_log is not None
    obtained = login_tokens(openbao.audit_log, f"auth/{approle_mount}/login")
    assert obtained, "OpenBao's audit log shows no AppRole login by certpilot"
    secrets = {
        "Vault token": token.encode(),
        "AppRole secretId": secret_id.encode(),
        **{f"AppRole login token {i}": login.encode() for i, login in enumerate(obtained)},
        **private_key("leaf key (token)", secret_data(cli, "token-web-tls", "tls.key")),
        **private_key("leaf key (AppRole)", secret_data(cli, "approle-web-tls", "tls.key")),
    }
    assert transcript.leaks(secrets) == []
    # The search finds each secret where one is: `get secret -o yaml` prints data, as kubectl does.
    where_they_are = "".join(
        cli("get", "secret", name, "-o", "yaml").stdout
        for name in ("vault-token", "approle", "token-web-tls", "approle-web-tls")
    )
    assert {"Vault token", "AppRole secretId", "leaf key (token)", "leaf key (AppRole)"} <= set(
        leaks(where_they_are, secrets)
    )
