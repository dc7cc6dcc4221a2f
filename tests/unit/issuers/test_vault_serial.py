"""Vault names a certificate by its serial as colon-separated hex byte pairs (`pki/revoke`)."""

from __future__ import annotations

from certpilot.issuers.vault import vault_serial


def test_serials_are_written_as_vault_spells_them() -> None:
    assert vault_serial(0x1F) == "1f"
    assert vault_serial(0x1ABC) == "1a:bc"
    assert vault_serial(0xABC) == "0a:bc"
