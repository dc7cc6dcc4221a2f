"""`certpilot rotate-encryption-key`: seal every Secret in the store again with a new key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certpilot.cli.context import resolve_store_path
from certpilot.cli.errors import CLIError
from certpilot.cli.options import EncryptionKeyOption, StoreOption
from certpilot.runtime.lock import InstanceLock, InstanceLocked
from certpilot.store.sealing import Sealing, key_id, read_key_file, reseal_everything
from certpilot.store.sqlite_schema import open_connection


def rotate_encryption_key_command(
    new_key_file: Annotated[
        Path, typer.Option("--new-key-file", help="The key to seal with from now on (32 bytes, base64).")
    ],
    store: StoreOption = None,
    encryption_key_file: EncryptionKeyOption = None,
) -> None:
    """Re-encrypt every Secret in the store with a new key (the daemon must be stopped).

    --encryption-key-file is the key in use now; leave it out to encrypt a store kept plain so far.
    Afterwards run the daemon and the commands with --encryption-key-file set to the new key."""
    path = resolve_store_path(store)
    if not path.exists():
        raise CLIError(f"no store at {path}")
    new_key = read_key_file(new_key_file)
    old_keys = [read_key_file(encryption_key_file)] if encryption_key_file is not None else []
    lock = InstanceLock.for_store(path)
    try:
        lock.acquire()
    except InstanceLocked as e:
        raise CLIError(f"{e}: stop the daemon before rotating its encryption key") from None
    try:
        connection = open_connection(str(path), Sealing.with_keys(new_key, *old_keys))
        try:
            rewritten = reseal_everything(connection)
        finally:
            connection.close()
    finally:
        lock.release()
    typer.echo(f"re-encrypted {rewritten} Secret bodies with key {key_id(new_key)}")
