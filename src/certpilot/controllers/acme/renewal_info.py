"""renewal-info: asks the ACME CA when each certificate it issued should be renewed (RFC 9773)
and keeps the answer on the certificate Secret, where the trigger reads it. The HTTP call runs in
the thread pool here, so the trigger never waits on the network; a restart reads the stored answer
and does not ask again before its Retry-After."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from certpilot.acme.client_errors import AcmeError
from certpilot.acme.renewal_info import NoCertificateId, certificate_id
from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.core import TLS_CERT_KEY, Secret
from certpilot.api.enums import ACMERenewalInformationSource
from certpilot.api.issuer import AnyIssuer
from certpilot.api.meta import Resource
from certpilot.controllers.acme.account import account_of
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.ari_window import (
    StoredRenewalInfo,
    renewal_info_annotations,
    stored_renewal_info,
)
from certpilot.controllers.issuers.resolve import lookup_issuer
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import RetryWithBackoff
from certpilot.store.errors import Conflict, NotFound


class RenewalInfoStep(enum.Enum):
    NOTHING = "nothing: no ACME certificate with ARI to ask about"
    FORGET = "remove the stored answer: the issuer turned ARI off"
    WAIT = "wait for the next poll the CA allowed"
    FETCH = "ask the CA"


@dataclass(frozen=True)
class RenewalInfoDecision:
    step: RenewalInfoStep
    wait: timedelta | None = None


def uses_ari(issuer: AnyIssuer | None) -> bool:
    """An ACME issuer whose renewalInformationSource is ARI or unset (cert-manager's default)."""
    config = issuer.spec.acme if issuer is not None else None
    return config is not None and config.renewal_information_source is not ACMERenewalInformationSource.NONE


def renewal_info_decision(
    ari: bool,
    leaf: x509.Certificate | None,
    cert_id: str | None,
    stored: StoredRenewalInfo | None,
    now: datetime,
) -> RenewalInfoDecision:
    """What to do about one certificate's renewal information."""
    if not ari:
        return RenewalInfoDecision(RenewalInfoStep.FORGET if stored is not None else RenewalInfoStep.NOTHING)
    if leaf is None or cert_id is None or now >= leaf.not_valid_after_utc:
        # RFC 9773 4.3: never ask about an expired certificate; it renews by the rule anyway.
        return RenewalInfoDecision(RenewalInfoStep.NOTHING)
    if (
        stored is not None
        and stored.cert_id == cert_id
        and stored.next_poll is not None
        and now < stored.next_poll
    ):
        return RenewalInfoDecision(RenewalInfoStep.WAIT, stored.next_poll - now)
    return RenewalInfoDecision(RenewalInfoStep.FETCH)


def with_annotations(secret: Secret, info: StoredRenewalInfo | None) -> Secret:
    """A copy of `secret` carrying `info` (or no renewal information at all)."""
    kept = {k: v for k, v in (secret.metadata.annotations or {}).items() if k not in ann.ARI_ANNOTATIONS}
    updated = secret.model_copy(deep=True)
    updated.metadata.annotations = {**kept, **(renewal_info_annotations(info) if info else {})}
    return updated


def leaf_and_id(secret: Secret | None, memos: CertificateMemos) -> tuple[x509.Certificate | None, str | None]:
    leaf = memos.parsed_leaf(secret, TLS_CERT_KEY).certificate if secret is not None else None
    if leaf is None:
        return None, None
    try:
        return leaf, certificate_id(leaf)
    except NoCertificateId:
        return leaf, None


def spec_changed(old: Certificate, new: Certificate) -> bool:
    """It reads the issuerRef and secretName only: status writes change nothing for it."""
    return old.spec.issuer_ref != new.spec.issuer_ref or old.spec.secret_name != new.spec.secret_name


class RenewalInfoController:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        self.ctx = ctx
        self.options = options
        # Its own: the Certificate controllers' memos belong to them (a different Manager may run them).
        self.memos = CertificateMemos()
        ctx.cache.on_deleted(self.memos.forget_deleted)
        self._certificates_of_secret = lookups.secret_name_to_certificate_keys(ctx.cache)
        self.spec = ControllerSpec(
            name="acme-renewal-info",
            primary=Certificate,
            watches=[Watch(Secret, self._acme_certificates_of_secret)],
            primary_relevant=spec_changed,
        )

    def _acme_certificates_of_secret(self, secret: Resource) -> list[ObjectKey]:
        """The Certificates of the Secret that an ACME issuer signs for: reconcile returns at once
        for the others, so their Secrets' changes (three per issuance) are not even queued."""
        return [
            key
            for key in self._certificates_of_secret(secret)
            if self._acme_issuer_of(self.ctx.cache.get(Certificate, key.name, key.namespace)) is not None
        ]

    def _acme_issuer_of(self, cert: Certificate | None) -> AnyIssuer | None:
        issuer = lookup_issuer(self.ctx.cache, cert.spec.issuer_ref, cert.namespace) if cert else None
        return issuer if issuer is not None and issuer.spec.acme is not None else None

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None:
            return Result()
        issuer = self._acme_issuer_of(cert)
        if issuer is None:
            return Result()
        secret = lookups.certificate_secret(self.ctx.cache, cert)
        leaf, cert_id = leaf_and_id(secret, self.memos)
        stored = stored_renewal_info(secret.metadata.annotations) if secret is not None else None
        now = self.ctx.clock.now()
        decision = renewal_info_decision(uses_ari(issuer), leaf, cert_id, stored, now)
        if decision.step is RenewalInfoStep.WAIT and decision.wait is not None:
            return Result(requeue_after=max(decision.wait.total_seconds(), 1.0))
        if secret is None or decision.step is RenewalInfoStep.NOTHING:
            return Result()
        if decision.step is RenewalInfoStep.FORGET:
            await self._write(with_annotations(secret, None))
            return Result()
        if leaf is None or cert_id is None:
            return Result()  # decide() asks to FETCH only for a readable leaf with an ARI id
        account = await account_of(self.ctx, self.options, cert.spec.issuer_ref, cert.namespace)
        try:
            info = await self.ctx.run_blocking(account.client.renewal_info, leaf, now)
        except AcmeError as e:
            # Until the CA answers, the renewBefore rule (or the last window) stands.
            raise RetryWithBackoff(f"cannot fetch the ACME renewal information of {cert.key}: {e}") from None
        if info is None:
            return Result()
        answer = StoredRenewalInfo(cert_id, info.window_start, info.window_end, info.next_poll)
        await self._write(with_annotations(secret, answer))
        return Result(requeue_after=max((info.next_poll - now).total_seconds(), 1.0))

    async def _write(self, secret: Secret) -> None:
        try:
            await self.ctx.store.update(secret)
        except (Conflict, NotFound):
            raise RetryWithBackoff(
                f"Secret {secret.key} changed while its renewal information was written"
            ) from None
