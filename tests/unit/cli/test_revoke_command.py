"""`certpilot revoke` refusals that need no CA: an unknown reason, a CA issuer (no revocation list
to write to), a Secret without a certificate. Each exits 1 with the cause named and stores nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.cli.main import app
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing import builders


def stored(path: Path, *, with_certificate: bool) -> None:
    async def fill() -> None:
        store = SQLiteStore(path)
        cert = builders.certificate("web", issuer="ca")
        await store.create(cert)
        await store.create(builders.issuer_ca("ca"))
        key = builders.ec_key()
        secret = builders.issued_secret(cert, key) if with_certificate else builders.secret_tls("web-tls")
        await store.create(secret)
        await store.close()

    asyncio.run(fill())


def revoke(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["revoke", "web", "--store", str(path), *args])
    return result.exit_code, str(result.output) + str(result.exception or "")


def annotations_of_web(path: Path) -> dict[str, str]:
    async def read() -> dict[str, str]:
        store = SQLiteStore(path)
        cert = await store.get(Certificate, "web", "default")
        await store.close()
        return dict(cert.metadata.annotations or {})

    return asyncio.run(read())


def test_an_unknown_reason_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    code, output = revoke(tmp_path / "store.db", "--reason", "oops")
    assert code != 0 and "--reason: revocation reason 'oops'" in output


def test_a_ca_issuer_cannot_revoke_and_nothing_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    stored(path, with_certificate=True)
    code, output = revoke(path, "--reason", "superseded")
    assert code != 0
    assert "issuer 'ca' is a ca issuer: certpilot revokes only through ACME and Vault issuers" in output
    assert keys.REVOKED_SERIAL not in annotations_of_web(path)


def test_a_secret_without_a_certificate_is_named(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    stored(path, with_certificate=False)
    code, output = revoke(path)
    assert code != 0 and 'Secret "default/web-tls" holds no certificate' in output
