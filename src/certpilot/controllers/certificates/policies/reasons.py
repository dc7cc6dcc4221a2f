"""cert-manager's reasons for (re)issuing a Certificate or reporting it not Ready."""

# ruff: noqa: S105 - reason strings, not passwords

from __future__ import annotations

from dataclasses import dataclass

DOES_NOT_EXIST = "DoesNotExist"
MISSING_DATA = "MissingData"
INVALID_KEY_PAIR = "InvalidKeyPair"
INVALID_CERTIFICATE = "InvalidCertificate"
SECRET_MISMATCH = "SecretMismatch"
INCORRECT_ISSUER = "IncorrectIssuer"
INCORRECT_CERTIFICATE = "IncorrectCertificate"
REQUEST_CHANGED = "RequestChanged"
RENEWING = "Renewing"
EXPIRED = "Expired"
WINDOW_ERROR = "WindowError"
MANUALLY_TRIGGERED = "ManuallyTriggered"
# Post-issuance: the Secret is rewritten from the current key pair, nothing is re-issued.
SECRET_TEMPLATE_MISMATCH = "SecretTemplateMismatch"
SECRET_MANAGED_METADATA_MISMATCH = "SecretManagedMetadataMismatch"
ADDITIONAL_OUTPUT_FORMATS_MISMATCH = "AdditionalOutputFormatsMismatch"
KEYSTORE_MISMATCH = "SecretKeystoreMismatch"
CA_MISMATCH = "SecretCAMismatch"
OWNER_REFERENCE_MISMATCH = "SecretOwnerReferenceMismatch"


@dataclass(frozen=True)
class Reason:
    """Why a policy fired: a CamelCase reason and a message for the condition and the Event."""

    reason: str
    message: str
