"""Choosing the backend for an issuer spec, and the groups certpilot serves."""

from __future__ import annotations

import pytest

from certpilot.api.issuer import CAIssuer, ClusterIssuer, Issuer, IssuerSpec, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.ca import CAIssuerBackend
from certpilot.issuers.registry import IssuerBackends, UnknownIssuerType, builtin_backends, serves_group
from certpilot.issuers.selfsigned import SelfSignedIssuerBackend


def issuer(spec: IssuerSpec) -> Issuer:
    return Issuer(metadata=ObjectMeta(name="i", namespace="default"), spec=spec)


def test_builtin_types_are_served() -> None:
    backends = builtin_backends()
    assert {"selfSigned", "ca"} <= set(backends.types())
    assert isinstance(
        backends.backend_for(issuer(IssuerSpec(self_signed=SelfSignedIssuer()))), SelfSignedIssuerBackend
    )
    cluster = ClusterIssuer(metadata=ObjectMeta(name="c"), spec=IssuerSpec(ca=CAIssuer(secret_name="s")))
    assert isinstance(backends.backend_for(cluster), CAIssuerBackend)


def test_adding_a_type_is_one_registration() -> None:
    backends = IssuerBackends()
    backends.register("ca", CAIssuerBackend())
    assert backends.type_of(issuer(IssuerSpec(ca=CAIssuer(secret_name="s")))) == "ca"


def test_unserved_type_names_what_is_served() -> None:
    backends = IssuerBackends()
    backends.register("ca", CAIssuerBackend())
    with pytest.raises(UnknownIssuerType, match=r"selfSigned.*serves: ca"):
        backends.backend_for(issuer(IssuerSpec(self_signed=SelfSignedIssuer())))


@pytest.mark.parametrize(
    ("group", "served"),
    [
        (None, True),
        ("", True),
        ("cert-manager.io", True),
        ("awspca.cert-manager.io", False),
        ("example.com", False),
    ],
)
def test_served_groups(group: str | None, served: bool) -> None:
    assert serves_group(group) is served


def test_a_loaded_type_is_built_on_first_use_only() -> None:
    built: list[CAIssuerBackend] = []

    def load() -> CAIssuerBackend:
        built.append(CAIssuerBackend())
        return built[-1]

    backends = IssuerBackends()
    backends.register_loader("ca", load)
    ca_issuer = issuer(IssuerSpec(ca=CAIssuer(secret_name="s")))
    assert backends.types() == ["ca"]
    assert backends.loaded_types() == []
    assert backends.type_of(ca_issuer) == "ca"
    assert built == []
    first = backends.backend_for(ca_issuer)
    assert backends.backend_for(ca_issuer) is first
    assert built == [first]
    assert backends.loaded_types() == ["ca"]


def test_builtin_stacks_wait_for_their_first_issuer() -> None:
    backends = builtin_backends()
    assert {"acme", "vault", "venafi"} <= set(backends.types())
    assert {"acme", "vault", "venafi"}.isdisjoint(backends.loaded_types())
