"""A change filter drops only changes its controller's decision does not read.

relevant_changes.py decides which Certificate changes wake which controller; a filter that drops
a change the reconcile reads would leave the controller acting on an old view. For random pairs
of Certificates (spec, metadata and every status field varied), whenever a controller's filter
drops old -> new, the controller's decision on `new` must be the same as on `old`, or nothing at
all (its reconcile returns at once for `new`). The decisions are the pure functions the
reconciles call, over the same Secret.

Readiness is not in this table: it ignores the Issuing condition, the failure fields and the next
key, though whether it may write reads the first two. It is sound by the write-through rule
(docs/decisions.md): whoever sets Issuing writes Ready and the validity times as readiness computes
them in that same write, so readiness never has to catch up; test_status_writes.py checks each
such writer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateStatus
from certpilot.api.conditions import ISSUING, READY, get_condition
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.meta import Condition
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.trigger_decision import trigger_decision
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.controller import ChangeFilter
from certpilot.testing.builders import certificate, ec_key, issued_secret

NOW = datetime(2030, 1, 1, tzinfo=UTC)
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
BASE = certificate("web", private_key=EC)
BASE.metadata.uid, BASE.metadata.generation = "uid-cert", 1
SECRET = issued_secret(BASE, ec_key(), not_before=NOW - timedelta(days=10), lifetime=timedelta(days=90))
SECRET.metadata.uid, SECRET.metadata.resource_version = "uid-secret", "5"
OPTIONS = ControllerOptions()
NOTHING = "returns at once"

times = st.sampled_from([None, NOW - timedelta(days=10), NOW + timedelta(days=50), NOW - timedelta(hours=1)])


@st.composite
def conditions(draw: st.DrawFn) -> list[Condition] | None:
    found = []
    for kind in (READY, ISSUING):
        status = draw(st.sampled_from([None, "True", "False"]))
        if status is not None:
            reason = draw(st.sampled_from(["Ready", "Issuing", "DoesNotExist", "Expired"]))
            found.append(
                Condition(type=kind, status=status, reason=reason, message=reason, observed_generation=1)
            )
    return found or None


@st.composite
def certificates(draw: st.DrawFn) -> Certificate:
    cert = BASE.model_copy(deep=True)
    cert.spec.dns_names = draw(st.sampled_from([["web.example.com"], ["other.example.com"]]))
    cert.spec.revision_history_limit = draw(st.sampled_from([None, 1, 3]))
    cert.metadata.labels = draw(st.sampled_from([None, {"team": "a"}]))
    cert.metadata.generation = 1 if cert.spec.dns_names == BASE.spec.dns_names else 2
    cert.status = CertificateStatus(
        conditions=draw(conditions()),
        revision=draw(st.sampled_from([None, 1, 2])),
        not_before=draw(times),
        not_after=draw(times),
        renewal_time=draw(times),
        last_failure_time=draw(times),
        failed_issuance_attempts=draw(st.sampled_from([None, 1, 3])),
        next_private_key_secret_name=draw(st.sampled_from([None, "web-abcde"])),
    )
    return cert


def policy_input(cert: Certificate) -> PolicyInput:
    return PolicyInput(cert, SECRET, None, NOW, CertificateMemos())


def condition_view(cert_status: CertificateStatus, kind: str) -> tuple[Any, ...] | None:
    found = get_condition(cert_status.conditions, kind)
    return None if found is None else (found.status, found.reason, found.message, found.observed_generation)


def trigger(cert: Certificate) -> object:
    if is_issuing(cert):
        return NOTHING
    decision = trigger_decision(policy_input(cert), None, OPTIONS)
    return (decision.issue, decision.requeue_after, cert.metadata.generation if decision.issue else None)


def revision_manager(cert: Certificate) -> object:
    if is_issuing(cert):
        return NOTHING
    status = cert.status or CertificateStatus()
    return (status.revision, cert.spec.revision_history_limit)


def only_while_issuing(cert: Certificate) -> object:
    """The key and request managers: what they read of a Certificate while it is Issuing."""
    if not is_issuing(cert):
        return NOTHING
    status = cert.status or CertificateStatus()
    return (cert.spec, status.revision, status.next_private_key_secret_name, condition_view(status, ISSUING))


CONTROLLERS: dict[str, tuple[ChangeFilter, Callable[[Certificate], object]]] = {
    "trigger": (changes.TRIGGER_CHANGES, trigger),
    "revision manager": (changes.REVISION_MANAGER_CHANGES, revision_manager),
    "key manager": (changes.KEY_MANAGER_CHANGES, only_while_issuing),
    "request manager": (changes.REQUEST_MANAGER_CHANGES, only_while_issuing),
}


@settings(max_examples=300, deadline=None)
@given(certificates(), certificates())
def test_a_dropped_change_never_changes_the_decision(old: Certificate, new: Certificate) -> None:
    for name, (relevant, decide) in CONTROLLERS.items():
        if relevant(old, new):
            continue
        after = decide(new)
        assert after == NOTHING or after == decide(old), f"{name} dropped a change its decision reads"


def test_the_filters_do_drop_changes() -> None:
    """Not vacuous: each filter drops some change (one only its own status fields ignore)."""
    old = BASE.model_copy(deep=True)
    old.status = CertificateStatus(revision=1)
    new = old.model_copy(deep=True)
    new.status = CertificateStatus(revision=1, last_failure_time=NOW)
    assert not changes.READINESS_CHANGES(old, new)
    new.status = CertificateStatus(revision=1, not_after=NOW)
    for relevant in (changes.TRIGGER_CHANGES, changes.KEY_MANAGER_CHANGES, changes.REVISION_MANAGER_CHANGES):
        assert not relevant(old, new)
