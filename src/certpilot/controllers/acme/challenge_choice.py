"""Which challenge of an ACME authorization certpilot solves, with which solver, and the Challenge
resource that records it. Pure: the key authorization is computed by the caller, who holds the account.

Standalone, certpilot's `http01` solver means "the daemon's built-in listeners" (there is no Ingress
to create): HTTP-01 when the HTTP listener is on, else TLS-ALPN-01 when the TLS listener is on. On a
cluster HTTP-01 is always answered (by solver Pods), so the caller passes http01_listening=True.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from certpilot.acme.solver_selection import solver_for
from certpilot.acme.solvers.http01_overrides import InvalidSolverOverride, solver_with_overrides
from certpilot.api.acme import ACMEAuthorization, ACMEChallenge, Challenge, ChallengeSpec, Order, derived_name
from certpilot.api.acme_issuer import ACMEChallengeSolver
from certpilot.api.enums import ACMEChallengeType
from certpilot.api.meta import ObjectMeta, OwnerReference

ACME_FINALIZER = "finalizer.acme.cert-manager.io"


@dataclass(frozen=True)
class ChosenChallenge:
    offered: ACMEChallenge
    type: ACMEChallengeType
    solver: ACMEChallengeSolver


def challenge_type_of_wire(wire_type: str) -> ACMEChallengeType | None:
    """`http-01` -> HTTP-01 and so on; None for types certpilot does not solve."""
    try:
        return ACMEChallengeType(wire_type.upper())
    except ValueError:
        return None


def builtin_challenge_type(
    offered: set[ACMEChallengeType], http01_listening: bool, tlsalpn01_listening: bool
) -> ACMEChallengeType | None:
    """The challenge an `http01` solver answers with the daemon's listeners, None when it can't."""
    if http01_listening and ACMEChallengeType.HTTP01 in offered:
        return ACMEChallengeType.HTTP01
    if tlsalpn01_listening and ACMEChallengeType.TLS_ALPN01 in offered:
        return ACMEChallengeType.TLS_ALPN01
    return None


def authorization_name(authz: ACMEAuthorization) -> str:
    """The name solvers select on: `*.example.com` for a wildcard authorization."""
    identifier = authz.identifier or ""
    return f"*.{identifier}" if authz.wildcard and not identifier.startswith("*.") else identifier


def is_ip_identifier(identifier: str) -> bool:
    try:
        ipaddress.ip_address(identifier)
    except ValueError:
        return False
    return True


def dns01_cannot_validate_ip(
    authz: ACMEAuthorization, solvers: Sequence[ACMEChallengeSolver], labels: Mapping[str, str]
) -> str:
    """Why an IP address identifier has no solver, naming the dns-01 solver that would have matched
    (RFC 8738 section 7: an IP address has no DNS name to put a TXT record under)."""
    address = authz.identifier or ""
    dns01 = solver_for(solvers, address, {str(ACMEChallengeType.DNS01)}, labels)
    named = f"solver #{dns01.index} (dns01) matches it, but " if dns01 is not None else ""
    return (
        f"Failed to determine a valid solver configuration for the set of domains on the Order: "
        f"IP address {address!r} can only be validated by http-01 or tls-alpn-01: {named}"
        f"dns-01 cannot validate an IP address (RFC 8738); add an http01 solver for it"
    )


def choose_challenge(
    authz: ACMEAuthorization,
    solvers: Sequence[ACMEChallengeSolver],
    labels: Mapping[str, str],
    http01_listening: bool,
    tlsalpn01_listening: bool,
    dns_persist: bool = False,
) -> ChosenChallenge | str:
    """The challenge to solve for `authz` and its solver, or why there is none (for status).
    `dns_persist`: the issuer answers dns-persist-01, where offered, with the name's dns01 solver."""
    by_type = {t: c for c in authz.challenges or () if (t := challenge_type_of_wire(c.type)) is not None}
    offered = set(by_type)
    builtin = builtin_challenge_type(offered, http01_listening, tlsalpn01_listening)
    # The http01 solver is a candidate whenever a built-in listener can answer one offered type.
    ip_identifier = is_ip_identifier(authz.identifier or "")
    persist = dns_persist and ACMEChallengeType.DNS_PERSIST01 in offered and not ip_identifier
    dns_types = (
        {ACMEChallengeType.DNS01, ACMEChallengeType.DNS_PERSIST01} if persist else {ACMEChallengeType.DNS01}
    )
    selectable = {str(ACMEChallengeType.DNS01) for t in offered if t in dns_types and not ip_identifier}
    if builtin is not None:
        selectable.add(str(ACMEChallengeType.HTTP01))
    name = authorization_name(authz)
    choice = solver_for(solvers, name, selectable, labels)
    if choice is None and ip_identifier:
        return dns01_cannot_validate_ip(authz, solvers, labels)
    if choice is None:
        return (
            f"Failed to determine a valid solver configuration for the set of domains on the Order: "
            f"no configured challenge solver can be used for {name!r} "
            f"(offered: {', '.join(sorted(c.type for c in authz.challenges or ())) or 'none'})"
        )
    chosen_type = choice.challenge_type if choice.challenge_type == ACMEChallengeType.DNS01 else builtin
    if chosen_type is None:
        return (
            f"solver for {name!r} answers HTTP-01, but no built-in listener can answer an offered challenge"
        )
    if persist and chosen_type == ACMEChallengeType.DNS01:
        chosen_type = ACMEChallengeType.DNS_PERSIST01
    return ChosenChallenge(by_type[chosen_type], chosen_type, choice.solver)


def chosen_with_overrides(chosen: ChosenChallenge, order: Order) -> ChosenChallenge | str:
    """The choice with the Order's HTTP-01 override annotations applied to its solver, or why they
    cannot be (for status)."""
    try:
        solver = solver_with_overrides(chosen.solver, order.metadata.annotations or {}, order.namespace or "")
    except InvalidSolverOverride as e:
        return f"Failed to apply the HTTP-01 solver override annotations: {e}"
    return ChosenChallenge(chosen.offered, chosen.type, solver)


def challenge_name(order_name: str, challenge_url: str) -> str:
    return derived_name(order_name, challenge_url.encode())


def challenge_for(order: Order, authz: ACMEAuthorization, chosen: ChosenChallenge, key: str) -> Challenge:
    """The Challenge resource for one authorization, owned by its Order. `key` is the key
    authorization (HTTP-01, TLS-ALPN-01) or the TXT value (DNS-01)."""
    owner = OwnerReference(
        api_version=order.api_version,
        kind=order.kind,
        name=order.name,
        uid=order.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )
    return Challenge(
        metadata=ObjectMeta(
            name=challenge_name(order.name, chosen.offered.url),
            namespace=order.namespace,
            labels=dict(order.metadata.labels or {}) or None,
            owner_references=[owner],
            finalizers=[ACME_FINALIZER],
        ),
        spec=ChallengeSpec(
            url=chosen.offered.url,
            authorization_url=authz.url,
            dns_name=(authz.identifier or "").removeprefix("*."),
            wildcard=bool(authz.wildcard),
            type=chosen.type,
            token=chosen.offered.token,
            key=key,
            solver=chosen.solver,
            issuer_ref=order.spec.issuer_ref,
        ),
    )
