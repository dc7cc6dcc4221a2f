"""`certpilot run --acme-http-timeout` reaches the ACME client the issuer registers its account with.

The peer is a plain HTTP server on 127.0.0.1 that answers only after SLOW_ANSWER_SECONDS: pebble
cannot be made to answer slowly, and how slowly a server answers is all this test is about."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.issuer import Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.base import IssuerContext, IssuerNotReady
from certpilot.issuers.registry import builtin_backends
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import NAMESPACE

SLOW_ANSWER_SECONDS = 3.0


class SlowDirectory(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        threading.Event().wait(SLOW_ANSWER_SECONDS)
        body = json.dumps({"newNonce": "", "newAccount": "", "newOrder": ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the issuer's error, not the server's log."""


@pytest.fixture
def slow_acme_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowDirectory)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/directory"
    server.shutdown()
    server.server_close()


async def test_the_acme_issuer_gives_up_on_a_server_slower_than_the_configured_timeout(
    store: SQLiteStore, clock: FakeClock, slow_acme_server: str
) -> None:
    issuer = Issuer(
        metadata=ObjectMeta(name="acme", namespace=NAMESPACE),
        spec=IssuerSpec(
            acme=ACMEIssuer(server=slow_acme_server, private_key_secret_ref={"name": "acme-key"})
        ),
    )
    backend = builtin_backends(acme_http_timeout=1).backend_for(issuer)
    ctx = IssuerContext(issuer=issuer, resource_namespace=NAMESPACE, store=store, clock=clock)
    # Under the default of 30 s the directory arrives after 3 s and registration goes on.
    with pytest.raises(IssuerNotReady, match="ReadTimeout"):
        await asyncio.wait_for(backend.check(ctx), timeout=SLOW_ANSWER_SECONDS * 10)
