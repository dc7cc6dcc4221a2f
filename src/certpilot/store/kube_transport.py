"""HTTP to one Kubernetes API server over aiohttp: requests, and streams for watches.

One session (connection pool) per transport, created in the event loop that first uses it; the
Authorization header comes from KubeCredentials, refreshed once on a 401.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from certpilot.store.kube_connection import KubeConnection
from certpilot.store.kube_credentials import KubeCredentials

# Watches are long polls: no read timeout on their streams, this one for everything else.
REQUEST_TIMEOUT_S = 30.0
# Connections kept to the API server: watches hold one each, writes share the rest.
MAX_CONNECTIONS = 64
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class TransportFailure(Exception):
    """The API server could not be reached, or the connection broke mid-answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]


class ErrorAnswer(Exception):
    """A stream's request was answered with an error status instead of a body to follow."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"HTTP {answer.status}")
        self.answer = answer


class KubeTransport:
    def __init__(self, connection: KubeConnection) -> None:
        self.connection = connection
        self._credentials = KubeCredentials(connection.config.user)
        self._session: aiohttp.ClientSession | None = None
        self._server = connection.server.rstrip("/")

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> Answer:
        for attempt in range(2):
            try:
                async with self._open().request(
                    method, self._url(path), params=params, data=body, headers=await self._headers()
                ) as response:
                    answer = Answer(response.status, await response.read(), response.headers)
            except (aiohttp.ClientError, TimeoutError) as error:
                raise TransportFailure(f"{type(error).__name__}: {error}") from None
            if answer.status != 401 or attempt:
                return answer
            self._credentials.rejected()
        raise AssertionError("unreachable: the second attempt returns")

    @asynccontextmanager
    async def stream(self, path: str, params: Mapping[str, str]) -> AsyncIterator[AsyncIterator[bytes]]:
        """A long-lived GET (a watch) answering 200: its body's lines as they come, no read timeout.
        An error answer raises its StoreError-to-be as ErrorAnswer; a broken connection raises
        TransportFailure, while connecting or while reading."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=REQUEST_TIMEOUT_S, sock_read=None)
        try:
            response = await self._open().get(
                self._url(path), params=params, headers=await self._headers(), timeout=timeout
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TransportFailure(f"{type(error).__name__}: {error}") from None
        try:
            if response.status >= 400:
                if response.status == 401:
                    self._credentials.rejected()
                raise ErrorAnswer(Answer(response.status, await response.read(), response.headers))
            yield _lines(response.content)
        finally:
            response.release()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _headers(self) -> dict[str, str]:
        authorization = await self._credentials.header()
        return {**_JSON, "Authorization": authorization} if authorization else dict(_JSON)

    def _url(self, path: str) -> str:
        # The server URL may carry a path of its own (an API proxy's): keep it.
        return self._server + path

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.connection.ssl_context(), limit=MAX_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                raise_for_status=False,
            )
        return self._session


async def _lines(body: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """The body's newline-separated documents, however long (a Secret may be megabytes)."""
    pending = b""
    try:
        async for chunk in body.iter_any():
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                if line.strip():
                    yield line
    except (aiohttp.ClientError, TimeoutError) as error:
        raise TransportFailure(f"{type(error).__name__}: {error}") from None
    if pending.strip():
        yield pending
