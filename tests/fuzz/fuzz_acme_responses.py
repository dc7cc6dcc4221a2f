"""ACME server responses: the ACME client registers an account with a FaultyAcmeServer whose
directory, nonce or new-account answer is broken in one way (status, content type, malformed or
truncated JSON, a problem document, Retry-After, a garbage nonce). Every case must end in an
account or a typed AcmeError (which the issuer turns into a condition and an Event), never
another exception."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import josepy
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from certpilot.acme.client import AcmeClient
from certpilot.acme.client_errors import AcmeError
from certpilot.testing.peers.faulty_acme import FaultyAcmeServer, FaultyAnswer
from tests.fuzz.fuzz_outcomes import Outcome, Tally, each_line_names

ACCOUNT_KEY = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
ACCOUNT = json.dumps({"status": "valid", "contact": ["mailto:ops@example.com"]}).encode()
PROBLEM = json.dumps(
    {"type": "urn:ietf:params:acme:error:accountDoesNotExist", "detail": "no account", "status": 400}
).encode()
JSON_BODIES = [ACCOUNT, PROBLEM, b'{"type": 5, "detail": []}', b"[]", b"null", b'"text"', b'{"status": 7}']


@st.composite
def broken_answers(draw: st.DrawFn) -> FaultyAnswer:
    path = draw(st.sampled_from(["/new-account", "/new-account", "/nonce", "/directory"]))
    body = draw(st.one_of(st.sampled_from(JSON_BODIES), st.binary(max_size=40)))
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]  # truncated
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["Retry-After"] = draw(
            st.sampled_from(["0", "1", "-5", "99999999999", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", ""])
        )
    if draw(st.booleans()):
        headers["Replay-Nonce"] = draw(st.sampled_from(["", "not base64url!", "=", "a" * 300, "\x7f"]))
    if draw(st.booleans()):
        headers["Location"] = draw(st.sampled_from(["", "http://127.0.0.1:1/acct/1", "::"]))
    return FaultyAnswer(
        path=path,
        status=draw(st.sampled_from([200, 201, 204, 301, 400, 403, 404, 429, 500, 503])),
        content_type=draw(
            st.sampled_from(["application/json", "application/problem+json", "text/html", None, "x/y"])
        ),
        body=body,
        headers=headers,
    )


@contextmanager
def _serving() -> Iterator[FaultyAcmeServer]:
    with FaultyAcmeServer() as server:
        yield server


@asynccontextmanager
async def faulty_acme() -> AsyncIterator[FaultyAcmeServer]:
    with _serving() as server:
        yield server


async def check_acme_answer(answer: FaultyAnswer, server: FaultyAcmeServer, tally: Tally) -> None:
    server.answer = answer
    client = AcmeClient(server.directory_url, ACCOUNT_KEY, timeout=5, bad_nonce_retries=1, max_inline_wait=0)
    try:
        await asyncio.to_thread(client.register, "ops@example.com")
    except AcmeError as error:
        clear = each_line_names([str(error)], ("ACME", "account", "nonce"))
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{answer!r}\n-> {error}")
    except Exception as error:
        tally.crashed(answer, error)
    else:
        tally.add(Outcome.ACCEPTED)
