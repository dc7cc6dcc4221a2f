"""One Kubernetes watch as an endless stream of WatchEvents that survives API server restarts.

The API server ends a watch after `timeoutSeconds`, and drops it when it restarts; the stream
then resumes from the last resourceVersion it saw, which bookmarks keep recent even while nothing
of the watched kind changes. When that version is too old for the server (410 Gone, after etcd
compaction) the stream raises Gone and the caller lists again, as client-go's reflector does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from certpilot.api.meta import Resource
from certpilot.store.errors import StoreError
from certpilot.store.kube_errors import store_error
from certpilot.store.kube_transport import ErrorAnswer, KubeTransport, TransportFailure
from certpilot.store.protocol import WatchEvent

T = TypeVar("T", bound=Resource)

log = logging.getLogger(__name__)

# The server ends each watch after a random 5 ± 0.5 minutes (client-go's spread), so many
# watches do not all reconnect at once.
_WATCH_SECONDS = 300
_RETRY_BASE_S = 0.2
_RETRY_CAP_S = 5.0

Decode = Callable[[type[T], dict[str, Any]], T | None]


@dataclass(frozen=True)
class WatchRequest:
    kind: type[Resource]
    path: str
    label_selector: str | None


async def watch_stream(
    transport: KubeTransport,
    request: WatchRequest,
    kind: type[T],
    resource_version: str,
    decode: Decode[T],
    closed: Callable[[], bool],
) -> AsyncIterator[WatchEvent[T]]:
    """Events after resource_version, forever (until `closed()`); raises Gone or other StoreErrors
    the server answers with, retries transport failures with capped backoff."""
    last = resource_version
    failures = 0
    while not closed():
        params = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": last,
            "timeoutSeconds": str(int(_WATCH_SECONDS * random.uniform(0.9, 1.1))),
        }
        if request.label_selector:
            params["labelSelector"] = request.label_selector
        try:
            async with transport.stream(request.path, params) as lines:
                failures = 0
                async for line in lines:
                    event = json.loads(line)
                    event_type, body = event.get("type"), event.get("object") or {}
                    if event_type == "ERROR":
                        raise _error_event(body, request)
                    last = str((body.get("metadata") or {}).get("resourceVersion") or last)
                    if event_type not in ("ADDED", "MODIFIED", "DELETED"):
                        continue  # BOOKMARK: only its resourceVersion matters
                    decoded = decode(kind, body)
                    if decoded is not None:
                        yield WatchEvent(event_type, decoded)
        except ErrorAnswer as refused:
            raise store_error(refused.answer.status, refused.answer.body, _what(request)) from None
        except TransportFailure as error:
            if closed():
                return
            failures += 1
            delay = min(_RETRY_CAP_S, _RETRY_BASE_S * 2 ** (failures - 1))
            log.warning(
                "watch interrupted, resuming",
                extra={"kind": request.kind.KIND, "error": str(error), "retry_in": delay},
            )
            await asyncio.sleep(delay)


def _error_event(status: dict[str, Any], request: WatchRequest) -> StoreError:
    code = int(status.get("code") or 500)
    return store_error(code, json.dumps(status).encode(), _what(request))


def _what(request: WatchRequest) -> str:
    return f"watch {request.kind.PLURAL}"
