"""pebble (Let's Encrypt's ACME test CA) and pebble-challtestsrv (its mock DNS), run on loopback.

Debian's pebble ships no TLS certificate, so each server gets a throwaway CA ("minica") and a
localhost certificate generated here; clients trust `ca_bundle_path` for the ACME and management
endpoints. pebble regenerates its roots on every start: fetch them from the running server.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from certpilot.testing.peers.ports import LOOPBACK_V4, free_port
from certpilot.testing.peers.process import PeerProcess, PeerServer
from certpilot.testing.peers.throwaway_pki import common_name, pkcs8, throwaway_ca, write_private

PEBBLE_BINARY = "pebble"
CHALLTESTSRV_BINARY = "pebble-challtestsrv"
# Where scripts/test unpacks pebble 2.10.1 (ARI, profiles, IP identifiers, dns-persist-01) from ../shared.
MODERN_PEBBLE_VARIABLE = "CERTPILOT_PEBBLE_DIR"


def modern_pebble_dir() -> Path | None:
    """The folder holding pebble 2.10.1 and its pebble-challtestsrv, or None when $CERTPILOT_PEBBLE_DIR is
    unset or incomplete (Debian's pebble 2.4.0 has no ARI, profiles, IP identifiers or dns-persist-01)."""
    value = os.environ.get(MODERN_PEBBLE_VARIABLE)
    if not value:
        return None
    folder = Path(value)
    binaries = (folder / PEBBLE_BINARY, folder / CHALLTESTSRV_BINARY)
    return folder if all(os.access(binary, os.X_OK) for binary in binaries) else None


REQUEST_TIMEOUT = 5.0


@dataclass(frozen=True)
class ServerTls:
    ca_path: Path
    cert_path: Path
    key_path: Path


def generate_server_tls(directory: Path) -> ServerTls:
    """A throwaway CA and a localhost / 127.0.0.1 / ::1 server certificate signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_cert = throwaway_ca("certpilot test minica", now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(common_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = ServerTls(
        directory / "minica.pem", directory / "localhost.cert.pem", directory / "localhost.key.pem"
    )
    tls.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    tls.cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    write_private(tls.key_path, pkcs8(server_key))
    return tls


def _workdir(given: Path | None, prefix: str) -> Path:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given
    return Path(tempfile.mkdtemp(prefix=prefix))


class ChallTestSrv(PeerServer):
    """pebble-challtestsrv as a mock DNS server only (its HTTP-01 / TLS-ALPN servers are off so they
    never collide with ours). Every A query answers `default_ipv4`; AAAA answers `default_ipv6`, which
    is empty by default because pebble dials AAAA first."""

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        dns_port: int | None = None,
        management_port: int | None = None,
        default_ipv4: str = LOOPBACK_V4,
        default_ipv6: str = "",
        modern_dir: Path | None = None,
    ) -> None:
        """`modern_dir`: run the pebble-challtestsrv 2.10.1 found there (see `modern_pebble_dir`), whose
        flags differ from Debian's 2.4.0."""
        self.workdir = _workdir(workdir, "challtestsrv-")
        self._modern_dir = modern_dir
        self.dns_port = dns_port if dns_port is not None else free_port(udp_too=True)
        self.management_port = management_port if management_port is not None else free_port()
        self._default_ipv4 = default_ipv4
        self._default_ipv6 = default_ipv6

    @property
    def dns_address(self) -> str:
        """host:port, as pebble's -dnsserver wants it."""
        return f"{LOOPBACK_V4}:{self.dns_port}"

    @property
    def management_url(self) -> str:
        return f"http://{LOOPBACK_V4}:{self.management_port}"

    def start(self) -> Self:
        argv = [
            CHALLTESTSRV_BINARY,
            "-defaultIPv4", self._default_ipv4,
            "-defaultIPv6", self._default_ipv6,
            "-dns01", self.dns_address,
            "-http01", "",
            "-https01", "",
            "-tlsalpn01", "",
            "-management", f"{LOOPBACK_V4}:{self.management_port}",
        ]  # fmt: skip
        if self._modern_dir is not None:
            # 2.10 renamed -dns01 to -dnsserver and serves DNS-over-HTTPS on :8443 unless told not to.
            argv[0] = str(self._modern_dir / CHALLTESTSRV_BINARY)
            argv[argv.index("-dns01")] = "-dnsserver"
            argv += ["-doh", ""]
        self._process = PeerProcess("pebble-challtestsrv", argv, self.workdir / "challtestsrv.log", {})
        self._process.start(self._answers)
        return self

    def _answers(self) -> bool:
        try:
            self._post("clear-txt", {"host": "readiness.invalid."})
        except requests.RequestException:
            return False
        return True

    def _post(self, endpoint: str, body: Mapping[str, Any]) -> None:
        response = requests.post(f"{self.management_url}/{endpoint}", json=body, timeout=REQUEST_TIMEOUT)
        response.raise_for_status()

    def add_aaaa(self, host: str, addresses: list[str]) -> None:
        self._post("add-aaaa", {"host": _fqdn(host), "addresses": addresses})

    def clear_aaaa(self, host: str) -> None:
        self._post("clear-aaaa", {"host": _fqdn(host)})


def _fqdn(host: str) -> str:
    return host if host.endswith(".") else host + "."


class PebbleServer(PeerServer):
    """pebble on loopback with its own config and TLS material in `workdir`.

    `http_port` / `tls_port` are the ports pebble's VA *dials* for HTTP-01 / TLS-ALPN-01, so the
    solver under test must listen there. `env` sets PEBBLE_* variables on top of the deterministic
    defaults below (no validation sleep, no nonce rejection, no authz reuse)."""

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        dns_server: str | None = None,
        listen_port: int | None = None,
        management_port: int | None = None,
        http_port: int = 5002,
        tls_port: int = 5001,
        env: Mapping[str, str] | None = None,
        eab_keys: Mapping[str, str] | None = None,
        eab_required: bool = False,
        certificate_validity_period: int | None = None,
        start_timeout: float = 30.0,
        binary: str = PEBBLE_BINARY,
        profiles: Mapping[str, int] | None = None,
    ) -> None:
        self.workdir = _workdir(workdir, "pebble-")
        self.dns_server = dns_server
        self.listen_port = listen_port if listen_port is not None else free_port()
        self.management_port = management_port if management_port is not None else free_port()
        self.http_port = http_port
        self.tls_port = tls_port
        self.env = {
            "PEBBLE_VA_NOSLEEP": "1",
            "PEBBLE_WFE_NONCEREJECT": "0",
            "PEBBLE_AUTHZREUSE": "0",
            **(env or {}),
        }
        self.eab_keys = dict(eab_keys or {})
        self.eab_required = eab_required
        self.certificate_validity_period = certificate_validity_period
        self._start_timeout = start_timeout
        self._tls: ServerTls | None = None
        self.binary = binary
        self.profiles = dict(profiles or {})

    @property
    def directory_url(self) -> str:
        return f"https://{LOOPBACK_V4}:{self.listen_port}/dir"

    @property
    def management_url(self) -> str:
        return f"https://{LOOPBACK_V4}:{self.management_port}"

    @property
    def ca_bundle_path(self) -> Path:
        """The minica that signed pebble's own HTTPS certificate (not the ACME roots)."""
        if self._tls is None:
            raise RuntimeError("pebble is not started")
        return self._tls.ca_path

    def config(self, tls: ServerTls) -> dict[str, Any]:
        pebble: dict[str, Any] = {
            "listenAddress": f"{LOOPBACK_V4}:{self.listen_port}",
            "managementListenAddress": f"{LOOPBACK_V4}:{self.management_port}",
            "certificate": str(tls.cert_path),
            "privateKey": str(tls.key_path),
            "httpPort": self.http_port,
            "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab_required,
        }
        if self.eab_keys:
            pebble["externalAccountMACKeys"] = self.eab_keys
        if self.certificate_validity_period is not None:
            pebble["certificateValidityPeriod"] = self.certificate_validity_period
        if self.profiles:
            # pebble >= 2.7 takes validity from profiles only; an order naming none gets a random one.
            pebble["profiles"] = {
                name: {"description": f"{seconds} s", "validityPeriod": seconds}
                for name, seconds in self.profiles.items()
            }
        return {"pebble": pebble}

    def start(self) -> Self:
        # A restart keeps the HTTPS certificate, so clients that trust it keep working.
        self._tls = self._tls or generate_server_tls(self.workdir)
        config_path = self.workdir / "pebble-config.json"
        config_path.write_text(json.dumps(self.config(self._tls), indent=2))
        argv = [self.binary, "-config", str(config_path), "-strict=false"]
        if self.dns_server is not None:
            argv += ["-dnsserver", self.dns_server]
        self._process = PeerProcess("pebble", argv, self.workdir / "pebble.log", self.env)
        self._process.start(self._answers, timeout=self._start_timeout)
        return self

    def _answers(self) -> bool:
        if not _accepts_connections(self.listen_port):
            return False
        try:
            return requests.get(self.directory_url, verify=str(self.ca_bundle_path), timeout=1).ok
        except requests.RequestException:
            return False

    def _management_get(self, path: str) -> requests.Response:
        response = requests.get(
            f"{self.management_url}{path}", verify=str(self.ca_bundle_path), timeout=REQUEST_TIMEOUT
        )
        response.raise_for_status()
        return response

    def fetch_root(self, index: int = 0) -> str:
        """PEM of root `index` (0 = the issuing root; 1.. = alternate roots)."""
        return self._management_get(f"/roots/{index}").text


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK_V4, port), timeout=0.5):
            return True
    except OSError:
        return False
