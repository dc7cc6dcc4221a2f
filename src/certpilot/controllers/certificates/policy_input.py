"""What the issuance and readiness policies look at, parsed once per Secret version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from certpilot.api import defaults
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.enums import CertificateRenewalPolicy
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.parsed_secrets import (
    ParsedCertificate,
    ParsedKey,
    parse_key,
    parse_leaf,
)
from certpilot.controllers.certificates.renewal import renewal_time
from certpilot.controllers.certificates.renewal_windows import NoRenewalWindow, renewal_start_within_windows


@dataclass(frozen=True)
class PolicyInput:
    """certificate: the Certificate. secret: its spec.secretName Secret, if any. current_request:
    the CertificateRequest of status.revision, if still kept. now: the clock's time. memos: the
    answers the controllers remember between reconciles (a fresh set, remembering nothing across
    inputs, unless the controller passes its own)."""

    certificate: Certificate
    secret: Secret | None
    current_request: CertificateRequest | None
    now: datetime
    memos: CertificateMemos = field(default_factory=CertificateMemos, repr=False, compare=False)

    @cached_property
    def cert_pem(self) -> bytes | None:
        return self.secret.get_data(TLS_CERT_KEY) if self.secret else None

    @cached_property
    def key_pem(self) -> bytes | None:
        return self.secret.get_data(TLS_PRIVATE_KEY_KEY) if self.secret else None

    @cached_property
    def parsed_certificate(self) -> ParsedCertificate:
        if self.secret is None:
            return parse_leaf(b"")
        return self.memos.parsed_leaf(self.secret, TLS_CERT_KEY)

    @cached_property
    def parsed_key(self) -> ParsedKey:
        if self.secret is None:
            return parse_key(b"")
        return self.memos.parsed_key(self.secret, TLS_PRIVATE_KEY_KEY)

    @cached_property
    def renewal_schedule(self) -> tuple[datetime | None, str | None]:
        """When the Secret's certificate is due for renewal, and why no renewal window could be
        found (then renewal is due at the time renewBefore gives, as cert-manager does). No time
        when it has no valid certificate or spec.renewal.policy is Disabled."""
        cert = self.parsed_certificate.certificate
        renewal = self.certificate.spec.renewal
        if cert is None or (renewal is not None and renewal.policy is CertificateRenewalPolicy.DISABLED):
            return None, None
        spec = self.certificate.spec
        due = renewal_time(
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
            defaults.renew_before(spec),
            spec.renew_before_percentage,
        )
        if renewal is None or not renewal.windows:
            return due, None
        try:
            start = renewal_start_within_windows(
                due, cert.not_valid_before_utc, cert.not_valid_after_utc, renewal.windows
            )
        except NoRenewalWindow as error:
            return due, str(error)
        return start, None

    @property
    def renewal_time(self) -> datetime | None:
        return self.renewal_schedule[0]
