"""A deliberately broken ACME server for fuzzing the ACME client: a valid directory and nonces,
then, for the one request under test, whatever answer the test sets (malformed JSON, a wrong
content type, 500, 429 with any Retry-After, a truncated body, a garbage nonce...). A stand-in,
because pebble cannot be told to misbehave like this; the client is tested against pebble for
everything else.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from certpilot.testing.peers.ports import LOOPBACK_V4

GOOD_NONCE = "c2VydmVyLW5vbmNlLTAwMDE"


@dataclass
class FaultyAnswer:
    """What the server answers to `path` (the others are answered correctly)."""

    path: str = "/new-account"
    status: int = 200
    content_type: str | None = "application/json"
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)


class FaultyAcmeServer:
    """Serves http://127.0.0.1:<port>/directory; set `answer` before each request under test."""

    def __init__(self) -> None:
        self.answer = FaultyAnswer()
        self.requests = 0
        self._server = ThreadingHTTPServer((LOOPBACK_V4, 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-acme", daemon=True)

    @property
    def directory_url(self) -> str:
        return f"http://{LOOPBACK_V4}:{self._server.server_address[1]}/directory"

    def directory(self) -> dict[str, str]:
        base = self.directory_url.removesuffix("/directory")
        return {name: f"{base}/{path}" for name, path in _DIRECTORY_PATHS.items()}

    def __enter__(self) -> FaultyAcmeServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


_DIRECTORY_PATHS = {
    "newNonce": "nonce",
    "newAccount": "new-account",
    "newOrder": "new-order",
    "revokeCert": "revoke",
    "keyChange": "key-change",
}


def _handler_for(server: FaultyAcmeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str]) -> None:
            self.send_response(status)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            headers = {"Replay-Nonce": GOOD_NONCE, **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _answer(self) -> None:
            server.requests += 1
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            answer = server.answer
            if self.path == answer.path:
                self._send(answer.status, answer.body, answer.content_type, answer.headers)
            elif self.path == "/directory":
                self._send(200, json.dumps(server.directory()).encode(), "application/json", {})
            else:
                self._send(200 if self.command != "POST" else 404, b"", None, {})

        do_GET = do_HEAD = do_POST = _answer

    return Handler
