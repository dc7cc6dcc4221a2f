"""Every fuzz target, by name: what tests/fuzz runs at a small size and bench/fuzz.py at full size."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from certpilot.store.sqlite import SQLiteStore
from tests.fuzz.fuzz_acme_responses import broken_answers, check_acme_answer, faulty_acme
from tests.fuzz.fuzz_dns_answers import check_dns_answer, dns_cases, faulty_dns
from tests.fuzz.fuzz_manifests import apply_broken_manifest, broken_manifests
from tests.fuzz.fuzz_pki_blobs import ca_secret_cases, check_ca_secret, check_csr, csr_cases
from tests.fuzz.fuzz_runner import FuzzTarget


@asynccontextmanager
async def scratch_store() -> AsyncIterator[SQLiteStore]:
    with tempfile.TemporaryDirectory(prefix="certpilot-fuzz-") as folder:
        store = SQLiteStore(Path(folder) / "store.db")
        try:
            yield store
        finally:
            await store.close()


TARGETS = {
    target.name: target
    for target in (
        FuzzTarget("manifests", broken_manifests(), apply_broken_manifest, scratch_store),
        FuzzTarget("ca_secrets", ca_secret_cases(), check_ca_secret, scratch_store),
        FuzzTarget("csrs", csr_cases(), check_csr, scratch_store),
        FuzzTarget("dns_answers", dns_cases, check_dns_answer, faulty_dns),
        FuzzTarget("acme_responses", broken_answers(), check_acme_answer, faulty_acme),
    )
}
