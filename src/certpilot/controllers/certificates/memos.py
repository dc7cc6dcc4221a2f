"""What the Certificate controllers remember between reconciles, owned by one set of them.

Trigger, readiness, issuing and the request manager ask the same costly questions on every
reconcile about the same object versions: parse the Secret's certificate and key, compare them,
compare the current request's CSR with the spec, run the policy chains. `CertificateMemos` keeps
those answers. One instance is made per set of Certificate controllers (setup.build) and dies with
them; tests get a fresh one per controller or PolicyInput, so nothing leaks between them.

Every key is made here, by `versions`, from the versions of exactly the objects the answer is
computed from: a Secret by uid + resourceVersion (any change to it), a spec by uid + generation
(the store bumps generation on every spec change). An object never stored has no version, so its
answers are computed every time. tests/unit/controllers/certificates/test_memo_keys.py changes each
input in turn and checks that the answer is computed afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, Literal, TypeVar

from cryptography import x509

from certpilot.api.annotations import FALLBACK_ISSUERS
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.api.meta import Resource
from certpilot.controllers.certificates.parsed_secrets import (
    ParsedCertificate,
    ParsedKey,
    parse_key,
    parse_leaf,
)
from certpilot.controllers.certificates.policies.request_key import csr_key_problem
from certpilot.controllers.certificates.policies.request_match import asks_the_same, compare_request_with_spec
from certpilot.pki.keys import PrivateKey
from certpilot.runtime.bounded_memo import BoundedMemo, Missing
from certpilot.runtime.object_versions import VersionKey, spec_version, stored_version

# Enough for the Certificates being worked on at once; on a restart the controllers check every
# Certificate in the same order, close together, so a Certificate's entries are still there when
# the next controller reaches it.
MEMO_CAPACITY = 1024

V = TypeVar("V")

# When a certificate is due for renewal, and why no renewal window could be found.
RenewalSchedule = tuple[datetime | None, str | None]

# Which version of an object a key takes: the whole stored object, or only its spec; "maybe stored"
# for an input whose absence is itself an input (the current request of a Certificate).
Part = Literal["stored", "spec", "maybe stored"]


def issuer_choice(certificate: Certificate) -> str:
    """The part of a Certificate outside its spec that says which issuers may sign for it (the
    fallback list, an annotation: annotations do not bump generation). Answers that compare an
    issuer with the Certificate's name it next to the spec's version."""
    return (certificate.metadata.annotations or {}).get(FALLBACK_ISSUERS, "")


def versions(*inputs: tuple[Part, Resource | None] | str) -> VersionKey | None:
    """The memo key of an answer computed from exactly `inputs`: (part, object) pairs and plain
    names (which data key, which chain). None when an object was never stored, or is absent
    unless "maybe stored": such answers are never remembered."""
    # Each part kept whole, so a memo can tell which objects' versions a key names (names_any_of).
    key: list[Hashable] = []
    for item in inputs:
        if isinstance(item, str):
            key.append((item,))
            continue
        part, obj = item
        if obj is None:
            if part != "maybe stored":
                return None
            key.append((None, None))
            continue
        version = spec_version(obj) if part == "spec" else stored_version(obj)
        if version is None:
            return None
        key.append(version)
    return tuple(key)


class CertificateMemos:
    def __init__(self, capacity: int = MEMO_CAPACITY) -> None:
        self._leaves: BoundedMemo[ParsedCertificate] = BoundedMemo(capacity)
        self._keys: BoundedMemo[ParsedKey] = BoundedMemo(capacity)
        self._key_pair_matches: BoundedMemo[bool] = BoundedMemo(capacity)
        self._issued_mismatches: BoundedMemo[tuple[str, ...]] = BoundedMemo(capacity)
        self._request_mismatches: BoundedMemo[tuple[str, ...]] = BoundedMemo(capacity)
        self._why_not_made_for: BoundedMemo[str | None] = BoundedMemo(capacity)
        self._renewal_schedules: BoundedMemo[RenewalSchedule] = BoundedMemo(capacity)
        # The policy chains' verdicts (policies.Verdict: that module builds on this one).
        self._verdicts: BoundedMemo[Any] = BoundedMemo(capacity)
        # Every memo above, found here so that one added later cannot be left out.
        self._every_memo = tuple(m for m in vars(self).values() if isinstance(m, BoundedMemo))

    def forget_deleted(self, obj: Resource) -> None:
        """Drop every answer computed from a version of obj, which was deleted (its parsed
        certificate and key stayed in memory until pushed out by 1,024 newer ones)."""
        uid = obj.metadata.uid
        if uid is None:
            return
        for memo in self._every_memo:
            memo.forget_object(uid)

    # A Secret's certificate and key, parsed once per Secret version. Only parsed objects are
    # kept: no PEM bytes, and nothing here is logged or shown.

    def parsed_leaf(self, secret: Secret, data_key: str) -> ParsedCertificate:
        """The leaf certificate of `data_key` (tls.crt), or why it could not be read."""
        return self._leaves.get_or_compute(
            versions(("stored", secret), data_key), lambda: parse_leaf(secret.get_data(data_key) or b"")
        )

    def parsed_key(self, secret: Secret, data_key: str) -> ParsedKey:
        """The private key of `data_key` (tls.key), or why it could not be read."""
        return self._keys.get_or_compute(
            versions(("stored", secret), data_key), lambda: parse_key(secret.get_data(data_key) or b"")
        )

    def remember_parsed_leaf(self, secret: Secret, data_key: str, leaf: x509.Certificate) -> None:
        """For a Secret this process has just written from a chain it parsed (its first certificate)."""
        self._leaves.put(versions(("stored", secret), data_key), ParsedCertificate(leaf, None))

    def remember_parsed_key(self, secret: Secret, data_key: str, key: PrivateKey) -> None:
        """For a Secret this process has just written with `key` encoded."""
        self._keys.put(versions(("stored", secret), data_key), ParsedKey(key, None))

    # Questions about one Secret version, or a Secret and a spec.

    def key_pair_matches(self, secret: Secret | None, compute: Callable[[], bool]) -> bool:
        return self._key_pair_matches.get_or_compute(versions(("stored", secret)), compute)

    def remember_key_pair_matches(self, secret: Secret) -> None:
        """For a Secret this process has just written from a key pair it checked."""
        self._key_pair_matches.put(versions(("stored", secret)), True)

    def issued_mismatches(
        self, secret: Secret | None, certificate: Certificate, compute: Callable[[], list[str]]
    ) -> list[str]:
        key = versions(("stored", secret), ("spec", certificate), issuer_choice(certificate))
        return list(self._issued_mismatches.get_or_compute(key, lambda: tuple(compute())))

    def renewal_schedule(
        self,
        secret: Secret | None,
        certificate: Certificate,
        issuer_ca: x509.Certificate | None,
        compute: Callable[[], RenewalSchedule],
    ) -> RenewalSchedule:
        """When the Secret's certificate renews (policy_input.PolicyInput.renewal_schedule): read
        from the Secret (its leaf, the CA's ARI window in its annotations), the spec (renewBefore,
        renewal windows, and the uid that fixes the jitter) and the issuer's CA certificate (named
        by its signature). The trigger and readiness both ask it about every Certificate."""
        issuer = issuer_ca.signature.hex() if issuer_ca is not None else "no issuer CA"
        key = versions(("stored", secret), ("spec", certificate), issuer)
        return self._renewal_schedules.get_or_compute(key, compute)

    # A CertificateRequest against the spec and against the next private key.

    def request_mismatches(self, request: CertificateRequest, certificate: Certificate) -> list[str]:
        """The fields (cert-manager's spec paths) on which request differs from certificate's
        spec; empty when it still matches."""
        key = versions(("spec", request), ("spec", certificate), issuer_choice(certificate))
        return list(
            self._request_mismatches.get_or_compute(
                key, lambda: tuple(compare_request_with_spec(request, certificate))
            )
        )

    def remember_built_request(
        self, stored: CertificateRequest, built: CertificateRequest, certificate: Certificate
    ) -> None:
        """Records that `stored` matches `certificate`'s spec when it asks what `built` does, `built`
        being build_request's answer for that very spec version (by construction it matches)."""
        if asks_the_same(stored, built):
            key = versions(("spec", stored), ("spec", certificate), issuer_choice(certificate))
            self._request_mismatches.put(key, ())

    def why_not_made_for(
        self, request: CertificateRequest, key: PrivateKey, key_secret: Secret | None
    ) -> str | None:
        """Why request's CSR is not one for `key` (held in `key_secret`), or None when it is."""
        return self._why_not_made_for.get_or_compute(
            versions(("spec", request), ("stored", key_secret)), lambda: csr_key_problem(request, key)
        )

    def remember_made_for(
        self, stored: CertificateRequest, built: CertificateRequest, key_secret: Secret
    ) -> None:
        """Records that `stored` was made for the key of `key_secret` when it carries the CSR of
        `built`, which build_request signed with that key."""
        if stored.spec.request == built.spec.request:
            self._why_not_made_for.put(versions(("spec", stored), ("stored", key_secret)), None)

    # The policy chains' verdicts, by chain and by the versions the versioned checks read.

    def verdict(self, key: VersionKey | None, compute: Callable[[], V]) -> V:
        """The verdict remembered under `key` (made by versions(), naming the chain), or compute()'s."""
        found: V = self._verdicts.get_or_compute(key, compute)
        return found

    def known_verdict(self, key: VersionKey | None) -> Any:
        """The verdict remembered under `key`, or Missing.MISSING."""
        return self._verdicts.get(key, Missing.MISSING)
