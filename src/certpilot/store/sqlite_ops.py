"""The SQLite store's operations on JSON bodies, run on its database thread.

Every body written is sealed and every body read is opened with the connection's Sealing
(store/sealing.py: Secrets may be encrypted at rest). Reads take a connection; writes take the
open Transaction, record every change in the change log with a fresh resourceVersion, and keep
the owner index current for cascade deletion. Writes return the stored object as the JSON text
they stored: the caller validates it with `model_validate_json`, cheaper on the event loop than
validating a dict, and the text is encoded here once anyway.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import uuid
from dataclasses import dataclass
from typing import Any

from certpilot.store import rules
from certpilot.store.errors import AlreadyExists, Gone, Invalid, NotFound
from certpilot.store.rules import Body
from certpilot.store.sealing import StoreConnection
from certpilot.store.sqlite_thread import Transaction


@dataclass(frozen=True)
class ObjectId:
    api_version: str
    kind: str
    namespace: str  # "" for cluster-scoped kinds
    name: str

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Change:
    resource_version: int
    type: str
    # The stored JSON text: models parse it directly (no intermediate dicts; see list_objects).
    text: str


def object_id(body: Body) -> ObjectId:
    metadata = body.get("metadata", {})
    return ObjectId(
        body["apiVersion"], body["kind"], metadata.get("namespace") or "", metadata.get("name") or ""
    )


def get_object(connection: StoreConnection, oid: ObjectId) -> Body:
    body = _load(connection, oid)
    if body is None:
        raise NotFound(f"{oid.describe()} not found")
    return body


def get_object_text(connection: StoreConnection, oid: ObjectId) -> str:
    """The stored JSON text of one object (NotFound when there is none)."""
    row = connection.execute(
        "SELECT body FROM objects WHERE api_version = ? AND kind = ? AND namespace = ? AND name = ?",
        (oid.api_version, oid.kind, oid.namespace, oid.name),
    ).fetchone()
    if row is None:
        raise NotFound(f"{oid.describe()} not found")
    return connection.sealing.open(row[0])


def list_objects(
    connection: StoreConnection, api_version: str, kind: str, namespace: str | None
) -> tuple[list[str], int]:
    """The objects' stored JSON texts and the resourceVersion they were read at, from one
    consistent snapshot. Texts, not dicts: the caller validates them one at a time straight into
    models (pydantic's JSON parser also shares repeated short strings), so listing 10,000
    objects never holds 10,000 dicts besides 10,000 models (~40 MB less at that size)."""
    connection.execute("BEGIN")
    try:
        if namespace is None:
            rows = connection.execute(
                "SELECT body FROM objects WHERE api_version = ? AND kind = ? ORDER BY namespace, name",
                (api_version, kind),
            ).fetchall()
        else:
            rows = connection.execute(
                "SELECT body FROM objects WHERE api_version = ? AND kind = ? AND namespace = ? ORDER BY name",
                (api_version, kind, namespace),
            ).fetchall()
        resource_version = _meta(connection, "resource_version")
    finally:
        connection.execute("COMMIT")
    return [connection.sealing.open(row[0]) for row in rows], resource_version


@dataclass(frozen=True)
class ChangeQuery:
    """What one watch asks for: changes to (api_version, kind) after resource_version."""

    api_version: str
    kind: str
    resource_version: int


def changes_after_each(
    connection: StoreConnection, queries: list[ChangeQuery], limit: int
) -> list[list[Change] | Gone]:
    """The changes each query asks for (at most limit each, oldest first), from one snapshot, or Gone
    for a query whose resourceVersion the log was trimmed past."""
    connection.execute("BEGIN")
    try:
        compacted_through = _meta(connection, "compacted_through")
        answers: list[list[Change] | Gone] = []
        for query in queries:
            if query.resource_version < compacted_through:
                answers.append(_gone(query.resource_version, compacted_through))
                continue
            rows = connection.execute(
                "SELECT rv, type, body FROM changes WHERE api_version = ? AND kind = ? AND rv > ? "
                "ORDER BY rv LIMIT ?",
                (query.api_version, query.kind, query.resource_version, limit),
            ).fetchall()
            opened = connection.sealing.open
            answers.append([Change(rv, change_type, opened(text)) for rv, change_type, text in rows])
    finally:
        connection.execute("COMMIT")
    return answers


def _gone(resource_version: int, compacted_through: int) -> Gone:
    return Gone(
        f"resourceVersion {resource_version} is too old (changes up to {compacted_through} were "
        "discarded): list again and watch from the list's resourceVersion"
    )


def create_object(transaction: Transaction, body: Body, now: str, has_status: bool) -> str:
    metadata = body.setdefault("metadata", {})
    if not metadata.get("name"):
        metadata["name"] = _generated_name(transaction.connection, body)
    oid = object_id(body)
    if _load(transaction.connection, oid) is not None:
        raise AlreadyExists(f"{oid.describe()} already exists: update it, or delete it first")
    metadata.pop("deletionTimestamp", None)
    metadata["uid"] = str(uuid.uuid4())
    metadata["creationTimestamp"] = now
    metadata["generation"] = 1
    if has_status:
        body.pop("status", None)
    encoded = _write(transaction, oid, body, "ADDED", previous=None)
    if _owners_all_gone(transaction.connection, body):
        # Kubernetes' garbage collector deletes an object whose owners are all gone: a create that
        # races with its owner's deletion must not leave an orphan behind.
        delete_object(transaction, oid, now)
    return encoded


def update_object(transaction: Transaction, incoming: Body, now: str, has_status: bool) -> str:
    oid = object_id(incoming)
    stored = get_object(transaction.connection, oid)
    rules.check_resource_version(stored, incoming)
    return _replace(transaction, oid, stored, rules.merged_for_update(stored, incoming, has_status), now)


def record_event(transaction: Transaction, event: Body, now: str) -> None:
    """Create the Event, or when one of that name exists raise its count and lastTimestamp: the
    client-go recorder's aggregation in one step, so racing recorders never conflict. The repeat
    is stored exactly as an update() of the stored Event with those two fields changed would."""
    oid = object_id(event)
    stored = _load(transaction.connection, oid)
    if stored is None:
        create_object(transaction, event, now, has_status=False)
        return
    repeated = {
        **stored,
        "count": (stored.get("count") or 1) + 1,
        "lastTimestamp": event.get("lastTimestamp"),
    }
    _replace(transaction, oid, stored, rules.merged_for_update(stored, repeated, has_status=False), now)


def update_object_status(transaction: Transaction, incoming: Body, now: str) -> str:
    oid = object_id(incoming)
    stored = get_object(transaction.connection, oid)
    rules.check_resource_version(stored, incoming)
    return _replace(transaction, oid, stored, rules.merged_for_status_update(stored, incoming), now)


def delete_object(transaction: Transaction, oid: ObjectId, now: str) -> None:
    stored = get_object(transaction.connection, oid)
    if stored["metadata"].get("finalizers"):
        if not rules.is_being_deleted(stored):
            marked = {**stored, "metadata": {**stored["metadata"], "deletionTimestamp": now}}
            _write(transaction, oid, marked, "MODIFIED", previous=stored)
        return
    _remove(transaction, oid, stored, now)


def _replace(transaction: Transaction, oid: ObjectId, stored: Body, new: Body, now: str) -> str:
    if rules.finalizers_done(new):
        return _remove(transaction, oid, new, now)
    if rules.same_apart_from_resource_version(stored, new):
        return _encode(stored)
    return _write(transaction, oid, new, "MODIFIED", previous=stored)


def _remove(transaction: Transaction, oid: ObjectId, body: Body, now: str) -> str:
    """Delete the row, log DELETED, then cascade to dependents (Kubernetes' background deletion)."""
    connection = transaction.connection
    uid = body["metadata"]["uid"]
    connection.execute(
        "DELETE FROM objects WHERE api_version = ? AND kind = ? AND namespace = ? AND name = ?",
        (oid.api_version, oid.kind, oid.namespace, oid.name),
    )
    connection.execute("DELETE FROM owner_refs WHERE dependent_uid = ?", (uid,))
    body["metadata"]["resourceVersion"] = str(transaction.next_resource_version())
    encoded = _log_change(transaction, oid, "DELETED", body)
    dependent_uids = [
        row[0]
        for row in connection.execute("SELECT dependent_uid FROM owner_refs WHERE owner_uid = ?", (uid,))
    ]
    connection.execute("DELETE FROM owner_refs WHERE owner_uid = ?", (uid,))
    for dependent_uid in dependent_uids:
        # Loaded one at a time: deleting one dependent may already have cascaded to the next.
        row = connection.execute("SELECT body FROM objects WHERE uid = ?", (dependent_uid,)).fetchone()
        if row is None:
            continue
        dependent = json.loads(connection.sealing.open(row[0]))
        dependent_id = object_id(dependent)
        if _another_owner_exists(connection, dependent, uid):
            _write(transaction, dependent_id, rules.without_owner(dependent, uid), "MODIFIED", dependent)
        else:
            delete_object(transaction, dependent_id, now)
    return encoded


def _owners_all_gone(connection: sqlite3.Connection, body: Body) -> bool:
    owners = rules.owner_uids(body)
    return bool(owners) and not any(
        connection.execute("SELECT 1 FROM objects WHERE uid = ?", (uid,)).fetchone() for uid in owners
    )


def _another_owner_exists(connection: sqlite3.Connection, dependent: Body, gone_uid: str) -> bool:
    others = [uid for uid in rules.owner_uids(dependent) if uid != gone_uid]
    return any(connection.execute("SELECT 1 FROM objects WHERE uid = ?", (uid,)).fetchone() for uid in others)


def _write(
    transaction: Transaction, oid: ObjectId, body: Body, change_type: str, previous: Body | None
) -> str:
    """Store body with the next resourceVersion and log the change; the stored JSON text."""
    connection = transaction.connection
    uid = body["metadata"]["uid"]
    body["metadata"]["resourceVersion"] = str(transaction.next_resource_version())
    encoded = _encode(body)
    sealed = connection.sealing.seal(encoded, oid.api_version, oid.kind)
    connection.execute(
        "INSERT OR REPLACE INTO objects (api_version, kind, namespace, name, uid, body) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (oid.api_version, oid.kind, oid.namespace, oid.name, uid, sealed),
    )
    owners = rules.owner_uids(body)
    if previous is None or owners != rules.owner_uids(previous):
        connection.execute("DELETE FROM owner_refs WHERE dependent_uid = ?", (uid,))
        connection.executemany(
            "INSERT OR IGNORE INTO owner_refs (owner_uid, dependent_uid) VALUES (?, ?)",
            [(owner, uid) for owner in owners],
        )
    return _log_change(transaction, oid, change_type, body, (encoded, sealed))


def _log_change(
    transaction: Transaction,
    oid: ObjectId,
    change_type: str,
    body: Body,
    stored: tuple[str, str] | None = None,
) -> str:
    """Log the change; the JSON text of body. stored: that text and its sealed form, when the
    caller has them (a Secret is sealed once per write, not once per table)."""
    if stored is None:
        text = _encode(body)
        sealed = transaction.connection.sealing.seal(text, oid.api_version, oid.kind)
    else:
        text, sealed = stored
    transaction.connection.execute(
        "INSERT INTO changes (rv, api_version, kind, type, body) VALUES (?, ?, ?, ?, ?)",
        (transaction.resource_version, oid.api_version, oid.kind, change_type, sealed),
    )
    transaction.changed(oid.api_version, oid.kind)
    return text


def _encode(body: Body) -> str:
    return json.dumps(body, separators=(",", ":"))


def _load(connection: StoreConnection, oid: ObjectId) -> Body | None:
    row = connection.execute(
        "SELECT body FROM objects WHERE api_version = ? AND kind = ? AND namespace = ? AND name = ?",
        (oid.api_version, oid.kind, oid.namespace, oid.name),
    ).fetchone()
    if row is None:
        return None
    loaded: dict[str, Any] = json.loads(connection.sealing.open(row[0]))
    return loaded


def _meta(connection: sqlite3.Connection, key: str) -> int:
    return int(connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])


def _generated_name(connection: StoreConnection, body: Body) -> str:
    """generateName plus five random characters, as the API server does, avoiding taken names."""
    prefix: str | None = body["metadata"].get("generateName")
    if not prefix:
        raise Invalid(f"a {body.get('kind')} needs metadata.name (or metadata.generateName)")
    alphabet = string.ascii_lowercase + string.digits
    while True:
        name = prefix + "".join(secrets.choice(alphabet) for _ in range(5))
        candidate = {**body, "metadata": {**body["metadata"], "name": name}}
        if _load(connection, object_id(candidate)) is None:
            return name
