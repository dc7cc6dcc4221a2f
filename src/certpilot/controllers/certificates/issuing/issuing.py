"""issuing: when the next revision's CertificateRequest is issued, writes the Secret, bumps
status.revision and ends the Issuing cycle; when it failed or was denied, ends the cycle with
the failure recorded (for the trigger's backoff). Outside an issuance, keeps the Secret's
metadata and extra outputs in sync with the spec without issuing again."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from cryptography import x509

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import ISSUING, remove_condition, set_condition
from certpilot.api.core import CA_CERT_KEY, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.meta import Resource, SecretKeySelector
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing, issuing_since, status_of, with_status
from certpilot.controllers.certificates.issuing.post_issuance import secret_needs_sync
from certpilot.controllers.certificates.issuing.revocation import (
    issuer_ref_of_secret,
    revoke_and_record,
    revokes_superseded,
    superseded_certificate,
)
from certpilot.controllers.certificates.issuing.secret_data import (
    KeyPair,
    KeystorePasswords,
    desired_secret,
    wants_jks,
    wants_pkcs12,
)
from certpilot.controllers.certificates.memos import MEMO_CAPACITY, CertificateMemos, versions
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_chains import secret_must_be_replaced
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import with_readiness
from certpilot.controllers.certificates.request_state import (
    SignedChain,
    failed_before,
    failure,
    signed_chain,
)
from certpilot.controllers.issuers.resolve import issuer_context, lookup_issuer
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.revocation_request import Revocation, RevocationFailed
from certpilot.pki.keys import PrivateKey, public_key_matches
from certpilot.pki.parse import parse_certificates
from certpilot.pki.revocation_reasons import RevocationReason
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import PermanentError
from certpilot.store.errors import AlreadyExists, NotFound

log = logging.getLogger(__name__)


def issued_status(
    cert: Certificate, secret: Secret, request: CertificateRequest, now: datetime, memos: CertificateMemos
) -> CertificateStatus:
    """The status that ends an issuance: the next revision, Issuing and the failure record
    cleared, the next key forgotten, and Ready with the validity times exactly as readiness will
    compute them from the Secret just written and the request that produced it (its
    current_request once the revision moves), so readiness finds nothing to write."""
    status = status_of(cert)
    status.revision = lookups.current_revision(cert) + 1
    status.conditions = remove_condition(status.conditions, ISSUING)
    status.last_failure_time = None
    status.failed_issuance_attempts = None
    status.next_private_key_secret_name = None
    issued = PolicyInput(
        certificate=with_status(cert, status), secret=secret, current_request=request, now=now, memos=memos
    )
    return with_readiness(status, issued)


def returned_certificate_problem(leaf: x509.Certificate, now: datetime) -> str | None:
    """Why a certificate the issuer returned must not be stored: an already expired one would be
    found expired at once and issued again, in a loop (cert-manager #8610); failing the issuance
    instead brings the trigger's backoff into play."""
    if now > leaf.not_valid_after_utc:
        return (
            "Issuer returned an already expired certificate "
            f"(notAfter: {leaf.not_valid_after_utc.isoformat()}). "
            "This usually indicates an expired CA certificate in the issuer."
        )
    return None


def failed_issuance_status(
    cert: Certificate, request_name: str, reason: str, detail: str, now: datetime
) -> tuple[CertificateStatus, str]:
    """The status that ends a failed issuance (Issuing=False, the failure counted for the
    trigger's backoff), and the message saying why."""
    message = (
        f"The certificate request has failed to complete and will be retried: {detail}"
        if reason != "Denied"
        else f"The CertificateRequest {request_name!r} was denied by an approval controller: {detail}"
    )
    status = status_of(cert)
    status.conditions = set_condition(
        status.conditions, ISSUING, "False", reason, message, now, cert.metadata.generation
    )
    status.last_failure_time = now.replace(microsecond=0)
    status.failed_issuance_attempts = (status.failed_issuance_attempts or 0) + 1
    return status, message


class KeystorePasswordMissing(PermanentError):
    """spec.keystores asks for a keystore whose password cannot be found."""


class IssuingController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, memos: CertificateMemos | None = None
    ) -> None:
        """memos: shared with the other Certificate controllers of this Manager (setup.build)."""
        self.ctx = ctx
        self.options = options
        self.memos = memos or CertificateMemos()
        # Secrets found in sync with their Certificate, by both versions: a restart checks every
        # Certificate, and building the desired Secret to compare costs as much as the policies.
        self._in_sync: BoundedMemo[None] = BoundedMemo(MEMO_CAPACITY)
        ctx.cache.on_deleted(self.memos.forget_deleted)
        ctx.cache.on_deleted(self._forget_deleted)
        self.spec = ControllerSpec(
            name="certificates-issuing",
            primary=Certificate,
            watches=[
                Watch(Secret, lookups.secret_to_certificate_keys(ctx.cache)),
                Watch(
                    CertificateRequest,
                    lookups.owner_certificate_keys,
                    relevant=changes.request_changed_apart_from_approval,
                ),
            ],
            primary_relevant=changes.ISSUING_CHANGES,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None:
            return Result()
        if not is_issuing(cert):
            await self._sync_secret(cert)
            return Result()
        request = lookups.next_request(self.ctx.cache, cert)
        if request is None:
            log.debug("Certificate %s: waiting for the requestmanager to create its CertificateRequest", key)
            return Result()
        outcome = failure(request)
        if outcome is not None:
            if failed_before(request, issuing_since(cert)):
                log.debug(
                    "Certificate %s: %s failed in an earlier issuance; not counted again", key, request.name
                )
            else:
                await self._record_failure(cert, request, outcome[0], outcome[1])
            return Result()
        signed = signed_chain(request)
        if signed is None:
            log.debug("Certificate %s: waiting for CertificateRequest %s to be signed", key, request.name)
            return Result()
        await self._complete(cert, request, signed)
        return Result()

    async def _complete(self, cert: Certificate, request: CertificateRequest, signed: SignedChain) -> None:
        key_secret_name = cert.status.next_private_key_secret_name if cert.status else None
        key_secret = (
            await self.ctx.cached_or_stored(Secret, key_secret_name, cert.namespace)
            if key_secret_name
            else None
        )
        private_key = self.memos.parsed_key(key_secret, TLS_PRIVATE_KEY_KEY).key if key_secret else None
        if private_key is None:
            # As cert-manager: the keymanager (re)creates the next private key, and its write brings us back.
            log.info(
                "Certificate %s: CertificateRequest %s is signed but the next private key Secret %r is %s;"
                " waiting for the keymanager",
                cert.key,
                request.name,
                key_secret_name,
                "unreadable" if key_secret else "missing",
            )
            return
        chain_pem = signed.certificate
        leaf = parse_certificates(chain_pem, f"certificate of CertificateRequest {request.name}")[0]
        if not public_key_matches(leaf, private_key):
            log.info(
                "Certificate %s: CertificateRequest %s was signed for another private key;"
                " waiting for the requestmanager to replace it",
                cert.key,
                request.name,
            )
            return
        problem = returned_certificate_problem(leaf, self.ctx.clock.now())
        if problem is not None:
            await self._record_failure(cert, request, reasons.INVALID_CERTIFICATE, problem)
            return
        pair = KeyPair(private_key, chain_pem, signed.ca)
        passwords = await self._passwords(cert)

        async def write_over(existing: Secret | None) -> tuple[Secret, Secret]:
            secret = desired_secret(
                cert,
                existing,
                pair,
                passwords,
                owner_ref=self.options.enable_certificate_owner_ref,
                reuse_keystores=False,
                leaf=leaf,
                issuer_ref=request.spec.issuer_ref,
            )
            return secret, await self._write_secret(existing, secret)

        existing = lookups.certificate_secret(self.ctx.cache, cert)
        try:
            secret, written = await write_over(existing)
        except AlreadyExists:
            # One the cache does not hold: on Kubernetes a user's unlabelled Secret, made ahead of
            # the Certificate (docs/kubernetes.md), or one written a moment ago. Filled in, keeping
            # its metadata; reading it only here spares every other issuance a read.
            existing = await self.ctx.stored(Secret, cert.spec.secret_name, cert.namespace)
            secret, written = await write_over(existing)
        self._remember_written(cert, secret, written, leaf, private_key)
        issued = issued_status(cert, written, request, self.ctx.clock.now(), self.memos)
        await self.ctx.store.update_status(with_status(cert, issued))
        if key_secret is not None:
            with contextlib.suppress(NotFound):
                await self.ctx.store.delete(Secret, key_secret.name, key_secret.namespace)
        await self.ctx.events.event(cert, "Normal", "Issuing", "The certificate has been successfully issued")
        if revokes_superseded(cert):
            await self._revoke_superseded(cert, existing, leaf)

    async def _revoke_superseded(
        self, cert: Certificate, previous: Secret | None, issued: x509.Certificate
    ) -> None:
        """certpilot.io/revoke-superseded: revoke the certificate this issuance replaced, with the
        issuer that signed it. A refusal is a Warning event (revoke_and_record), never a failed
        issuance: the new certificate is already in place."""
        superseded = superseded_certificate(previous, issued)
        if previous is None or superseded is None:
            return
        ref = issuer_ref_of_secret(previous) or cert.spec.issuer_ref
        issuer = lookup_issuer(self.ctx.cache, ref, cert.namespace)
        if issuer is None:
            message = f"Not revoking the superseded certificate: its issuer {ref.kind}/{ref.name} is gone"
            await self.ctx.events.event(cert, "Warning", "RevocationFailed", message)
            return
        revocation = Revocation(superseded, RevocationReason.superseded)
        with contextlib.suppress(RevocationFailed):
            await revoke_and_record(
                issuer_context(issuer, self.options, self.ctx),
                self.ctx.events,
                cert,
                revocation,
                self.options.acme_http_timeout,
            )

    def _remember_written(
        self, cert: Certificate, sent: Secret, stored: Secret, leaf: x509.Certificate, key: PrivateKey
    ) -> None:
        """When the store holds exactly the Secret sent, its version holds the leaf and key parsed
        and checked here, and is the Secret the sync would build for it (desired_secret gives
        back a Secret it built): its readers (issued_status's Ready just after, trigger,
        readiness, the sync) then neither parse those bytes again nor rebuild the Secret."""
        if secret_needs_sync(stored, sent) is not None:
            return
        self.memos.remember_parsed_leaf(stored, TLS_CERT_KEY, leaf)
        self.memos.remember_parsed_key(stored, TLS_PRIVATE_KEY_KEY, key)
        self.memos.remember_key_pair_matches(stored)
        self._in_sync.put(self._in_sync_key(cert, stored), None)

    async def _record_failure(
        self, cert: Certificate, request: CertificateRequest, reason: str, detail: str
    ) -> None:
        status, message = failed_issuance_status(cert, request.name, reason, detail, self.ctx.clock.now())
        await self.ctx.store.update_status(with_status(cert, status))
        await self.ctx.events.event(cert, "Warning", reason, message)

    async def _sync_secret(self, cert: Certificate) -> None:
        """Outside an issuance: rewrite a Secret whose metadata or extra outputs drifted. Only a
        Secret whose contents may stay: rewriting another (a foreign or mismatched one) would
        stamp our annotations on it and hide why it must be issued again. One that is merely due
        for renewal is repaired like any other, as cert-manager's issuing controller does: its
        dates are not what the rewrite touches (and on a restart this spares computing every
        renewal schedule a second time, far from the trigger's answer in the memo). On Kubernetes
        an unlabelled Secret (issued before certpilot took over) gets the label here, which brings
        it into the cache."""
        existing = await lookups.secret_of_issued(self.ctx, cert)
        if existing is None:
            return
        # Either way nothing is written: a Secret found in sync needs no look at the policies.
        in_sync_key = self._in_sync_key(cert, existing)
        if in_sync_key in self._in_sync:
            return
        i = PolicyInput(
            memos=self.memos,
            certificate=cert,
            secret=existing,
            current_request=lookups.current_request(self.ctx.cache, cert),
            now=self.ctx.clock.now(),
        )
        if i.parsed_key.key is None or secret_must_be_replaced(i) is not None:
            return
        pair = KeyPair(i.parsed_key.key, i.cert_pem or b"", existing.get_data(CA_CERT_KEY) or b"")
        desired = desired_secret(
            cert,
            existing,
            pair,
            await self._passwords(cert),
            owner_ref=self.options.enable_certificate_owner_ref,
            reuse_keystores=True,
            leaf=i.parsed_certificate.certificate,
            issuer_ref=issuer_ref_of_secret(existing),
        )
        reason = secret_needs_sync(existing, desired)
        if reason is None:
            self._in_sync.put(in_sync_key, None)
            return
        await self._write_secret(existing, desired)
        await self.ctx.events.event(cert, "Normal", reason.reason, f"Updated Secret: {reason.message}")

    def _forget_deleted(self, obj: Resource) -> None:
        if obj.metadata.uid is not None:
            self._in_sync.forget_object(obj.metadata.uid)

    def _in_sync_key(self, cert: Certificate, secret: Secret) -> tuple[object, ...] | None:
        """The versions a Secret found in sync was checked against. Keystore passwords come from
        other Secrets, so a Certificate with keystores is checked every time."""
        if cert.spec.keystores is not None:
            return None
        checked = versions(("stored", secret), ("spec", cert))
        return None if checked is None else (*checked, self.options.enable_certificate_owner_ref)

    async def _passwords(self, cert: Certificate) -> KeystorePasswords:
        ks = cert.spec.keystores
        pkcs12 = (
            await self._password(cert, ks.pkcs12.password_secret_ref, ks.pkcs12.password, "pkcs12")
            if (ks and ks.pkcs12 and wants_pkcs12(cert))
            else None
        )
        jks = (
            await self._password(cert, ks.jks.password_secret_ref, ks.jks.password, "jks")
            if (ks and ks.jks and wants_jks(cert))
            else None
        )
        return KeystorePasswords(pkcs12=pkcs12, jks=jks)

    async def _password(
        self, cert: Certificate, ref: SecretKeySelector | None, literal: str | None, kind: str
    ) -> bytes:
        if literal is not None:
            return literal.encode()
        if ref is None:
            raise KeystorePasswordMissing(
                f"Certificate {cert.key}: spec.keystores.{kind} needs passwordSecretRef or password"
            )
        # A user's Secret: not in the cache on Kubernetes, where only certpilot's Secrets are.
        secret = await self.ctx.cached_or_stored(Secret, ref.name, cert.namespace)
        value = secret.get_data(ref.key or "") if secret else None
        if value is None:
            raise KeystorePasswordMissing(
                f"Certificate {cert.key}: spec.keystores.{kind}.passwordSecretRef names key {ref.key!r} of "
                f"Secret {ref.name!r}, which does not exist: create it"
            )
        return value

    async def _write_secret(self, existing: Secret | None, secret: Secret) -> Secret:
        if existing is None:
            return await self.ctx.store.create(secret)
        return await self.ctx.store.update(secret)
