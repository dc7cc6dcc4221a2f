"""After issuance: does the Secret still look as the spec says (labels, annotations, extra
outputs, keystores), though its key pair is fine? Such drift is repaired by rewriting the Secret,
never by issuing again, as cert-manager's post-issuance policies do."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.api.core import Secret
from certpilot.controllers.certificates.issuing.secret_data import ADDITIONAL_OUTPUT_KEYS, KEYSTORE_KEYS
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.reasons import Reason

SecretCheck = Callable[[Secret, Secret], Reason | None]


def secret_labels_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    if (actual.metadata.labels or {}) != (desired.metadata.labels or {}):
        return Reason(
            reasons.SECRET_TEMPLATE_MISMATCH,
            "Secret labels are not as spec.secretTemplate and cert-manager set them",
        )
    return None


def secret_annotations_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    if (actual.metadata.annotations or {}) != (desired.metadata.annotations or {}):
        return Reason(
            reasons.SECRET_TEMPLATE_MISMATCH,
            "Secret annotations are not as spec.secretTemplate and cert-manager set them",
        )
    return None


def secret_additional_outputs_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    if any(actual.get_data(k) != desired.get_data(k) for k in ADDITIONAL_OUTPUT_KEYS):
        return Reason(
            reasons.ADDITIONAL_OUTPUT_FORMATS_MISMATCH,
            "Secret's additional output formats are not as spec.additionalOutputFormats asks",
        )
    return None


def secret_keystores_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    present = {k for k in KEYSTORE_KEYS if actual.get_data(k) is not None}
    wanted = {k for k in KEYSTORE_KEYS if desired.get_data(k) is not None}
    if present != wanted:
        return Reason(reasons.KEYSTORE_MISMATCH, "Secret's keystores are not as spec.keystores asks")
    return None


def secret_managed_data_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    if actual.type != desired.type or actual.data != desired.data:
        return Reason(
            reasons.SECRET_MANAGED_METADATA_MISMATCH,
            "Secret type or data differs from what cert-manager writes",
        )
    return None


def secret_owner_reference_mismatch(actual: Secret, desired: Secret) -> Reason | None:
    if (actual.metadata.owner_references or []) != (desired.metadata.owner_references or []):
        return Reason(
            reasons.OWNER_REFERENCE_MISMATCH, "Secret's ownerReferences differ from the configured policy"
        )
    return None


POST_ISSUANCE_CHECKS: tuple[SecretCheck, ...] = (
    secret_labels_mismatch,
    secret_annotations_mismatch,
    secret_additional_outputs_mismatch,
    secret_keystores_mismatch,
    secret_owner_reference_mismatch,
    secret_managed_data_mismatch,
)


def secret_needs_sync(actual: Secret, desired: Secret) -> Reason | None:
    """Why the existing Secret must be rewritten (same key pair), or None when it is as desired."""
    for check in POST_ISSUANCE_CHECKS:
        reason = check(actual, desired)
        if reason is not None:
            return reason
    return None
