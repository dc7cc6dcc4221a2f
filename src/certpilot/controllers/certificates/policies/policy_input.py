"""What the issuance and readiness policies look at, parsed once per Secret version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from cryptography import x509

from certpilot.acme.renewal_info import NoCertificateId, certificate_id
from certpilot.api import defaults
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.enums import CertificateRenewalPolicy
from certpilot.controllers.certificates.memos import CertificateMemos, RenewalSchedule
from certpilot.controllers.certificates.parsed_secrets import (
    ParsedCertificate,
    ParsedKey,
    parse_key,
    parse_leaf,
)
from certpilot.controllers.certificates.policies.ari_window import stored_renewal_info, suggested_window
from certpilot.controllers.certificates.policies.ca_rotation import signed_by
from certpilot.controllers.certificates.policies.renewal import (
    jittered_renewal_time,
    renewal_time,
    rotation_renewal_time,
    stable_fraction,
    time_within_window,
)
from certpilot.controllers.certificates.policies.renewal_windows import (
    NoRenewalWindow,
    renewal_start_within_windows,
)


@dataclass(frozen=True)
class PolicyInput:
    """certificate: the Certificate. secret: its spec.secretName Secret, if any. current_request:
    the CertificateRequest of status.revision, if still kept. now: the clock's time. memos: the
    answers the controllers remember between reconciles (a fresh set, remembering nothing across
    inputs, unless the controller passes its own). issuer_ca: the CA certificate a CA issuer signs
    with now, for the issuers that have one."""

    certificate: Certificate
    secret: Secret | None
    current_request: CertificateRequest | None
    now: datetime
    memos: CertificateMemos = field(default_factory=CertificateMemos, repr=False, compare=False)
    issuer_ca: x509.Certificate | None = None

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
    def renewal_schedule(self) -> RenewalSchedule:
        """When the Secret's certificate is due for renewal, and why no renewal window could be
        found (then renewal is due at the time renewBefore gives, as cert-manager does). No time
        when it has no valid certificate or spec.renewal.policy is Disabled."""
        return self.memos.renewal_schedule(
            self.secret, self.certificate, self.issuer_ca, self._renewal_schedule
        )

    def _renewal_schedule(self) -> RenewalSchedule:
        cert = self.parsed_certificate.certificate
        renewal = self.certificate.spec.renewal
        if cert is None or (renewal is not None and renewal.policy is CertificateRenewalPolicy.DISABLED):
            return None, None
        due = self.scheduled_renewal(cert)
        if renewal is None or not renewal.windows:
            return due, None
        try:
            start = renewal_start_within_windows(
                due, cert.not_valid_before_utc, cert.not_valid_after_utc, renewal.windows
            )
        except NoRenewalWindow as error:
            return due, str(error)
        return start, None

    def scheduled_renewal(self, cert: x509.Certificate) -> datetime:
        """The CA's ARI window when it gave one for this certificate (at an instant drawn once per
        certificate), else the renewBefore rule moved earlier by the jitter; and no later than a
        rotation of the issuer's CA asks."""
        stored = stored_renewal_info(self.secret.metadata.annotations if self.secret else None)
        window = suggested_window(stored, self.certificate_id(cert) if stored is not None else None)
        identity = self.renewal_identity(cert)
        if window is not None:
            # A window past notAfter is the CA's mistake: renew by notAfter all the same.
            due = min(time_within_window(*window, stable_fraction(identity)), cert.not_valid_after_utc)
        else:
            spec = self.certificate.spec
            by_rule = renewal_time(
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
                defaults.renew_before(spec),
                spec.renew_before_percentage,
            )
            # Renewal windows are the user's own schedule: the jitter never moves a renewal into
            # an earlier window.
            renewal = self.certificate.spec.renewal
            fraction = 0.0 if renewal is not None and renewal.windows else stable_fraction(identity)
            due = jittered_renewal_time(
                by_rule, cert.not_valid_before_utc, cert.not_valid_after_utc, fraction
            )
        if self.issuer_ca is not None and not signed_by(cert, self.issuer_ca):
            rotated = rotation_renewal_time(
                self.issuer_ca.not_valid_before_utc,
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
                stable_fraction(identity),
            )
            due = min(due, rotated)
        return due

    def renewal_identity(self, cert: x509.Certificate) -> str:
        """What fixes a certificate's jitter and ARI instant: the Certificate and the serial it
        holds, the same after every restart and different at each renewal."""
        meta = self.certificate.metadata
        return f"{meta.namespace}/{meta.name}/{meta.uid}/{cert.serial_number:x}"

    def certificate_id(self, cert: x509.Certificate) -> str | None:
        try:
            return certificate_id(cert)
        except NoCertificateId:
            return None

    @property
    def renewal_time(self) -> datetime | None:
        return self.renewal_schedule[0]
