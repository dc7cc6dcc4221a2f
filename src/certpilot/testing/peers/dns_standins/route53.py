"""The Route53 conformance peer: moto's standalone server (`moto[server]`), a real AWS API emulator run
as a child process on 127.0.0.1, holding the hosted zones. Tests only.

moto keeps the records to itself, so a thread mirrors the TXT record sets of the peer's hosted zones
into BIND every POLL_INTERVAL, as Route53's own nameservers would serve them after a change is INSYNC;
the propagation check sees them a moment after the change, as it would with Route53.

moto runs without its IAM authentication: with it enabled, moto 5.2 answers SignatureDoesNotMatch to
every correctly signed Route53 GET, so any key is accepted and wrong credentials cannot be tested here.
"""

from __future__ import annotations

import secrets
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from certpilot.testing.peers.bind import LOOPBACK, BindServer
from certpilot.testing.peers.dns_standins.base import BindZoneWriter
from certpilot.testing.peers.dns_standins.peers import OTHER_ZONE
from certpilot.testing.peers.ports import free_port
from certpilot.testing.peers.process import PeerProcess

POLL_INTERVAL = 0.1
REGION = "us-east-1"


def is_listening(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=0.2).close()
    except OSError:
        return False
    return True


@dataclass
class Route53Peer:
    bind: BindServer
    directory: Path
    zone: str = "example.test."
    name: str = "route53"
    access_key_id: str = field(default_factory=lambda: "AKIA" + secrets.token_hex(8).upper())
    secret_access_key: str = field(default_factory=lambda: secrets.token_urlsafe(30), repr=False)
    unchecked_credentials: str = (
        "moto runs without IAM authentication (it rejects valid SigV4 signatures of Route53 GETs), "
        "so wrong AWS credentials cannot be told apart from right ones"
    )

    def __post_init__(self) -> None:
        self.port = free_port()
        self.process = PeerProcess(
            "moto",
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)],
            self.directory / "moto.log",
            {},
        )
        self.zone_ids: dict[str, str] = {}
        self.mirrored: dict[str, set[str]] = {}  # fqdn -> the TXT values written to BIND
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "route53",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def start(self) -> Route53Peer:
        self.process.start(lambda: is_listening(self.port))
        route53 = self.client()
        # A private zone of the same name, created first: it must never be picked for public challenges.
        route53.create_hosted_zone(
            Name=self.zone,
            CallerReference=secrets.token_hex(8),
            HostedZoneConfig={"PrivateZone": True, "Comment": "private twin"},
            VPC={"VPCRegion": REGION, "VPCId": "vpc-12345678"},
        )
        for zone in (self.zone, OTHER_ZONE):
            created = route53.create_hosted_zone(Name=zone, CallerReference=secrets.token_hex(8))
            self.zone_ids[zone] = created["HostedZone"]["Id"]
        self._thread = threading.Thread(target=self._mirror_forever, args=(route53,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.process.stop()

    def _mirror_forever(self, route53: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        writer = BindZoneWriter(self.bind)
        while not self._stopping.wait(POLL_INTERVAL):
            try:
                held = self._held_values(route53)
            except (BotoCoreError, ClientError):  # moto stopping or busy: try again next round
                continue
            for fqdn in set(held) | set(self.mirrored):
                now, before = held.get(fqdn, set()), self.mirrored.get(fqdn, set())
                for value in now - before:
                    writer.txt(fqdn, value, add=True)
                for value in before - now:
                    writer.txt(fqdn, value, add=False)
                self.mirrored[fqdn] = now

    def _held_values(self, route53: Any) -> dict[str, set[str]]:
        held: dict[str, set[str]] = {}
        for zone_id in self.zone_ids.values():
            pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
            for page in pages:
                for record_set in page["ResourceRecordSets"]:
                    if record_set["Type"] == "TXT":
                        held[record_set["Name"].lower()] = {
                            r["Value"].strip('"') for r in record_set.get("ResourceRecords", [])
                        }
        return held

    def solver_config(self) -> dict[str, Any]:
        return {
            "region": REGION,
            "accessKeyIDSecretRef": {"name": "route53", "key": "access-key-id"},
            "secretAccessKeySecretRef": {"name": "route53", "key": "secret-access-key"},
        }

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return {
            "route53": {
                "access-key-id": self.access_key_id.encode(),
                "secret-access-key": self.secret_access_key.encode(),
            }
        }

    def environment(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_ROUTE_53": self.url, "AWS_ENDPOINT_URL_STS": self.url}

    def txt_values(self, fqdn: str) -> set[str]:
        return self._held_values(self.client()).get(
            fqdn.lower() if fqdn.endswith(".") else fqdn.lower() + ".", set()
        )
