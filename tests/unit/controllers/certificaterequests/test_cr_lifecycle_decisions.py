"""The request lifecycle as a decision table: pure functions, no I/O."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.conditions import get_condition
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificaterequests.conditions import is_finished
from certpilot.controllers.certificaterequests.lifecycle import (
    MESSAGE_DENIED,
    MESSAGE_ISSUED,
    ready_changed,
    status_after,
    transition_after_error,
    transition_after_signing,
    why_not_sign,
)
from certpilot.controllers.certificaterequests.signer import needs_signer
from certpilot.controllers.issuers.failed_signing import ISSUER_FAILED_TO_SIGN
from certpilot.issuers.base import IssuerNotReady, Pending, Permanent, SignedCertificate
from certpilot.issuers.request import InvalidRequest, requested_csr
from certpilot.pki.keys import PrivateKey
from certpilot.pki.sign import sign_certificate
from tests.unit.controllers.certificaterequests.cr_material import NOW, ca_issuer, new_key, request

APPROVED = {"Approved": ("True", "cert-manager.io")}


@pytest.mark.parametrize(
    ("conditions", "issuer_ready", "reason", "event_reason"),
    [
        ({"Denied": ("True", "Policy")}, True, "Denied", "Denied"),
        ({}, True, "Pending", "WaitingForApproval"),
        (APPROVED, None, "Pending", "IssuerNotFound"),
        (APPROVED, False, "Pending", "IssuerNotReady"),
    ],
)
def test_why_not_sign(
    conditions: dict[str, tuple[str, str]], issuer_ready: bool | None, reason: str, event_reason: str
) -> None:
    issuer = None if issuer_ready is None else ca_issuer(ready=issuer_ready)
    transition = why_not_sign(request(conditions=conditions), issuer)
    assert transition is not None
    assert (transition.reason, transition.event_reason, transition.ready) == (reason, event_reason, False)


def test_approved_request_for_a_ready_issuer_is_signed() -> None:
    assert why_not_sign(request(conditions=APPROVED), ca_issuer(ready=True)) is None


def test_denied_is_final_with_failure_time() -> None:
    cr = request(conditions={"Denied": ("True", "Policy")})
    transition = why_not_sign(cr, ca_issuer(ready=True))
    assert transition is not None and transition.failed and transition.message == MESSAGE_DENIED
    status = status_after(cr.status, transition, NOW, 1)
    assert status.failure_time == NOW
    cr.status = status
    assert is_finished(cr) and not needs_signer(cr)


def test_missing_issuer_message_names_it() -> None:
    transition = why_not_sign(request(issuer="mine", kind="ClusterIssuer", conditions=APPROVED), None)
    assert transition is not None
    assert 'Referenced "ClusterIssuer" not found: "mine"' in transition.message


def test_unparseable_csr_is_invalid_request_and_failed() -> None:
    cr = request(conditions=APPROVED)
    cr.spec.request = base64.b64encode(b"not a csr").decode()
    transition = why_not_sign(cr, ca_issuer(ready=True))
    assert transition is not None and transition.invalid_request and transition.failed
    status = status_after(cr.status, transition, NOW, 1)
    invalid = get_condition(status.conditions, "InvalidRequest")
    assert invalid is not None and invalid.status == "True"
    ready = get_condition(status.conditions, "Ready")
    assert ready is not None and (ready.status, ready.reason) == ("False", "Failed")


def self_signed_pem(key: PrivateKey) -> bytes:
    cert = sign_certificate(
        requested_csr(request(key=key)),
        issuer_cert=None,
        issuer_key=key,
        duration=timedelta(days=1),
        is_ca=False,
        usages=None,
        now=NOW,
    )
    return cert.public_bytes(Encoding.PEM)


def test_signed_chain_for_the_csr_key_is_issued() -> None:
    key = new_key()
    cr = request(key=key, conditions=APPROVED)
    chain = self_signed_pem(key)
    transition = transition_after_signing(cr, SignedCertificate(certificate=chain, ca=chain))
    assert (transition.ready, transition.reason, transition.message) == (True, "Issued", MESSAGE_ISSUED)
    status = status_after(cr.status, transition, NOW, 1)
    assert status.certificate is not None and base64.b64decode(status.certificate) == chain
    assert status.ca is not None and base64.b64decode(status.ca) == chain
    assert status.failure_time is None


def test_chain_for_another_key_is_failed() -> None:
    cr = request(conditions=APPROVED)
    transition = transition_after_signing(cr, SignedCertificate(certificate=self_signed_pem(new_key())))
    assert (transition.reason, transition.failed) == ("Failed", True)
    assert "does not match the CSR" in transition.message


def test_garbage_chain_is_failed() -> None:
    transition = transition_after_signing(
        request(conditions=APPROVED), SignedCertificate(certificate=b"nope")
    )
    assert transition.failed and "not PEM" in transition.message


@pytest.mark.parametrize(
    ("error", "reason", "failed", "requeue_after"),
    [
        (Pending("order in flight", 7.0), "Pending", False, 7.0),
        (Permanent("refused by policy"), "Failed", True, None),
        (InvalidRequest("bad csr"), "Failed", True, None),
        (IssuerNotReady("CA secret gone", "ErrGetKeyPair"), "Pending", False, None),
    ],
)
def test_transition_after_error(
    error: Pending | Permanent | IssuerNotReady, reason: str, failed: bool, requeue_after: float | None
) -> None:
    transition = transition_after_error(error)
    assert (transition.reason, transition.failed, transition.requeue_after) == (reason, failed, requeue_after)
    expected = f"{ISSUER_FAILED_TO_SIGN}{error}" if isinstance(error, IssuerNotReady) else str(error)
    assert transition.message == expected


@pytest.mark.parametrize(
    ("conditions", "finished"),
    [
        ({}, False),
        ({"Ready": ("False", "Pending")}, False),
        ({"Ready": ("True", "Issued")}, True),
        ({"Ready": ("False", "Failed")}, True),
        ({"Ready": ("False", "Denied")}, True),
        ({"InvalidRequest": ("True", "Failed")}, True),
    ],
)
def test_finished_requests_are_never_touched_again(
    conditions: dict[str, tuple[str, str]], finished: bool
) -> None:
    cr = request(conditions=conditions)
    assert is_finished(cr) is finished
    assert needs_signer(cr) is not finished


def test_other_groups_and_deleted_requests_are_not_ours() -> None:
    assert not needs_signer(request(group="awspca.cert-manager.io"))
    deleting = request()
    deleting.metadata = ObjectMeta(name="x", namespace="default", deletion_timestamp=NOW)
    assert not needs_signer(deleting)


def test_recording_the_same_pending_again_changes_nothing() -> None:
    cr = request(conditions=APPROVED)
    transition = why_not_sign(cr, None)
    assert transition is not None
    cr.status = status_after(cr.status, transition, NOW, 1)
    assert not ready_changed(cr, transition)
    assert status_after(cr.status, transition, NOW, 1) == cr.status
