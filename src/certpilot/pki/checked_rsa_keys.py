"""RSA private keys this process has already checked, remembered by the SHA-256 of their PEM.

OpenSSL's RSA key check (it tests p and q for primality) costs about 60 ms for a 2048-bit key, as
much as generating one, and the controllers parse the same Secret's key on many reconciles. A PEM
is checked in full the first time it is parsed; the same bytes after that are loaded without the
check, which is sound because they are byte for byte what passed it. A PEM this process encodes
from a key object it holds (generated here, or parsed with the check) is known-good as well.
Only digests are kept, never key material; the set is bounded, least recently used first out.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

# About 100 bytes per entry: 50,000 keys cost ~5 MB, and only RSA users pay it.
DEFAULT_CAPACITY = 50_000


class CheckedPems:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._digests: OrderedDict[bytes, None] = OrderedDict()
        # Parsing happens on the event loop and in the blocking thread pool alike.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._digests)

    def was_checked(self, pem: bytes) -> bool:
        digest = _digest(pem)
        with self._lock:
            if digest not in self._digests:
                return False
            self._digests.move_to_end(digest)
            return True

    def remember(self, pem: bytes) -> None:
        digest = _digest(pem)
        with self._lock:
            self._digests[digest] = None
            self._digests.move_to_end(digest)
            while len(self._digests) > self._capacity:
                self._digests.popitem(last=False)

    def forget(self, pem: bytes) -> None:
        digest = _digest(pem)
        with self._lock:
            self._digests.pop(digest, None)


def _digest(pem: bytes) -> bytes:
    return hashlib.sha256(pem).digest()


CHECKED_RSA_PEMS = CheckedPems()
