"""cert-manager's --copied-annotation-prefixes: which Certificate annotations its requests carry."""

from __future__ import annotations

import pytest

from certpilot.controllers.certificates.copied_annotations import (
    DEFAULT_COPIED_ANNOTATION_PREFIXES,
    annotations_to_copy,
)

ANNOTATIONS = {
    "acme.cert-manager.io/http01-override-ingress-name": "web",
    "kubectl.kubernetes.io/last-applied-configuration": "{}",
    "fluxcd.io/sync": "x",
    "argocd.argoproj.io/tracking-id": "y",
    "example.com/team": "web",
}


@pytest.mark.parametrize(
    ("prefixes", "copied"),
    [
        (
            DEFAULT_COPIED_ANNOTATION_PREFIXES,
            {"acme.cert-manager.io/http01-override-ingress-name", "example.com/team"},
        ),
        (("example.com/",), {"example.com/team"}),
        (
            ("*", "-acme.cert-manager.io/"),
            set(ANNOTATIONS) - {"acme.cert-manager.io/http01-override-ingress-name"},
        ),
        ((), set()),
    ],
)
def test_prefixes_choose_and_minus_prefixes_leave_out(prefixes: tuple[str, ...], copied: set[str]) -> None:
    assert set(annotations_to_copy(ANNOTATIONS, prefixes)) == copied
