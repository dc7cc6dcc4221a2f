"""cert-manager.io/v1 Certificate: the desired X.509 certificate, kept current in a Secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certpilot.api.common import IssuerReference
from certpilot.api.enums import (
    AdditionalOutputFormatType,
    CertificateRenewalPolicy,
    KeyUsage,
    PKCS12Profile,
    PrivateKeyAlgorithm,
    PrivateKeyEncoding,
    RotationPolicy,
    SignatureAlgorithm,
)
from certpilot.api.meta import ApiModel, Condition, Resource, SecretKeySelector
from certpilot.api.registry import register
from certpilot.api.scalars import Bool, Int


class X509Subject(ApiModel):
    organizations: list[str] | None = None
    countries: list[str] | None = None
    organizational_units: list[str] | None = None
    localities: list[str] | None = None
    provinces: list[str] | None = None
    street_addresses: list[str] | None = None
    postal_codes: list[str] | None = None
    serial_number: str | None = None


class CertificateSecretTemplate(ApiModel):
    """Labels and annotations copied onto the Secret the certificate is stored in."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class OtherName(ApiModel):
    """An otherName SAN: an OID and a UTF-8 string value."""

    oid: str | None = None
    utf8_value: str | None = None


class CertificatePrivateKey(ApiModel):
    algorithm: PrivateKeyAlgorithm | None = None
    size: Int | None = None
    encoding: PrivateKeyEncoding | None = None
    rotation_policy: RotationPolicy | None = None


class JKSKeystore(ApiModel):
    """A Java KeyStore written into the Secret; `password` is a literal alternative to the Secret ref."""

    create: Bool
    alias: str | None = None
    password_secret_ref: SecretKeySelector | None = None
    password: str | None = Field(default=None, repr=False)


class PKCS12Keystore(ApiModel):
    create: Bool
    profile: PKCS12Profile | None = None
    password_secret_ref: SecretKeySelector | None = None
    password: str | None = Field(default=None, repr=False)


class CertificateKeystores(ApiModel):
    jks: JKSKeystore | None = None
    pkcs12: PKCS12Keystore | None = None


class CertificateAdditionalOutputFormat(ApiModel):
    type: AdditionalOutputFormatType


class NameConstraintItem(ApiModel):
    dns_domains: list[str] | None = None
    ip_ranges: list[str] | None = None
    email_addresses: list[str] | None = None
    uri_domains: list[str] | None = None


class NameConstraints(ApiModel):
    critical: Bool | None = None
    permitted: NameConstraintItem | None = None
    excluded: NameConstraintItem | None = None


class CertificateRenewalWindow(ApiModel):
    """A recurring span in which a renewal may start: from each time `cron` (five fields) matches,
    for `windowDuration`, in the IANA `timezone` (UTC when unset)."""

    cron: str
    window_duration: str
    timezone: str | None = None


class CertificateRenewal(ApiModel):
    """spec.renewal: RenewBefore renews at renewBefore / renewBeforePercentage, moved into the next
    window when `windows` are given; Disabled never renews on schedule. As in cert-manager, the
    policy must be set whenever spec.renewal is."""

    policy: CertificateRenewalPolicy | None = None
    windows: list[CertificateRenewalWindow] | None = None


class CertificateSpec(ApiModel):
    secret_name: str
    issuer_ref: IssuerReference
    secret_template: CertificateSecretTemplate | None = None
    common_name: str | None = None
    literal_subject: str | None = None
    subject: X509Subject | None = None
    duration: str | None = None
    renew_before: str | None = None
    renew_before_percentage: Int | None = None
    dns_names: list[str] | None = None
    ip_addresses: list[str] | None = None
    uris: list[str] | None = None
    email_addresses: list[str] | None = None
    other_names: list[OtherName] | None = None
    is_ca: Bool | None = Field(default=None, alias="isCA")
    usages: list[KeyUsage] | None = None
    private_key: CertificatePrivateKey | None = None
    signature_algorithm: SignatureAlgorithm | None = None
    encode_usages_in_request: Bool | None = None
    keystores: CertificateKeystores | None = None
    additional_output_formats: list[CertificateAdditionalOutputFormat] | None = None
    name_constraints: NameConstraints | None = None
    revision_history_limit: Int | None = None
    renewal: CertificateRenewal | None = None


class CertificateStatus(ApiModel):
    conditions: list[Condition] | None = None
    last_failure_time: datetime | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    renewal_time: datetime | None = None
    revision: Int | None = None
    next_private_key_secret_name: str | None = None
    failed_issuance_attempts: Int | None = None


@register
class Certificate(Resource):
    API_VERSION = "cert-manager.io/v1"
    KIND = "Certificate"
    PLURAL = "certificates"
    SINGULAR = "certificate"
    SHORT_NAMES = ("cert", "certs")

    spec: CertificateSpec
    status: CertificateStatus | None = None
