"""Which shims the daemon starts, from the flags and what the API server serves (the set of served
kinds is given here as plain data; the discovery check that produces it runs against the real API
server in tests/e2e/kube/test_shims.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.api.meta import Resource
from certpilot.controllers.shims import shim_controllers as setup
from certpilot.controllers.shims.options import ShimOptions

ALL_SERVED: set[type[Resource]] = {Ingress, Gateway, ListenerSet}


def started(options: ShimOptions, served: set[type[Resource]]) -> list[str]:
    context: Any = SimpleNamespace(cache=None)
    return [factory(context).spec.name for factory in setup.build(options, served)]


@pytest.mark.parametrize(
    ("options", "served", "expected"),
    [
        (ShimOptions(), ALL_SERVED, ["ingress-shim"]),
        (ShimOptions(enable_gateway_api=True), ALL_SERVED, ["ingress-shim", "gateway-shim"]),
        (ShimOptions(enable_gateway_api_listenerset=True), ALL_SERVED, ["ingress-shim"]),
        (
            ShimOptions(enable_gateway_api=True, enable_gateway_api_listenerset=True),
            ALL_SERVED,
            ["ingress-shim", "gateway-shim", "listenerset-shim"],
        ),
        (
            ShimOptions(enable_gateway_api=True, enable_gateway_api_listenerset=True),
            {Ingress},
            ["ingress-shim"],
        ),
        (
            ShimOptions(enable_gateway_api=True, enable_gateway_api_listenerset=True),
            {Ingress, ListenerSet},
            ["ingress-shim"],
        ),
    ],
)
def test_a_shim_runs_when_its_flags_are_on_and_its_kinds_are_served(
    options: ShimOptions, served: set[type[Resource]], expected: list[str]
) -> None:
    assert started(options, served) == expected
