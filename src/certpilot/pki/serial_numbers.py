"""Random certificate serial numbers, read from the OS CSPRNG in batches.

os.urandom releases the GIL, and on the event loop thread getting it back waits behind the other
threads' Python work: the profile showed 16 bytes of urandom per certificate costing half as much
loop time as signing the certificate. The bytes are the same CSPRNG output, read 4 KiB (256
serials) at a time; each is handed out once.
"""

from __future__ import annotations

import os
import threading

SERIAL_BYTES = 16  # 128 bits: RFC 5280 allows 20 octets; CAs must use at least 64 random bits
BATCH_SERIALS = 256


class RandomSerialNumbers:
    def __init__(self, batch_serials: int = BATCH_SERIALS) -> None:
        if batch_serials < 1:
            raise ValueError(f"batch_serials must be at least 1, got {batch_serials}")
        self._batch_bytes = batch_serials * SERIAL_BYTES
        self._buffer = b""
        self._offset = 0
        # Signing happens on the event loop and in the blocking thread pool alike.
        self._lock = threading.Lock()

    def next(self) -> int:
        """A random positive serial of up to 128 bits, never handed out before by this source."""
        with self._lock:
            if self._offset + SERIAL_BYTES > len(self._buffer):
                self._buffer, self._offset = os.urandom(self._batch_bytes), 0
            chunk = self._buffer[self._offset : self._offset + SERIAL_BYTES]
            self._offset += SERIAL_BYTES
        return int.from_bytes(chunk, "big") or 1


SERIAL_NUMBERS = RandomSerialNumbers()
