"""What ties a solver object to its Challenge: cert-manager's labels (adler32 hashes of the domain and
the token, which fit a label value whatever their length), the generateName prefix, and a
controller reference to the Challenge, so the garbage collector removes whatever cleanup missed."""

from __future__ import annotations

import zlib

from certpilot.api.acme import Challenge
from certpilot.api.annotations import ACME_HTTP01_SOLVER_LABEL, ACME_HTTP_DOMAIN_LABEL, ACME_HTTP_TOKEN_LABEL
from certpilot.api.meta import ObjectMeta, OwnerReference, Resource

SOLVER_LABEL = ACME_HTTP01_SOLVER_LABEL
DOMAIN_LABEL = ACME_HTTP_DOMAIN_LABEL
TOKEN_LABEL = ACME_HTTP_TOKEN_LABEL
IDENTITY_LABELS = (SOLVER_LABEL, DOMAIN_LABEL, TOKEN_LABEL)
GENERATE_NAME = "cm-acme-http-solver-"
# The port `certpilot acmesolver` listens on in the Pod, and the Service's port.
SOLVER_PORT = 8089
CHALLENGE_PATH = "/.well-known/acme-challenge"


def solver_labels(challenge: Challenge) -> dict[str, str]:
    """The labels every solver object of this Challenge carries, and the Service selects its Pod by."""
    return {
        DOMAIN_LABEL: str(zlib.adler32(challenge.spec.dns_name.encode())),
        TOKEN_LABEL: str(zlib.adler32(challenge.spec.token.encode())),
        SOLVER_LABEL: "true",
    }


def solver_selector(challenge: Challenge) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(solver_labels(challenge).items()))


def challenge_path(token: str) -> str:
    return f"{CHALLENGE_PATH}/{token}"


def controller_reference(challenge: Challenge) -> OwnerReference:
    return OwnerReference(
        api_version=challenge.API_VERSION,
        kind=challenge.KIND,
        name=challenge.name,
        uid=challenge.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )


def solver_metadata(
    challenge: Challenge, labels: dict[str, str], annotations: dict[str, str] | None = None
) -> ObjectMeta:
    return ObjectMeta(
        generate_name=GENERATE_NAME,
        namespace=challenge.namespace,
        labels=labels,
        annotations=annotations,
        owner_references=[controller_reference(challenge)],
    )


def is_controlled_by(obj: Resource, challenge: Challenge) -> bool:
    """Whether the Challenge is obj's controller: objects with the same labels made by someone
    else (or for an earlier Challenge of the same name) are left alone, as cert-manager does."""
    return any(
        ref.controller and ref.uid == challenge.metadata.uid for ref in obj.metadata.owner_references or ()
    )
