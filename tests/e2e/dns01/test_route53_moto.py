"""Route53 against moto's standalone server (a real AWS API emulator on 127.0.0.1): what the conformance
suite does not cover: assuming `role` through STS, a given `hostedZoneID`, and values that someone else
put in the record set surviving present and cleanup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.route53 import Route53Provider
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRoute53
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.route53 import Route53Peer

pytestmark = pytest.mark.peers
provider = Route53Provider()


@pytest.fixture(scope="module")
def moto(bind: BindServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Route53Peer]:
    peer = Route53Peer(bind, tmp_path_factory.mktemp("moto")).start()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def aws_endpoint(moto: Route53Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)


def request(moto: Route53Peer, fqdn: str, value: str, **fields: Any) -> Dns01Request:
    config = ACMEIssuerDNS01ProviderRoute53.model_validate(
        {
            "region": "us-east-1",
            "accessKeyIDSecretRef": {"name": "aws", "key": "id"},
            "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
            **fields,
        }
    )

    async def read_secret(name: str, key: str) -> bytes:
        return {"id": moto.access_key_id, "secret": moto.secret_access_key}[key].encode()

    return Dns01Request(
        dns_name=fqdn.removeprefix("_acme-challenge.").rstrip("."),
        fqdn=fqdn,
        zone=None,
        value=value,
        config=config,
        get_secret_value=read_secret,
    )


def record_values(moto: Route53Peer, fqdn: str) -> list[str]:
    sets = moto.client().list_resource_record_sets(HostedZoneId=moto.zone_ids[moto.zone])[
        "ResourceRecordSets"
    ]
    return sorted(
        r["Value"] for s in sets if s["Name"] == fqdn and s["Type"] == "TXT" for r in s["ResourceRecords"]
    )


async def test_values_someone_else_put_in_the_record_set_survive(
    moto: Route53Peer, aws_endpoint: None
) -> None:
    fqdn = "_acme-challenge.shared.example.test."
    moto.client().change_resource_record_sets(
        HostedZoneId=moto.zone_ids[moto.zone],
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": fqdn,
                        "Type": "TXT",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": '"site-verification"'}],
                    },
                }
            ]
        },
    )
    ours = request(moto, fqdn, "ours")
    await provider.present(ours)
    assert record_values(moto, fqdn) == ['"ours"', '"site-verification"']
    await provider.cleanup(ours)
    assert record_values(moto, fqdn) == ['"site-verification"']


async def test_a_given_hosted_zone_id_is_used_without_a_lookup(moto: Route53Peer, aws_endpoint: None) -> None:
    fqdn = "_acme-challenge.by-id.other.test."
    zone_id = moto.zone_ids["other.test."]
    given = request(moto, fqdn, "by-id", hostedZoneID=zone_id)
    await provider.present(given)
    assert moto.txt_values(fqdn) == {"by-id"}
    await provider.cleanup(given)
    assert moto.txt_values(fqdn) == set()


async def test_role_is_assumed_through_sts(moto: Route53Peer, aws_endpoint: None) -> None:
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id=moto.access_key_id,
        aws_secret_access_key=moto.secret_access_key,
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="dns-solver", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    fqdn = "_acme-challenge.role.example.test."
    assumed = request(moto, fqdn, "as-role", role=role)
    await provider.present(assumed)
    assert moto.txt_values(fqdn) == {"as-role"}
    await provider.cleanup(assumed)
    assert moto.txt_values(fqdn) == set()


async def test_a_role_sts_refuses_fails_the_present(moto: Route53Peer, aws_endpoint: None) -> None:
    """Proves `role` goes to STS: an ARN STS cannot assume fails before any record is written."""
    from certpilot.acme.solvers.dns01.errors import Dns01Error

    fqdn = "_acme-challenge.bad-role.example.test."
    with pytest.raises(Dns01Error, match="assume_role") as caught:
        await provider.present(request(moto, fqdn, "never", role="not-an-arn"))
    assert moto.secret_access_key not in str(caught.value)
    assert moto.txt_values(fqdn) == set()
