"""A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

The binaries come from an envtest-style assets folder (`KUBEBUILDER_ASSETS`: kube-apiserver,
kube-controller-manager, kubectl, etcd). Everything lives in one work directory: the PKI made here
with `cryptography`, the static token file, etcd's data, one log per process and the kubeconfigs.
Every process listens on a free loopback port and is stopped by its own PID.

There is no kubelet and no scheduler, so Pods are stored but never run. The controller-manager runs
only what API-level tests need: garbage collection of ownerReferences, namespace deletion,
ServiceAccounts and their tokens, and ClusterRole aggregation.

The aggregation layer is on as in a real cluster (a front-proxy CA and the client certificate the
API server presents to extension API servers), and routes to the Endpoints of an APIService's
Service rather than its ClusterIP (`--enable-aggregator-routing`: there is no kube-proxy), so an
extension API server a test runs on a non-loopback address of this host is reachable through it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from certpilot.testing.peers.ports import LOOPBACK_V4, free_port
from certpilot.testing.peers.process import PeerProcess
from certpilot.testing.peers.throwaway_pki import common_name, pkcs8, throwaway_ca, write_private

ASSETS_VARIABLE = "KUBEBUILDER_ASSETS"
ASSET_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")
ADMIN_USER = "admin"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
CONTROLLERS = "garbagecollector,namespace,serviceaccount,serviceaccount-token,clusterrole-aggregation"
PROBE_TIMEOUT = 1.0
KUBECTL_TIMEOUT = 60.0
SERVING_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
SERVING_ADDRESSES = ("127.0.0.1", "10.0.0.1")
# The CN of the client certificate the aggregator presents to extension API servers.
FRONT_PROXY_CLIENT_NAME = "front-proxy-client"


class KubeControlPlaneError(RuntimeError):
    """The control plane could not be configured, or was used before it started."""


class KubectlFailed(RuntimeError):
    """kubectl exited non-zero; the message carries its arguments and stderr (never a token)."""

    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stderr.strip()}")
        self.result = result


def wait_for(condition_met: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition_met` until true; raises TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition_met():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(0.1)


def kube_assets_unavailable_reason() -> str | None:
    """Why `kube_assets()` is None: the variable is unset or names a folder lacking a binary."""
    value = os.environ.get(ASSETS_VARIABLE)
    if not value:
        return f"{ASSETS_VARIABLE} is not set (a folder with {', '.join(ASSET_BINARIES)})"
    folder = Path(value)
    missing = [name for name in ASSET_BINARIES if not os.access(folder / name, os.X_OK)]
    if missing:
        return f"{ASSETS_VARIABLE}={folder} lacks executable {', '.join(missing)}"
    return None


def kube_assets() -> Path | None:
    """The assets folder named by $KUBEBUILDER_ASSETS, or None when it is unusable."""
    if kube_assets_unavailable_reason() is not None:
        return None
    return Path(os.environ[ASSETS_VARIABLE])


@dataclass(frozen=True)
class ControlPlanePki:
    ca_file: Path
    serving_cert_file: Path
    serving_key_file: Path
    service_account_key_file: Path
    service_account_public_file: Path
    front_proxy_ca_file: Path
    front_proxy_client_cert_file: Path
    front_proxy_client_key_file: Path


def _front_proxy_pair(now: datetime.datetime) -> tuple[x509.Certificate, x509.Certificate, bytes]:
    """The front-proxy CA (its own, as kubeadm makes it) and the aggregator's client certificate and
    key, which extension API servers check against that CA."""
    ca_key, ca_cert = throwaway_ca("certpilot test front-proxy CA", now)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = (
        x509.CertificateBuilder()
        .subject_name(common_name(FRONT_PROXY_CLIENT_NAME))
        .issuer_name(ca_cert.subject)
        .public_key(client_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_cert, client_cert, pkcs8(client_key)


def generate_control_plane_pki(directory: Path) -> ControlPlanePki:
    """A throwaway CA, the apiserver's serving certificate (loopback and in-cluster names), the
    RSA key pair that signs ServiceAccount tokens and the aggregation layer's front-proxy pair."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_cert = throwaway_ca("certpilot test kube CA", now)
    serving_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVING_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in SERVING_ADDRESSES]
    serving_cert = (
        x509.CertificateBuilder()
        .subject_name(common_name("kube-apiserver"))
        .issuer_name(ca_cert.subject)
        .public_key(serving_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    service_account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    front_proxy_ca, front_proxy_client, front_proxy_client_key = _front_proxy_pair(now)
    pki = ControlPlanePki(
        ca_file=directory / "ca.crt",
        serving_cert_file=directory / "apiserver.crt",
        serving_key_file=directory / "apiserver.key",
        service_account_key_file=directory / "sa.key",
        service_account_public_file=directory / "sa.pub",
        front_proxy_ca_file=directory / "front-proxy-ca.crt",
        front_proxy_client_cert_file=directory / "front-proxy-client.crt",
        front_proxy_client_key_file=directory / "front-proxy-client.key",
    )
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.serving_cert_file.write_bytes(serving_cert.public_bytes(serialization.Encoding.PEM))
    write_private(pki.serving_key_file, pkcs8(serving_key))
    write_private(pki.service_account_key_file, pkcs8(service_account_key))
    pki.service_account_public_file.write_bytes(
        service_account_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    pki.front_proxy_ca_file.write_bytes(front_proxy_ca.public_bytes(serialization.Encoding.PEM))
    pki.front_proxy_client_cert_file.write_bytes(front_proxy_client.public_bytes(serialization.Encoding.PEM))
    write_private(pki.front_proxy_client_key_file, front_proxy_client_key)
    return pki


def token_file_line(token: str, user: str, groups: Sequence[str]) -> str:
    """One row of kube-apiserver's --token-auth-file: token,user,uid[,"group1,group2"]."""
    for part in (user, *groups):
        if not part or any(character in part for character in ',"\n'):
            raise KubeControlPlaneError(f"user or group name {part!r} cannot go in a token file")
    row = f"{token},{user},{user}"
    return f'{row},"{",".join(groups)}"' if groups else row


@dataclass
class KubeControlPlane:
    """etcd + kube-apiserver + kube-controller-manager from `assets`, living in `directory`.

    `users` maps extra user names to their groups; each gets its own bearer token and kubeconfig
    (`kubeconfig_for`). The admin user is in system:masters. Authorization is RBAC, so the extra
    users can do nothing until a test binds them a role.
    """

    directory: Path
    assets: Path
    users: Mapping[str, Sequence[str]] = field(default_factory=dict)
    start_timeout: float = 60.0
    etcd_port: int = field(default_factory=free_port)
    etcd_peer_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    controller_manager_port: int = field(default_factory=free_port)
    _tokens: dict[str, str] = field(init=False, repr=False, default_factory=dict)
    _pki: ControlPlanePki | None = field(init=False, repr=False, default=None)
    _etcd: PeerProcess | None = field(init=False, repr=False, default=None)
    _apiserver: PeerProcess | None = field(init=False, repr=False, default=None)
    _controller_manager: PeerProcess | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if ADMIN_USER in self.users:
            raise KubeControlPlaneError(f"users: {ADMIN_USER!r} is the control plane's own admin")
        self._tokens = {name: secrets.token_hex(24) for name in (ADMIN_USER, *self.users)}

    def __repr__(self) -> str:
        return f"KubeControlPlane(server={self.server!r}, directory={str(self.directory)!r})"

    # --- what tests use ---

    @property
    def server(self) -> str:
        return f"https://{LOOPBACK_V4}:{self.api_port}"

    @property
    def ca_file(self) -> Path:
        return self._started_pki().ca_file

    @property
    def front_proxy_ca_file(self) -> Path:
        """The CA an extension API server checks the aggregator's client certificate against."""
        return self._started_pki().front_proxy_ca_file

    @property
    def admin_token(self) -> str:
        return self._tokens[ADMIN_USER]

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (system:masters), mode 0600."""
        return self.kubeconfig_for(ADMIN_USER)

    def kubeconfig_for(self, user: str) -> Path:
        if user not in self._tokens:
            raise KubeControlPlaneError(f"unknown user {user!r}: pass it in `users` when constructing")
        return self.directory / f"kubeconfig-{user}"

    @property
    def kubectl_binary(self) -> Path:
        return self.assets / "kubectl"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the assets' kubectl as `user` (admin by default); raises KubectlFailed when `check`."""
        kubeconfig = self.kubeconfig_for(user or ADMIN_USER)
        result = subprocess.run(
            [str(self.kubectl_binary), "--kubeconfig", str(kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=KUBECTL_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise KubectlFailed(args, result)
        return result

    # --- lifecycle ---

    def start(self) -> Self:
        missing = [name for name in ASSET_BINARIES if not os.access(self.assets / name, os.X_OK)]
        if missing:
            raise KubeControlPlaneError(f"assets folder {self.assets} lacks executable {', '.join(missing)}")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pki = generate_control_plane_pki(self.directory / "pki")
        self._write_credentials()
        try:
            self.start_etcd()
            self._start_apiserver()
            self._start_controller_manager()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the processes this object started (by PID, waiting for each), newest first."""
        for process in (self._controller_manager, self._apiserver, self._etcd):
            if process is not None:
                process.stop()
        self._controller_manager = self._apiserver = self._etcd = None

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again on the same port and etcd; returns once ready."""
        if self._apiserver is not None:
            self._apiserver.stop()
            self._apiserver = None
        self._start_apiserver()

    def restart_controller_manager(self) -> None:
        """Stop kube-controller-manager and start it again: its garbage collector then knows every
        CRD at once instead of discovering new ones on its 30-second resync."""
        if self._controller_manager is not None:
            self._controller_manager.stop()
            self._controller_manager = None
        self._start_controller_manager()

    def stop_etcd(self) -> None:
        if self._etcd is not None:
            self._etcd.stop()
            self._etcd = None

    def start_etcd(self) -> None:
        """Start etcd on its ports and data directory (kept across stop_etcd); returns once healthy."""
        if self._etcd is not None:
            raise KubeControlPlaneError("etcd is already running")
        client_url = f"http://{LOOPBACK_V4}:{self.etcd_port}"
        peer_url = f"http://{LOOPBACK_V4}:{self.etcd_peer_port}"
        data_dir = self.directory / "etcd-data"
        data_dir.mkdir(mode=0o700, exist_ok=True)
        argv = [
            str(self.assets / "etcd"),
            "--name", "certpilot-test",
            "--data-dir", str(data_dir),
            "--listen-client-urls", client_url,
            "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url,
            "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"certpilot-test={peer_url}",
        ]  # fmt: skip
        etcd = PeerProcess("etcd", argv, self.directory / "etcd.log", {})
        etcd.start(self._etcd_is_healthy, timeout=self.start_timeout)
        self._etcd = etcd

    def restart_etcd(self) -> None:
        """Stop etcd and start it again on the same data; returns once the apiserver is ready again."""
        self.stop_etcd()
        self.start_etcd()
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Wait for the apiserver's /readyz, e.g. after etcd came back."""
        wait_for(self._apiserver_is_ready, timeout or self.start_timeout, "kube-apiserver /readyz")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals ---

    def _started_pki(self) -> ControlPlanePki:
        if self._pki is None:
            raise KubeControlPlaneError("the control plane is not started")
        return self._pki

    def _write_credentials(self) -> None:
        groups = {ADMIN_USER: ["system:masters"], **{name: list(g) for name, g in self.users.items()}}
        rows = [token_file_line(self._tokens[name], name, groups[name]) for name in self._tokens]
        write_private(self.directory / "tokens.csv", ("\n".join(rows) + "\n").encode())
        for name, token in self._tokens.items():
            write_private(self.kubeconfig_for(name), self._kubeconfig_text(name, token).encode())

    def _kubeconfig_text(self, user: str, token: str) -> str:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "certpilot-test",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": user, "context": {"cluster": "certpilot-test", "user": user}}],
            "current-context": user,
        }
        return yaml.safe_dump(config, sort_keys=False)

    def _start_apiserver(self) -> None:
        pki = self._started_pki()
        argv = [
            str(self.assets / "kube-apiserver"),
            f"--etcd-servers=http://{LOOPBACK_V4}:{self.etcd_port}",
            f"--bind-address={LOOPBACK_V4}",
            f"--advertise-address={LOOPBACK_V4}",
            f"--secure-port={self.api_port}",
            f"--tls-cert-file={pki.serving_cert_file}",
            f"--tls-private-key-file={pki.serving_key_file}",
            f"--client-ca-file={pki.ca_file}",
            f"--token-auth-file={self.directory / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={pki.service_account_public_file}",
            f"--service-account-signing-key-file={pki.service_account_key_file}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            f"--cert-dir={self.directory / 'apiserver-certs'}",
            # 127.0.0.1 is not a valid Endpoints address: the default reconciler would fail forever.
            "--endpoint-reconciler-type=none",
            # End open watches (the controller-manager's) on SIGTERM instead of hanging on them.
            "--shutdown-watch-termination-grace-period=1s",
            "--profiling=false",
            # The aggregation layer, as kubeadm configures it.
            "--enable-aggregator-routing=true",
            f"--proxy-client-cert-file={pki.front_proxy_client_cert_file}",
            f"--proxy-client-key-file={pki.front_proxy_client_key_file}",
            f"--requestheader-client-ca-file={pki.front_proxy_ca_file}",
            f"--requestheader-allowed-names={FRONT_PROXY_CLIENT_NAME}",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        ]
        apiserver = PeerProcess("kube-apiserver", argv, self.directory / "kube-apiserver.log", {})
        apiserver.start(self._apiserver_is_ready, timeout=self.start_timeout)
        self._apiserver = apiserver

    def _start_controller_manager(self) -> None:
        pki = self._started_pki()
        kubeconfig = self.kubeconfig
        argv = [
            str(self.assets / "kube-controller-manager"),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--leader-elect=false",
            f"--controllers={CONTROLLERS}",
            f"--service-account-private-key-file={pki.service_account_key_file}",
            f"--root-ca-file={pki.ca_file}",
            f"--bind-address={LOOPBACK_V4}",
            f"--secure-port={self.controller_manager_port}",
            # The apiserver's certificate names 127.0.0.1 too, so the health probe can verify it.
            f"--tls-cert-file={pki.serving_cert_file}",
            f"--tls-private-key-file={pki.serving_key_file}",
            "--profiling=false",
        ]
        manager = PeerProcess(
            "kube-controller-manager", argv, self.directory / "kube-controller-manager.log", {}
        )
        manager.start(self._controller_manager_is_healthy, timeout=self.start_timeout)
        self._controller_manager = manager

    def _etcd_is_healthy(self) -> bool:
        try:
            response = requests.get(f"http://{LOOPBACK_V4}:{self.etcd_port}/health", timeout=PROBE_TIMEOUT)
        except requests.RequestException:
            return False
        return response.ok and response.json().get("health") == "true"

    def _apiserver_is_ready(self) -> bool:
        try:
            response = requests.get(
                f"{self.server}/readyz",
                headers={"Authorization": f"Bearer {self.admin_token}"},
                verify=str(self.ca_file),
                timeout=PROBE_TIMEOUT,
            )
        except requests.RequestException:
            return False
        return response.ok and response.text == "ok"

    def _controller_manager_is_healthy(self) -> bool:
        try:
            response = requests.get(
                f"https://{LOOPBACK_V4}:{self.controller_manager_port}/healthz",
                verify=str(self.ca_file),
                timeout=PROBE_TIMEOUT,
            )
        except requests.RequestException:
            return False
        return response.ok and response.text == "ok"
