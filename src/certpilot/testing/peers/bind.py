"""A throwaway BIND 9 (`named`) on 127.0.0.1: authoritative zones that accept TSIG-signed RFC2136 updates.

Each server lives in its own directory: named.conf, one zone file per zone, the TSIG key. It runs
`named -g` in the foreground on a free port (UDP and TCP), so it is stopped by its own PID and leaves
no journal behind for the next run.
"""

from __future__ import annotations

import base64
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import dns.update

TSIG_ALGORITHMS = ("hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512")
LOOPBACK = "127.0.0.1"


class BindError(RuntimeError):
    """named could not be configured or started."""


@dataclass(frozen=True)
class Zone:
    """One primary zone; `records` are zone-file lines added after the default records."""

    name: str
    records: Sequence[str] = ()


@dataclass
class BindServer:
    """An authoritative named on 127.0.0.1:`port` for `zones`; updates need the key `tsig_key_name`.

    Every zone has SOA and NS (ns1.<zone> → 127.0.0.1) and a wildcard A → 127.0.0.1, so HTTP-01 names
    resolve to loopback too. A second key, `unauthorised_key_name`, is known to named but granted nothing,
    so a correctly signed update with it is refused.
    """

    directory: Path
    zones: Sequence[Zone] = (Zone("example.test"),)
    tsig_algorithm: str = "hmac-sha256"
    tsig_key_name: str = "acme-key"
    unauthorised_key_name: str = "readonly-key"
    port: int = 0
    tsig_secret: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    unauthorised_secret: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:
        return f"BindServer(address={self.address!r}, zones={[z.name for z in self.zones]!r})"

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`, as a nameserver field expects it."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def zone(self) -> str:
        """The first (default) zone, without a trailing dot."""
        return self.zones[0].name

    @property
    def log_path(self) -> Path:
        return self.directory / "named.log"

    def start(self, timeout: float = 10.0) -> BindServer:
        if self.tsig_algorithm not in TSIG_ALGORITHMS:
            raise BindError(f"tsig_algorithm must be one of {', '.join(TSIG_ALGORITHMS)}")
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_udp_and_tcp_port()
        self._write_config()
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            ["named", "-g", "-c", str(self.directory / "named.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self._wait_until_answering(self._process, timeout)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> BindServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def send_update(self, zone: str, change: Callable[[dns.update.UpdateMessage], object]) -> None:
        """An RFC2136 update of `zone`, built by `change` and signed with this server's TSIG key, sent
        over TCP; raises RuntimeError unless BIND answers NOERROR (test peers writing records)."""
        keyring = dns.tsigkeyring.from_text({self.tsig_key_name: (self.tsig_algorithm, self.tsig_secret)})
        update = dns.update.UpdateMessage(zone, keyring=keyring)
        change(update)
        answer = dns.query.tcp(update, LOOPBACK, port=self.port, timeout=5)
        if answer.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"BIND refused an update of {zone}: {dns.rcode.to_text(answer.rcode())}")

    def query_txt(self, name: str) -> list[str]:
        """The TXT strings at `name` as this server answers now (each record's chunks joined)."""
        query = dns.message.make_query(absolute(name), dns.rdatatype.TXT)
        response = dns.query.udp(query, LOOPBACK, port=self.port, timeout=5)
        return sorted(
            b"".join(rdata.strings).decode()
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.TXT
            for rdata in rrset
        )

    def _write_config(self) -> None:
        d = self.directory
        (d / "tsig.key").write_text(
            f'key "{self.tsig_key_name}" {{ algorithm {self.tsig_algorithm}; '
            f'secret "{self.tsig_secret}"; }};\n'
            f'key "{self.unauthorised_key_name}" {{ algorithm {self.tsig_algorithm}; '
            f'secret "{self.unauthorised_secret}"; }};\n'
        )
        (d / "tsig.key").chmod(0o600)
        for stale in d.glob("*.jnl"):
            stale.unlink()
        zone_blocks = []
        for zone in self.zones:
            zone_file = d / f"db.{zone.name}"
            zone_file.write_text(zone_file_text(zone))
            zone_blocks.append(
                f'zone "{zone.name}" {{\n    type primary;\n    file "{zone_file}";\n'
                f"    update-policy {{ grant {self.tsig_key_name} zonesub ANY; }};\n}};\n"
            )
        (d / "named.conf").write_text(
            f'include "{d / "tsig.key"}";\n'
            "options {\n"
            f'    directory "{d}";\n'
            f'    pid-file "{d / "named.pid"}";\n'
            f'    session-keyfile "{d / "session.key"}";\n'
            f'    managed-keys-directory "{d}";\n'
            f"    listen-on port {self.port} {{ {LOOPBACK}; }};\n"
            "    listen-on-v6 { none; };\n"
            "    recursion no;\n"
            "    allow-query { 127.0.0.0/8; };\n"
            "    dnssec-validation no;\n"
            "    notify no;\n"
            "};\n"
            # No rndc channel: named would otherwise want /etc/bind/rndc.key and port 953.
            "controls { };\n"
            "logging {\n"
            "    channel to_stderr { stderr; severity info; print-time yes; print-category yes; };\n"
            "    category default { to_stderr; };\n"
            "    category update { to_stderr; };\n"
            "};\n" + "".join(zone_blocks)
        )

    def _wait_until_answering(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        query = dns.message.make_query(absolute(self.zone), dns.rdatatype.SOA)
        while True:
            if process.poll() is not None:
                self._process = None
                raise BindError(f"named exited at start; its log:\n{self.log_path.read_text()[-3000:]}")
            try:
                response = dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.2)
                if response.answer:
                    return
            except (dns.exception.Timeout, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise BindError(
                    f"named did not answer within {timeout}s; its log:\n{self.log_path.read_text()}"
                )
            time.sleep(0.05)


def zone_file_text(zone: Zone) -> str:
    origin = absolute(zone.name)
    lines = [
        f"$ORIGIN {origin}",
        "$TTL 60",
        f"@ IN SOA ns1.{origin} hostmaster.{origin} ( 1 60 60 3600 60 )",
        f"@ IN NS ns1.{origin}",
        f"@ IN A {LOOPBACK}",
        f"ns1 IN A {LOOPBACK}",
        f"* IN A {LOOPBACK}",
        *zone.records,
    ]
    return "\n".join(lines) + "\n"


def absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def free_udp_and_tcp_port(attempts: int = 50) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 right now (named needs both)."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise BindError("no port free for both TCP and UDP on 127.0.0.1")


def bind_server(
    directory: Path,
    zones: Sequence[str] = ("example.test",),
    records: Mapping[str, Sequence[str]] | None = None,
    tsig_algorithm: str = "hmac-sha256",
) -> BindServer:
    """A BindServer (not yet started) for `zones`, with extra zone-file `records` per zone name."""
    records = records or {}
    return BindServer(
        directory=directory,
        zones=tuple(Zone(name, tuple(records.get(name, ()))) for name in zones),
        tsig_algorithm=tsig_algorithm,
    )
