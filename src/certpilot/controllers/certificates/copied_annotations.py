"""Which of a Certificate's annotations its CertificateRequests (and so their ACME Orders) carry:
cert-manager's --copied-annotation-prefixes. The HTTP-01 override annotations ingress-shim and
gateway-shim write reach the Order this way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# cert-manager's default: everything but what kubectl, Flux and Argo CD record for themselves.
DEFAULT_COPIED_ANNOTATION_PREFIXES = ("*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/")


def annotations_to_copy(annotations: Mapping[str, str], prefixes: Sequence[str]) -> dict[str, str]:
    """Those whose key starts with a listed prefix ("*": any), unless it starts with a prefix
    listed with a leading "-"."""
    excluded = tuple(p[1:] for p in prefixes if p.startswith("-"))
    included = tuple(p for p in prefixes if not p.startswith("-"))
    return {
        key: value
        for key, value in annotations.items()
        if ("*" in included or key.startswith(included)) and not (excluded and key.startswith(excluded))
    }
