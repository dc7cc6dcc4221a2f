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
from certpilot.api.meta import ApiModel, Conditions, Resource, SecretKeySelector
from certpilot.api.registry import register
from certpilot.api.scalars import Bool, Int, Int32


class X509Subject(ApiModel):
    """Distinguished-name fields of the certificate's subject."""

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
    """The private key: algorithm, size, encoding and whether each issuance makes a new one."""

    algorithm: PrivateKeyAlgorithm | None = None
    """RSA (default), ECDSA or Ed25519."""
    size: Int | None = None
    """Key size: RSA bits (2048 default) or ECDSA curve size (256, 384, 521)."""
    encoding: PrivateKeyEncoding | None = None
    """PKCS1 (default) or PKCS8 encoding of tls.key."""
    rotation_policy: RotationPolicy | None = None
    """Always (default): a new key on each issuance; Never: reuse the stored key."""


class JKSKeystore(ApiModel):
    """A Java KeyStore written into the Secret; `password` is a literal alternative to the Secret ref."""

    create: Bool
    alias: str | None = None
    password_secret_ref: SecretKeySelector | None = None
    password: str | None = Field(default=None, repr=False)


class PKCS12Keystore(ApiModel):
    """A PKCS#12 file (keystore.p12, truststore.p12) written into the Secret."""

    create: Bool
    profile: PKCS12Profile | None = None
    password_secret_ref: SecretKeySelector | None = None
    password: str | None = Field(default=None, repr=False)


class CertificateKeystores(ApiModel):
    """Extra keystore formats written into the Secret."""

    jks: JKSKeystore | None = None
    pkcs12: PKCS12Keystore | None = None


class CertificateAdditionalOutputFormat(ApiModel):
    """An extra key/certificate encoding written into the Secret (tls-combined.pem, key.der)."""

    type: AdditionalOutputFormatType


class NameConstraintItem(ApiModel):
    """Names, IP ranges, emails and URI domains a name constraint lists."""

    dns_domains: list[str] | None = None
    ip_ranges: list[str] | None = None
    email_addresses: list[str] | None = None
    uri_domains: list[str] | None = None


class NameConstraints(ApiModel):
    """X.509 name constraints for a CA certificate (isCA)."""

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
    """What the certificate should contain and who signs it."""

    secret_name: str
    """The Secret (in this namespace) the key pair is stored in: tls.crt, tls.key, ca.crt."""
    issuer_ref: IssuerReference
    """The Issuer or ClusterIssuer that signs."""
    secret_template: CertificateSecretTemplate | None = None
    """Labels and annotations to put on the Secret."""
    common_name: str | None = None
    """The subject's common name; prefer dnsNames (the CA/Browser Forum deprecates CNs)."""
    literal_subject: str | None = None
    """The whole subject as an RFC 4514 string; replaces commonName and subject."""
    subject: X509Subject | None = None
    """Subject fields besides the common name."""
    duration: str | None = None
    """Requested lifetime, a Go duration (default 2160h, 90 days); the issuer may shorten it."""
    renew_before: str | None = None
    """Renew this long before expiry, a Go duration; default: a third of the lifetime."""
    renew_before_percentage: Int32 | None = None
    """Renew when this percentage of the lifetime remains; instead of renewBefore."""
    dns_names: list[str] | None = None
    """DNS subject alternative names."""
    ip_addresses: list[str] | None = None
    """IP address subject alternative names."""
    uris: list[str] | None = None
    """URI subject alternative names."""
    email_addresses: list[str] | None = None
    """Email subject alternative names."""
    other_names: list[OtherName] | None = None
    """otherName subject alternative names."""
    is_ca: Bool | None = Field(default=None, alias="isCA")
    """Whether the certificate is a CA (basic constraints); adds the cert sign usage."""
    usages: list[KeyUsage] | None = None
    """Key usages and extended key usages; default: digital signature, key encipherment."""
    private_key: CertificatePrivateKey | None = None
    """How the private key is generated."""
    signature_algorithm: SignatureAlgorithm | None = None
    """Signature algorithm to request; default follows the issuer's key."""
    encode_usages_in_request: Bool | None = None
    """Whether the CSR carries the key usages (default true)."""
    keystores: CertificateKeystores | None = None
    """Extra keystore formats (JKS, PKCS#12) to write into the Secret."""
    additional_output_formats: list[CertificateAdditionalOutputFormat] | None = None
    """Extra encodings of key and certificate to write into the Secret."""
    name_constraints: NameConstraints | None = None
    """Name constraints for a CA certificate."""
    revision_history_limit: Int32 | None = None
    """How many old CertificateRequests to keep; default: all."""
    renewal: CertificateRenewal | None = None
    """Whether the certificate renews on schedule, and in which windows a renewal may start."""


class ACMERenewalWindow(ApiModel):
    """The period in which the ACME server suggests renewing."""

    start: datetime
    end: datetime


class ACMERenewalInfo(ApiModel):
    """ACME Renewal Information (RFC 9773) last fetched for the current certificate."""

    suggested_window: ACMERenewalWindow | None = None
    """The window the ACME server suggests renewing in."""
    explanation_url: str | None = Field(default=None, alias="explanationURL")
    """A page where the ACME server explains the suggestion."""
    last_checked: datetime | None = None
    """When renewal information was last fetched."""
    next_check: datetime | None = None
    """When to fetch it again."""
    last_error: str | None = None
    """Why the last fetch failed, if it did."""


class CertificateACMEStatus(ApiModel):
    """ACME-specific status of the certificate."""

    ari: ACMERenewalInfo | None = None


class CertificateStatus(ApiModel):
    """What was last issued, and when the certificate is renewed."""

    acme: CertificateACMEStatus | None = None
    """ACME-specific status."""
    conditions: Conditions | None = None
    """Ready (the Secret holds a valid certificate matching the spec) and Issuing."""
    last_failure_time: datetime | None = None
    """When issuance last failed; retries back off from here."""
    not_before: datetime | None = None
    """Start of the current certificate's validity."""
    not_after: datetime | None = None
    """End of the current certificate's validity."""
    renewal_time: datetime | None = None
    """When the certificate will be renewed."""
    revision: Int | None = None
    """Issuance counter, bumped each time a new certificate is stored."""
    next_private_key_secret_name: str | None = None
    """The Secret holding the private key for the next issuance."""
    failed_issuance_attempts: Int | None = None
    """Consecutive failed issuances, for the retry back-off."""


@register
class Certificate(Resource):
    """A desired X.509 certificate, issued by `spec.issuerRef` and kept up to date, renewed before it
    expires, in the Secret `spec.secretName`."""

    API_VERSION = "cert-manager.io/v1"
    KIND = "Certificate"
    PLURAL = "certificates"
    SINGULAR = "certificate"
    SHORT_NAMES = ("cert", "certs")

    spec: CertificateSpec
    status: CertificateStatus | None = None
