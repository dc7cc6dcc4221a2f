"""String enums whose values are exactly cert-manager's API strings."""

from __future__ import annotations

from enum import StrEnum


class PrivateKeyAlgorithm(StrEnum):
    RSA = "RSA"
    ECDSA = "ECDSA"
    ED25519 = "Ed25519"


class PrivateKeyEncoding(StrEnum):
    PKCS1 = "PKCS1"
    PKCS8 = "PKCS8"


class RotationPolicy(StrEnum):
    NEVER = "Never"
    ALWAYS = "Always"


class KeyUsage(StrEnum):
    SIGNING = "signing"
    DIGITAL_SIGNATURE = "digital signature"
    CONTENT_COMMITMENT = "content commitment"
    KEY_ENCIPHERMENT = "key encipherment"
    KEY_AGREEMENT = "key agreement"
    DATA_ENCIPHERMENT = "data encipherment"
    CERT_SIGN = "cert sign"
    CRL_SIGN = "crl sign"
    ENCIPHER_ONLY = "encipher only"
    DECIPHER_ONLY = "decipher only"
    ANY = "any"
    SERVER_AUTH = "server auth"
    CLIENT_AUTH = "client auth"
    CODE_SIGNING = "code signing"
    EMAIL_PROTECTION = "email protection"
    SMIME = "s/mime"
    IPSEC_END_SYSTEM = "ipsec end system"
    IPSEC_TUNNEL = "ipsec tunnel"
    IPSEC_USER = "ipsec user"
    TIMESTAMPING = "timestamping"
    OCSP_SIGNING = "ocsp signing"
    MICROSOFT_SGC = "microsoft sgc"
    NETSCAPE_SGC = "netscape sgc"


class SignatureAlgorithm(StrEnum):
    SHA256WithRSA = "SHA256WithRSA"
    SHA384WithRSA = "SHA384WithRSA"
    SHA512WithRSA = "SHA512WithRSA"
    ECDSAWithSHA256 = "ECDSAWithSHA256"
    ECDSAWithSHA384 = "ECDSAWithSHA384"
    ECDSAWithSHA512 = "ECDSAWithSHA512"
    PureEd25519 = "PureEd25519"


class PKCS12Profile(StrEnum):
    LEGACY_RC2 = "LegacyRC2"
    LEGACY_DES = "LegacyDES"
    MODERN_2023 = "Modern2023"
    MODERN_2026 = "Modern2026"


class CertificateRenewalPolicy(StrEnum):
    RENEW_BEFORE = "RenewBefore"
    DISABLED = "Disabled"


class ACMERenewalInformationSource(StrEnum):
    """Where an ACME issuer learns when to renew: the CA's renewalInfo (RFC 9773), or nowhere
    (renewBefore alone), as cert-manager's spec.acme.renewalInformationSource."""

    ARI = "ARI"
    NONE = "None"


class AdditionalOutputFormatType(StrEnum):
    DER = "DER"
    COMBINED_PEM = "CombinedPEM"


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class CNAMEStrategy(StrEnum):
    """Whether DNS01 follows a CNAME at `_acme-challenge.<name>` to present the record elsewhere."""

    NONE = "None"
    FOLLOW = "Follow"


class ACMEChallengeType(StrEnum):
    HTTP01 = "HTTP-01"
    DNS01 = "DNS-01"
    TLS_ALPN01 = "TLS-ALPN-01"
    # draft-ietf-acme-dns-persist: one persistent TXT record per name and account (certpilot's own).
    DNS_PERSIST01 = "DNS-PERSIST-01"


class State(StrEnum):
    """The state of an ACME Order or Challenge, as cert-manager copies it from the ACME server."""

    VALID = "valid"
    READY = "ready"
    PENDING = "pending"
    PROCESSING = "processing"
    INVALID = "invalid"
    EXPIRED = "expired"
    ERRORED = "errored"


class AzureEnvironment(StrEnum):
    """The Azure cloud an AzureDNS solver talks to."""

    PUBLIC = "AzurePublicCloud"
    CHINA = "AzureChinaCloud"
    GERMAN = "AzureGermanCloud"
    US_GOVERNMENT = "AzureUSGovernmentCloud"


class AzureZoneType(StrEnum):
    """Whether an AzureDNS hosted zone is public or a Private DNS zone."""

    PUBLIC = "AzurePublicZone"
    PRIVATE = "AzurePrivateZone"


class RFC2136Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"


class HMACAlgorithm(StrEnum):
    """TSIG algorithms cert-manager's RFC2136 provider accepts."""

    HMACMD5 = "HMACMD5"
    HMACSHA1 = "HMACSHA1"
    HMACSHA256 = "HMACSHA256"
    HMACSHA512 = "HMACSHA512"


class HMACKeyAlgorithm(StrEnum):
    """MAC algorithm of an ACME External Account Binding key."""

    HS256 = "HS256"
    HS384 = "HS384"
    HS512 = "HS512"
