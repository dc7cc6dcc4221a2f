"""The ACME issuer's and controllers' pure decisions: account work, Order naming and outcome,
challenge choice, and the next step of Orders and Challenges."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from certpilot.api.acme import (
    ACMEAuthorization,
    ACMEChallenge,
    Challenge,
    ChallengeSpec,
    ChallengeStatus,
    Order,
    OrderSpec,
    OrderStatus,
)
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverHTTP01
from certpilot.api.common import IssuerReference
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.api.issuer import ACMEIssuerStatus
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.acme.challenge_choice import (
    ACME_FINALIZER,
    ChosenChallenge,
    builtin_challenge_type,
    challenge_for,
    challenge_name,
    choose_challenge,
)
from certpilot.controllers.acme.challenge_steps import ChallengeStep, next_challenge_step
from certpilot.controllers.acme.order_steps import OrderStep, failure_reason, next_order_step
from certpilot.issuers.acme import AccountWork, account_work, order_name, signed_from_order
from certpilot.issuers.base import Pending, Permanent

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REF = IssuerReference(name="acme")
HTTP = ACMEChallengeSolver(http01=ACMEChallengeSolverHTTP01())
DNS = ACMEChallengeSolver.model_validate({"dns01": {"rfc2136": {"nameserver": "127.0.0.1"}}})
ALL_TYPES = [
    ACMEChallenge(url="https://ca/c/http", token="t1", type="http-01"),
    ACMEChallenge(url="https://ca/c/dns", token="t2", type="dns-01"),
    ACMEChallenge(url="https://ca/c/alpn", token="t3", type="tls-alpn-01"),
]


def order(
    state: State | None = None, certificate: str | None = None, url: str | None = "https://ca/o/1"
) -> Order:
    return Order(
        metadata=ObjectMeta(name="web-1-123", namespace="default", uid="order-uid", creation_timestamp=NOW),
        spec=OrderSpec(request="Y3Ny", issuer_ref=REF, dns_names=["web.example.test"]),
        status=OrderStatus(
            url=url,
            state=state,
            certificate=certificate,
            reason="boom" if state == State.INVALID else None,
            authorizations=[
                ACMEAuthorization(
                    url="https://ca/a/1", identifier="web.example.test", initial_state=State.PENDING
                )
            ],
        ),
    )


def challenge(
    state: State | None = None, processing: bool = True, presented: bool = False, **meta: object
) -> Challenge:
    return Challenge(
        metadata=ObjectMeta(name="c", namespace="default", finalizers=[ACME_FINALIZER], **meta),
        spec=ChallengeSpec(
            url="https://ca/c/http",
            authorization_url="https://ca/a/1",
            dns_name="web.example.test",
            type=ACMEChallengeType.HTTP01,
            token="t1",
            key="t1.thumbprint",
            solver=HTTP,
            issuer_ref=REF,
        ),
        status=ChallengeStatus(
            state=state,
            processing=processing,
            presented=presented,
            reason="no route" if state == State.INVALID else None,
        ),
    )


# -- the issuer backend --------------------------------------------------------------------------


def test_account_is_registered_for_a_new_key_or_a_cold_cache_and_updated_for_a_new_email() -> None:
    recorded = ACMEIssuerStatus(
        uri="https://ca/acct/1", last_registered_email="a@x", last_private_key_hash="h"
    )
    assert account_work(None, "a@x", "h", client_cached=True) is AccountWork.REGISTER
    assert account_work(recorded, "a@x", "other-key", client_cached=True) is AccountWork.REGISTER
    assert account_work(recorded, "a@x", "h", client_cached=False) is AccountWork.REGISTER
    assert account_work(recorded, "b@x", "h", client_cached=True) is AccountWork.UPDATE_EMAIL
    assert account_work(recorded, "a@x", "h", client_cached=True) is AccountWork.NONE


def test_order_name_is_deterministic_per_request_and_spec() -> None:
    spec = OrderSpec(request="Y3Ny", issuer_ref=REF, dns_names=["a.example.test"])
    other = OrderSpec(request="b3RoZXI=", issuer_ref=REF, dns_names=["a.example.test"])
    assert order_name("web-1", spec) == order_name("web-1", spec)
    assert order_name("web-1", spec) != order_name("web-1", other)
    assert order_name("x" * 80, spec).startswith("x" * 52 + "-")
    assert len(order_name("x" * 80, spec)) <= 63


def test_signing_waits_for_the_order_then_returns_its_chain_or_fails_permanently() -> None:
    with pytest.raises(Pending) as pending:
        signed_from_order(order(State.PENDING), NOW + timedelta(seconds=2))
    assert pending.value.requeue_after == 1.0
    with pytest.raises(Pending) as later:
        signed_from_order(order(State.PENDING), NOW + timedelta(hours=1))
    assert later.value.requeue_after == 30.0
    chain = b"-----BEGIN CERTIFICATE-----\n"
    signed = signed_from_order(order(State.VALID, base64.b64encode(chain).decode()), NOW)
    assert signed.certificate == chain and signed.ca == b""
    with pytest.raises(Permanent, match="order is invalid: boom"):
        signed_from_order(order(State.INVALID), NOW)


# -- choosing the challenge ----------------------------------------------------------------------


def test_builtin_listeners_answer_http01_first_then_tlsalpn01() -> None:
    offered = {ACMEChallengeType.HTTP01, ACMEChallengeType.TLS_ALPN01}
    assert builtin_challenge_type(offered, True, True) == ACMEChallengeType.HTTP01
    assert builtin_challenge_type(offered, False, True) == ACMEChallengeType.TLS_ALPN01
    assert builtin_challenge_type({ACMEChallengeType.DNS01}, True, True) is None


def test_choose_challenge_follows_the_solver_and_the_listeners() -> None:
    authz = ACMEAuthorization(url="https://ca/a/1", identifier="web.example.test", challenges=ALL_TYPES)
    http = choose_challenge(authz, [HTTP], {}, True, False)
    assert isinstance(http, ChosenChallenge) and (http.type, http.offered.token) == (
        ACMEChallengeType.HTTP01,
        "t1",
    )
    alpn = choose_challenge(authz, [HTTP], {}, False, True)
    assert isinstance(alpn, ChosenChallenge) and alpn.type == ACMEChallengeType.TLS_ALPN01
    dns = choose_challenge(authz, [DNS], {}, True, True)
    assert isinstance(dns, ChosenChallenge) and dns.type == ACMEChallengeType.DNS01
    none = choose_challenge(authz, [HTTP], {}, False, False)
    assert isinstance(none, str) and "web.example.test" in none


def test_a_wildcard_is_only_offered_dns01_so_an_http01_solver_cannot_take_it() -> None:
    authz = ACMEAuthorization(url="u", identifier="example.test", wildcard=True, challenges=ALL_TYPES[1:2])
    assert isinstance(choose_challenge(authz, [HTTP], {}, True, True), str)
    chosen = choose_challenge(authz, [HTTP, DNS], {}, True, True)
    assert isinstance(chosen, ChosenChallenge) and chosen.solver is DNS


def test_challenge_resource_is_owned_by_its_order_and_carries_the_finalizer() -> None:
    the_order = order(State.PENDING)
    authz = ACMEAuthorization(
        url="https://ca/a/1", identifier="example.test", wildcard=True, challenges=ALL_TYPES
    )
    chosen = ChosenChallenge(ALL_TYPES[1], ACMEChallengeType.DNS01, DNS)
    made = challenge_for(the_order, authz, chosen, "txt-value")
    assert made.name == challenge_name(the_order.name, "https://ca/c/dns")
    assert made.metadata.finalizers == [ACME_FINALIZER]
    owner = (made.metadata.owner_references or [])[0]
    assert (owner.kind, owner.name, owner.uid, owner.controller) == (
        "Order",
        the_order.name,
        "order-uid",
        True,
    )
    assert (made.spec.dns_name, made.spec.wildcard, made.spec.key) == ("example.test", True, "txt-value")
    assert "txt-value" not in repr(made)


# -- order steps ---------------------------------------------------------------------------------


def test_order_steps() -> None:
    assert next_order_step(None, []) is OrderStep.CREATE
    assert next_order_step(order(State.PENDING).status, []) is OrderStep.CREATE_CHALLENGES
    assert next_order_step(order(State.PENDING).status, [challenge(State.PENDING)]) is OrderStep.WAIT
    assert (
        next_order_step(order(State.PENDING).status, [challenge(State.VALID, processing=False)])
        is OrderStep.SYNC
    )
    assert (
        next_order_step(order(State.PENDING).status, [challenge(State.INVALID, processing=False)])
        is OrderStep.SYNC
    )
    assert next_order_step(order(State.READY).status, []) is OrderStep.SYNC
    assert next_order_step(order(State.VALID).status, []) is OrderStep.SYNC  # certificate not downloaded yet
    assert next_order_step(order(State.VALID, "Y2VydA==").status, []) is OrderStep.DONE
    assert next_order_step(order(State.INVALID).status, []) is OrderStep.DONE


def test_order_failure_reason_prefers_the_server_then_the_failed_challenge() -> None:
    failed = challenge(State.INVALID, processing=False)
    assert failure_reason("urn:x: nope", [failed], "invalid") == "urn:x: nope"
    assert "no route" in failure_reason(None, [failed], "invalid")
    assert failure_reason(None, [], "expired") == "the ACME server reports the order expired"


# -- challenge steps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_challenge", "step"),
    [
        (challenge(processing=False), ChallengeStep.WAIT_FOR_SCHEDULER),
        (challenge(), ChallengeStep.SYNC),
        (challenge(State.PENDING), ChallengeStep.PRESENT),
        (challenge(State.PENDING, presented=True), ChallengeStep.SELF_CHECK_AND_ACCEPT),
        (challenge(State.PROCESSING, presented=True), ChallengeStep.POLL),
        (challenge(State.INVALID, presented=True), ChallengeStep.FINISH),
        (challenge(State.VALID, processing=False), ChallengeStep.DONE),
        (challenge(State.PENDING, deletion_timestamp=NOW), ChallengeStep.CLEAN_UP_AND_RELEASE),
    ],
)
def test_challenge_steps(the_challenge: Challenge, step: ChallengeStep) -> None:
    assert next_challenge_step(the_challenge, the_challenge.status or ChallengeStatus()) is step


def test_a_challenge_without_the_finalizer_gets_it_before_anything_else() -> None:
    bare = challenge(State.PENDING)
    bare.metadata.finalizers = None
    assert next_challenge_step(bare, bare.status or ChallengeStatus()) is ChallengeStep.ADD_FINALIZER
