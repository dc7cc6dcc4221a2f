"""Serial numbers: positive, at most 128 bits, never repeated, read from os.urandom in batches."""

from __future__ import annotations

import os

import pytest

from certpilot.pki.serial_numbers import SERIAL_BYTES, RandomSerialNumbers


def test_serials_are_positive_128_bit_and_distinct() -> None:
    source = RandomSerialNumbers()
    serials = [source.next() for _ in range(1000)]
    assert all(0 < s < 2**128 for s in serials)
    assert len(set(serials)) == len(serials)
    assert max(serials).bit_length() > 120, "the whole 128 bits are random"


def test_urandom_is_read_once_per_batch_and_every_byte_used_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[bytes] = []
    real_urandom = os.urandom

    def recorded_urandom(size: int) -> bytes:
        reads.append(real_urandom(size))
        return reads[-1]

    monkeypatch.setattr(os, "urandom", recorded_urandom)
    source = RandomSerialNumbers(batch_serials=2)
    serials = [source.next() for _ in range(5)]
    assert [len(r) for r in reads] == [2 * SERIAL_BYTES] * 3
    handed_out = b"".join(s.to_bytes(SERIAL_BYTES, "big") for s in serials)
    assert handed_out == b"".join(reads)[: 5 * SERIAL_BYTES]


def test_batch_must_hold_a_serial() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RandomSerialNumbers(batch_serials=0)
