"""HTTP-01 orders end to end: AcmeClient + Http01Solver against a real pebble."""

from __future__ import annotations

import base64
import datetime
import hashlib
from pathlib import Path

import pytest
from acme import messages

from certpilot.acme.client import AcmeClient, challenge_token
from certpilot.acme.solvers.http01 import Http01Solver, http01_challenge_url, http01_self_check
from certpilot.testing.peers.pebble import ChallTestSrv, PebbleServer
from tests.e2e.acme.acme_flows import Present, issue, new_csr, openssl_verify, subject_alt_names

pytestmark = pytest.mark.peers


def presenting(client: AcmeClient, solver: Http01Solver) -> Present:
    def present(challenge: messages.ChallengeBody, _: messages.AuthorizationResource) -> None:
        solver.present(challenge_token(challenge), client.key_authorization(challenge))

    return present


async def test_http01_order_issues_a_chain_that_verifies_against_pebbles_root(
    acme_client: AcmeClient, http01_solver: Http01Solver, pebble: PebbleServer, tmp_path: Path
) -> None:
    names = ["web.example.test", "www.web.example.test"]
    fullchain = await issue(acme_client, new_csr(names), "http-01", presenting(acme_client, http01_solver))

    assert sorted(subject_alt_names(fullchain)) == sorted(names)
    verified = openssl_verify(tmp_path, fullchain, pebble.fetch_root(0))
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_ip_identifier_order_via_http01(
    acme_client: AcmeClient, http01_solver: Http01Solver, pebble: PebbleServer, tmp_path: Path
) -> None:
    """RFC 8738: the order carries an "ip" identifier and pebble dials 127.0.0.1 itself."""
    csr = new_csr(ip_addresses=["127.0.0.1"])
    order = acme_client.new_order(csr)
    assert [(i.typ.name, i.value) for i in order.body.identifiers] == [("ip", "127.0.0.1")]

    fullchain = await issue(acme_client, csr, "http-01", presenting(acme_client, http01_solver))

    assert subject_alt_names(fullchain) == ["127.0.0.1"]
    assert openssl_verify(tmp_path, fullchain, pebble.fetch_root(0)).returncode == 0


async def test_http01_over_ipv6_when_the_name_has_an_aaaa_record(
    acme_client: AcmeClient, http01_solver: Http01Solver, challtestsrv: ChallTestSrv
) -> None:
    """pebble dials the AAAA address first: the solver answers on [::1] too."""
    name = "v6.example.test"
    challtestsrv.add_aaaa(name, ["::1"])
    try:
        fullchain = await issue(
            acme_client, new_csr([name]), "http-01", presenting(acme_client, http01_solver)
        )
    finally:
        challtestsrv.clear_aaaa(name)
    assert subject_alt_names(fullchain) == [name]


async def test_self_check_sees_what_pebble_will_see(
    acme_client: AcmeClient, http01_solver: Http01Solver, http01_port: int
) -> None:
    order = acme_client.new_order(new_csr(["selfcheck.example.test"]))
    authz = acme_client.get_authorization(order.body.authorizations[0])
    challenge = next(c for c in authz.body.challenges if c.chall.typ == "http-01")
    token, expected = challenge_token(challenge), acme_client.key_authorization(challenge)
    url = http01_challenge_url("127.0.0.1", token, http01_port)

    assert not await http01_self_check(url, expected)
    http01_solver.present(token, expected)
    assert await http01_self_check(url, expected)
    assert await http01_self_check(http01_challenge_url("::1", token, http01_port), expected)
    http01_solver.cleanup(token)
    assert not await http01_self_check(url, expected)


def test_dns01_record_value_is_the_digest_of_the_key_authorization(acme_client: AcmeClient) -> None:
    order = acme_client.new_order(new_csr(["txt.example.test"]))
    authz = acme_client.get_authorization(order.body.authorizations[0])
    challenge = next(c for c in authz.body.challenges if c.chall.typ == "dns-01")

    digest = hashlib.sha256(acme_client.key_authorization(challenge).encode()).digest()
    assert acme_client.dns01_record_value(challenge) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert acme_client.key_authorization(challenge).startswith(challenge_token(challenge) + ".")


def test_order_carries_the_requested_validity_window(acme_client: AcmeClient) -> None:
    """enableDurationFeature: notBefore / notAfter go in the newOrder request; pebble echoes them."""
    not_before = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    not_after = not_before + datetime.timedelta(hours=1)
    order = acme_client.new_order(
        new_csr(["window.example.test"]), not_before=not_before, not_after=not_after
    )
    assert (order.body.not_before, order.body.not_after) == (not_before, not_after)
    again = acme_client.get_order(order.uri or "")
    assert (again.body.not_before, again.body.not_after) == (not_before, not_after)
