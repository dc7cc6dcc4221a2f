"""Which issuer the next request goes to under certpilot.io/fallback-issuers: spec.issuerRef first,
the next one every N failed attempts, a not-Ready issuer passed over; bad annotations named."""

from __future__ import annotations

import pytest

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.controllers.certificates.policies.issuer_fallback import (
    InvalidFallbackIssuers,
    is_one_of_the_issuers,
    issuer_to_use,
    secret_issued_by_one_of_the_issuers,
)
from certpilot.testing import builders


def cert_with(**annotations: str) -> Certificate:
    cert = builders.certificate("web", issuer="acme")
    cert.metadata.annotations = annotations
    return cert


FALLBACKS = cert_with(**{keys.FALLBACK_ISSUERS: "Issuer/ca-backup, ClusterIssuer/other"})


def every_issuer_ready(ref: IssuerReference) -> bool:
    return True


def names(choice_ref: IssuerReference) -> tuple[str | None, str]:
    return choice_ref.kind, choice_ref.name


def test_without_failures_the_spec_issuer_issues() -> None:
    choice = issuer_to_use(FALLBACKS, 0, every_issuer_ready)
    assert names(choice.ref) == (None, "acme") and choice.why is None


def test_each_failure_moves_to_the_next_issuer_and_the_last_one_stays() -> None:
    first = issuer_to_use(FALLBACKS, 1, every_issuer_ready)
    assert names(first.ref) == ("Issuer", "ca-backup")
    assert first.why == "Issuer/acme failed (1 failed issuance attempts)"
    assert names(issuer_to_use(FALLBACKS, 2, every_issuer_ready).ref) == ("ClusterIssuer", "other")
    assert names(issuer_to_use(FALLBACKS, 9, every_issuer_ready).ref) == ("ClusterIssuer", "other")


def test_n_failures_per_issuer_come_from_the_annotation() -> None:
    cert = cert_with(**{keys.FALLBACK_ISSUERS: "ca-backup", keys.FALLBACK_AFTER_FAILURES: "3"})
    assert names(issuer_to_use(cert, 2, every_issuer_ready).ref) == (None, "acme")
    assert names(issuer_to_use(cert, 3, every_issuer_ready).ref) == ("Issuer", "ca-backup")


def test_an_issuer_that_is_not_ready_is_passed_over() -> None:
    choice = issuer_to_use(FALLBACKS, 0, lambda ref: ref.name == "other")
    assert names(choice.ref) == ("ClusterIssuer", "other")
    assert (
        choice.why == "Issuer/acme is not Ready, Issuer/ca-backup is not Ready (0 failed issuance attempts)"
    )
    # When none is Ready, the one whose turn it is gets the request (and reports why it waits).
    assert names(issuer_to_use(FALLBACKS, 1, lambda ref: False).ref) == ("Issuer", "ca-backup")


def test_without_the_annotation_nothing_changes() -> None:
    plain = cert_with()
    assert issuer_to_use(plain, 5, lambda ref: False).ref == plain.spec.issuer_ref


@pytest.mark.parametrize(
    ("annotations", "named"),
    [
        ({keys.FALLBACK_ISSUERS: "Secret/x"}, keys.FALLBACK_ISSUERS),
        ({keys.FALLBACK_ISSUERS: "Issuer/"}, keys.FALLBACK_ISSUERS),
        ({keys.FALLBACK_ISSUERS: "x", keys.FALLBACK_AFTER_FAILURES: "0"}, keys.FALLBACK_AFTER_FAILURES),
    ],
)
def test_bad_annotations_are_refused_naming_the_annotation(annotations: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidFallbackIssuers, match=named):
        issuer_to_use(cert_with(**annotations), 1, every_issuer_ready)


def test_a_request_or_secret_from_a_fallback_issuer_still_matches_the_certificate() -> None:
    backup = IssuerReference(name="ca-backup", kind="Issuer")
    assert is_one_of_the_issuers(FALLBACKS, backup)
    assert not is_one_of_the_issuers(cert_with(), backup)
    found = {
        keys.ISSUER_NAME: "other",
        keys.ISSUER_KIND: "ClusterIssuer",
        keys.ISSUER_GROUP: "cert-manager.io",
    }
    assert secret_issued_by_one_of_the_issuers(FALLBACKS, found)
    assert not secret_issued_by_one_of_the_issuers(cert_with(), found)
