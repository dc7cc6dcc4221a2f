"""Which plugins certpilot accepts, and what a broken one reports."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from certpilot.api.issuer import IssuerStatus
from certpilot.api.meta import ApiModel, Resource
from certpilot.api.registry import model_for
from certpilot.issuers.base import IssuerContext, IssuerReady, SignedCertificate
from certpilot.issuers.plugins import (
    ENTRY_POINT_GROUP,
    IssuerPlugin,
    PluginLoadError,
    plugin_from_entry_point,
    plugin_problem,
)


class _Spec(ApiModel):
    url: str


class ExampleIssuer(Resource):
    API_VERSION = "checks.example.com/v1"
    KIND = "ExampleIssuer"
    PLURAL = "exampleissuers"
    SINGULAR = "exampleissuer"

    spec: _Spec
    status: IssuerStatus | None = None


class NoStatusIssuer(Resource):
    API_VERSION = "checks.example.com/v1"
    KIND = "NoStatusIssuer"
    PLURAL = "nostatusissuers"
    SINGULAR = "nostatusissuer"

    spec: _Spec


class _Backend:
    async def check(self, ctx: IssuerContext) -> IssuerReady:
        return IssuerReady("Ok", "ok")

    async def sign(self, ctx: IssuerContext, request: Any) -> SignedCertificate:
        return SignedCertificate(b"")


def make_plugin() -> IssuerPlugin:
    return IssuerPlugin("checks.example.com", (ExampleIssuer,), _Backend())


@pytest.mark.parametrize(
    ("plugin", "problem"),
    [
        (IssuerPlugin("cert-manager.io", (ExampleIssuer,), _Backend()), "reserved"),
        (IssuerPlugin("other.example.com", (ExampleIssuer,), _Backend()), "outside group"),
        (IssuerPlugin("checks.example.com", (), _Backend()), "no issuer kinds"),
        (IssuerPlugin("checks.example.com", (NoStatusIssuer,), _Backend()), "status: IssuerStatus"),
        (IssuerPlugin("checks.example.com", (ExampleIssuer,), object()), "no check/sign"),  # type: ignore[arg-type]
    ],
)
def test_plugin_problems(plugin: IssuerPlugin, problem: str) -> None:
    assert problem in (plugin_problem(plugin) or "")


def test_a_valid_plugin_has_no_problem() -> None:
    assert plugin_problem(make_plugin()) is None


def test_a_callable_entry_point_is_loaded_and_its_kinds_registered() -> None:
    entry_point = EntryPoint("checks", f"{__name__}:make_plugin", ENTRY_POINT_GROUP)
    plugin = plugin_from_entry_point(entry_point)
    assert plugin.group == "checks.example.com"
    assert model_for("checks.example.com/v1", "ExampleIssuer") is ExampleIssuer


def test_a_broken_entry_point_names_itself() -> None:
    entry_point = EntryPoint("broken", "no_such_plugin_module:plugin", ENTRY_POINT_GROUP)
    with pytest.raises(
        PluginLoadError, match=r"entry point 'broken' \(no_such_plugin_module:plugin\).*failed to import"
    ):
        plugin_from_entry_point(entry_point)
