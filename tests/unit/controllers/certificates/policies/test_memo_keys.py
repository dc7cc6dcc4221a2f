"""A change to any input of a remembered answer misses the memo.

Random edits to a Certificate (spec, metadata, status), its Secret and its current request are
versioned as the store versions them (every write a new resourceVersion; a spec change a new
generation). After each edit, every answer CertificateMemos gives, warmed on the versions before,
must equal the answer computed from scratch: a memo key that left out something an answer reads
would hand back the stale answer.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cryptography import x509
from hypothesis import example, given, settings
from hypothesis import strategies as st

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, RotationPolicy
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance, not_ready_reason
from certpilot.controllers.certificates.policies.policy_input import (
    TLS_CERT_KEY,
    TLS_PRIVATE_KEY_KEY,
    PolicyInput,
)
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request
from certpilot.pki.keys import PrivateKey, encode_private_key
from certpilot.testing.builders import certificate, ec_key, issued_secret, self_signed_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEYS = [ec_key(), ec_key()]
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
NEVER = RotationPolicy.NEVER
_versions = itertools.count(1)


@dataclass(frozen=True)
class World:
    certificate: Certificate
    secret: Secret
    request: CertificateRequest
    # The CA certificate the Certificate's CA issuer signs with now (the leaf is self-signed, so
    # any CA here is a rotation that moves the renewal earlier).
    issuer_ca: x509.Certificate | None = None


def stored(obj: Certificate | Secret | CertificateRequest, before: object | None, uid: str) -> None:
    """Versions obj as the store does: a new resourceVersion on every write, a new generation when
    the spec changed (Secrets have no generation)."""
    obj.metadata.uid = uid
    obj.metadata.resource_version = str(next(_versions))
    if isinstance(obj, Secret):
        return
    previous = getattr(before, "spec", None)
    generation = getattr(getattr(before, "metadata", None), "generation", None) or 0
    obj.metadata.generation = generation if previous == obj.spec else generation + 1


def first_world() -> World:
    cert = certificate("web", private_key=EC)
    secret = issued_secret(cert, KEYS[0], not_before=NOW - timedelta(days=1))
    request = build_request(cert, KEYS[0], 1, "web-next")
    for obj, uid in ((cert, "uid-cert"), (secret, "uid-secret"), (request, "uid-request")):
        stored(obj, None, uid)
    return World(cert, secret, request)


Edit = Callable[[World], World]


def on_certificate(change: Callable[[Certificate], None]) -> Edit:
    def edit(w: World) -> World:
        cert = w.certificate.model_copy(deep=True)
        change(cert)
        stored(cert, w.certificate, "uid-cert")
        return replace(w, certificate=cert)

    return edit


def on_secret(change: Callable[[Secret], None]) -> Edit:
    def edit(w: World) -> World:
        secret = w.secret.model_copy(deep=True)
        change(secret)
        stored(secret, w.secret, "uid-secret")
        return replace(w, secret=secret)

    return edit


def on_request(change: Callable[[CertificateRequest], None]) -> Edit:
    def edit(w: World) -> World:
        request = w.request.model_copy(deep=True)
        change(request)
        stored(request, w.request, "uid-request")
        return replace(w, request=request)

    return edit


def set_data(key: str, value: bytes) -> Callable[[Secret], None]:
    def change(secret: Secret) -> None:
        secret.data = {**(secret.data or {}), key: base64.b64encode(value).decode()}

    return change


def other_cert_pem(w: World) -> bytes:
    return self_signed_for(w.certificate, KEYS[1], not_before=NOW - timedelta(days=2))


EDITS: dict[str, Edit] = {
    "dnsNames": on_certificate(lambda c: setattr(c.spec, "dns_names", ["other.example.com"])),
    "duration": on_certificate(lambda c: setattr(c.spec, "duration", "240h")),
    "renewBefore": on_certificate(lambda c: setattr(c.spec, "renew_before", "2000h")),
    "issuerRef": on_certificate(lambda c: setattr(c.spec, "issuer_ref", IssuerReference(name="other"))),
    "privateKey": on_certificate(
        lambda c: setattr(c.spec, "private_key", CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.RSA))
    ),
    "rotationPolicy": on_certificate(
        lambda c: setattr(
            c.spec, "private_key", EC.model_copy(update={"rotation_policy": RotationPolicy.NEVER})
        )
    ),
    "usages": on_certificate(lambda c: setattr(c.spec, "usages", [KeyUsage.CLIENT_AUTH])),
    "isCA": on_certificate(lambda c: setattr(c.spec, "is_ca", True)),
    "certificate labels": on_certificate(lambda c: setattr(c.metadata, "labels", {"team": "x"})),
    "certificate annotations": on_certificate(lambda c: setattr(c.metadata, "annotations", {"a": "b"})),
    "fallback issuers": on_certificate(
        lambda c: setattr(c.metadata, "annotations", {ann.FALLBACK_ISSUERS: "Issuer/ca"})
    ),
    "certificate status": on_certificate(lambda c: setattr(c, "status", CertificateStatus(revision=7))),
    "tls.crt": on_secret(lambda s: None),  # replaced below: needs the world
    "tls.key": on_secret(set_data(TLS_PRIVATE_KEY_KEY, encode_private_key(KEYS[1]))),
    "tls.crt garbage": on_secret(set_data(TLS_CERT_KEY, b"not a certificate")),
    "secret issuer annotation": on_secret(
        lambda s: setattr(s.metadata, "annotations", {**(s.metadata.annotations or {}), ann.ISSUER_NAME: "x"})
    ),
    "secret certificate-name annotation": on_secret(
        lambda s: setattr(
            s.metadata, "annotations", {**(s.metadata.annotations or {}), ann.CERTIFICATE_NAME: "other"}
        )
    ),
    "secret labels": on_secret(lambda s: setattr(s.metadata, "labels", {"x": "y"})),
    "request CSR": on_request(lambda r: setattr(r.spec, "request", build_request_csr_for_other_key())),
    "request duration": on_request(lambda r: setattr(r.spec, "duration", "1h")),
    "request usages": on_request(lambda r: setattr(r.spec, "usages", [KeyUsage.CLIENT_AUTH])),
    "request issuerRef": on_request(lambda r: setattr(r.spec, "issuer_ref", IssuerReference(name="other"))),
}


def build_request_csr_for_other_key() -> str:
    return build_request(certificate("web", private_key=EC), KEYS[1], 1, "k").spec.request


def replace_tls_crt(w: World) -> World:
    return on_secret(set_data(TLS_CERT_KEY, other_cert_pem(w)))(w)


EDITS["tls.crt"] = replace_tls_crt


def issuer_ca_of(key: PrivateKey) -> Edit:
    ca = x509.load_pem_x509_certificate(self_signed_for(certificate("ca"), key, not_before=NOW))
    return lambda w: replace(w, issuer_ca=ca)


EDITS["issuer CA"] = issuer_ca_of(KEYS[0])
EDITS["issuer CA rotated"] = issuer_ca_of(KEYS[1])


def answers(w: World, memos: CertificateMemos) -> dict[str, object]:
    """Every answer the memos give about this world."""
    i = PolicyInput(w.certificate, w.secret, w.request, NOW, memos, w.issuer_ca)
    key = memos.parsed_key(w.secret, TLS_PRIVATE_KEY_KEY).key
    return {
        "needs_issuance": needs_issuance(i),
        "renewal schedule": i.renewal_schedule,
        "not_ready_reason": not_ready_reason(i),
        "parsed leaf": (memos.parsed_leaf(w.secret, TLS_CERT_KEY).certificate or "none").__repr__(),
        "request mismatches": memos.request_mismatches(w.request, w.certificate),
        "made for the key": None if key is None else memos.why_not_made_for(w.request, key, w.secret),
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4))
@example(["issuerRef", "fallback issuers"])  # the fallback annotation sits outside the spec
@example(["issuerRef", "request issuerRef"])
@example(["issuer CA", "issuer CA rotated"])
def test_every_remembered_answer_after_any_edits_equals_a_fresh_one(edits: list[str]) -> None:
    memos = CertificateMemos()
    world = first_world()
    answers(world, memos)
    for name in edits:
        world = EDITS[name](world)
        assert answers(world, memos) == answers(world, CertificateMemos()), f"stale after {name}"


def test_each_edit_changes_what_it_names() -> None:
    """The edits are real: each one changes at least one version (else the test above is vacuous)."""
    before = first_world()
    for name, edit in EDITS.items():
        after = edit(before)
        changed = [
            (a.metadata.resource_version != b.metadata.resource_version)
            for a, b in (
                (after.certificate, before.certificate),
                (after.secret, before.secret),
                (after.request, before.request),
            )
        ]
        assert any(changed) or after.issuer_ca is not before.issuer_ca, name
