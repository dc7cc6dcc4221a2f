"""The ACME client against answers a broken server sends (FaultyAcmeServer: a deliberately broken
stand-in, since pebble cannot be made to send these): each ends in a typed AcmeError the issuer
turns into a condition and an Event, never a KeyError, TypeError or AttributeError from the
library (found by tests/fuzz)."""

from __future__ import annotations

import josepy
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.acme.client import AcmeClient
from certpilot.acme.client_errors import AcmeError, AcmeRetryLater
from certpilot.testing.peers.faulty_acme import FaultyAcmeServer, FaultyAnswer

PROBLEM = "application/problem+json"
KEY = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (FaultyAnswer("/directory", body=b'"text"'), "fetching the ACME directory"),
        (FaultyAnswer("/directory", body=b'{"newNonce": "x"}'), "fetching the ACME directory"),
        (
            FaultyAnswer(status=400, content_type="application/problem+json", body=b'{"type": 5}'),
            "refused: 5",
        ),
        (FaultyAnswer(body=b"null", headers={"Location": "http://127.0.0.1:1/acct/1"}), "unexpected answer"),
    ],
    ids=[
        "directory is a string",
        "directory without newAccount",
        "problem type not a string",
        "null account",
    ],
)
def test_a_malformed_answer_is_an_acme_error(answer: FaultyAnswer, message: str) -> None:
    with FaultyAcmeServer() as server:
        server.answer = answer
        client = AcmeClient(server.directory_url, KEY, timeout=5, bad_nonce_retries=0, max_inline_wait=0)
        with pytest.raises(AcmeError, match=message):
            client.register("ops@example.com")


def test_429_with_retry_after_asks_to_come_back_then() -> None:
    with FaultyAcmeServer() as server:
        server.answer = FaultyAnswer(status=429, headers={"Retry-After": "120"}, body=b"")
        client = AcmeClient(server.directory_url, KEY, timeout=5, max_inline_wait=0)
        with pytest.raises(AcmeRetryLater) as caught:
            client.register("ops@example.com")
    assert caught.value.seconds == 120
