"""keymanager: while Issuing, makes sure the next private key exists, in a temporary Secret
named by status.nextPrivateKeySecretName, so a restart never generates a second key."""

from __future__ import annotations

from certpilot.api.certificate import Certificate
from certpilot.api.core import TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.defaults import private_key_encoding
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing, status_of, with_status
from certpilot.controllers.certificates.keymanager.next_key import (
    adoptable_next_key,
    keeps_its_key,
    next_key_secret,
    reusable_current_key,
    secret_holds_key_for_spec,
    stale_next_keys,
)
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.options import ControllerOptions
from certpilot.pki.keys import PrivateKey, encode_private_key, generate_private_key, key_spec_for
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.store.errors import Conflict, NotFound


def generate_key_pem(cert: Certificate) -> tuple[PrivateKey, bytes]:
    """A new key for the spec, and its PEM. Blocking: RSA generation takes a while."""
    key = generate_private_key(key_spec_for(cert.spec.private_key))
    return key, encode_private_key(key, private_key_encoding(cert.spec.private_key))


class KeyManagerController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, memos: CertificateMemos | None = None
    ) -> None:
        """memos: shared with the other Certificate controllers of this Manager (setup.build)."""
        self.ctx = ctx
        self.options = options
        self.memos = memos or CertificateMemos()
        ctx.cache.on_deleted(self.memos.forget_deleted)
        self.spec = ControllerSpec(
            name="certificates-key-manager",
            primary=Certificate,
            watches=[Watch(Secret, lookups.secret_to_certificate_keys(ctx.cache))],
            primary_relevant=changes.KEY_MANAGER_CHANGES,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cached is None or cached.metadata.deletion_timestamp is not None:
            return Result()
        candidates = lookups.next_key_secrets(self.ctx.cache, cached)
        if not is_issuing(cached):
            await self._forget_next_key(cached, candidates)
            return Result()
        # Read the Certificate itself, not the cache: a stale status could hide the key just made.
        cert = await self.ctx.store.get(Certificate, key.name, key.namespace)
        if not is_issuing(cert):
            return Result()
        recorded = await self._recorded_next_key(cert)
        if recorded is not None:
            await self._delete(stale_next_keys(candidates, keep=recorded.name))
            return Result()
        chosen = adoptable_next_key(cert, candidates, self.memos)
        created = chosen is None
        if chosen is None:
            new_key, pem = await self._next_key(cert)
            sent = next_key_secret(cert, pem)
            chosen = await self.ctx.store.create(sent)
            if new_key is not None and chosen.data == sent.data:
                # The request manager and this controller read this key next: no need to parse it.
                self.memos.remember_parsed_key(chosen, TLS_PRIVATE_KEY_KEY, new_key)
        status = status_of(cert)
        status.next_private_key_secret_name = chosen.name
        try:
            await self.ctx.store.update_status(with_status(cert, status))
        except Conflict:
            # The Certificate moved on (issued, or another writer): the new key would be an orphan.
            if created:
                await self._delete([chosen])
            raise
        await self._delete(stale_next_keys(candidates, keep=chosen.name))
        return Result()

    async def _recorded_next_key(self, cert: Certificate) -> Secret | None:
        """The Secret status names, when it exists and still fits the spec."""
        name = cert.status.next_private_key_secret_name if cert.status else None
        if name is None:
            return None
        secret = await self.ctx.cached_or_stored(Secret, name, cert.namespace)
        return secret if secret is not None and secret_holds_key_for_spec(secret, cert, self.memos) else None

    async def _next_key(self, cert: Certificate) -> tuple[PrivateKey | None, bytes]:
        """The next key's PEM, with the key when generated here (a reused one stays a PEM)."""
        # Read from the store too when Secrets are cached in part: on Kubernetes the key of a
        # Secret issued before certpilot took over (unlabelled) is kept as well.
        if keeps_its_key(cert):
            current = await self.ctx.lookup(Secret, cert.spec.secret_name, cert.namespace)
            reused = reusable_current_key(cert, current, self.memos)
            if reused is not None:
                return None, reused
        return await self.ctx.run_blocking(generate_key_pem, cert)

    async def _forget_next_key(self, cert: Certificate, candidates: list[Secret]) -> None:
        """Not issuing: no next key should remain (cert-manager deletes them too). Confirmed against
        the store first, since a stale cache could otherwise delete the key of an issuance under way."""
        if not candidates and (cert.status is None or cert.status.next_private_key_secret_name is None):
            return
        cert = await self.ctx.store.get(Certificate, cert.name, cert.namespace)
        if is_issuing(cert):
            return
        await self._delete(candidates)
        if cert.status is not None and cert.status.next_private_key_secret_name is not None:
            status = status_of(cert)
            status.next_private_key_secret_name = None
            await self.ctx.store.update_status(with_status(cert, status))

    async def _delete(self, secrets: list[Secret]) -> None:
        for secret in secrets:
            try:
                await self.ctx.store.delete(Secret, secret.name, secret.namespace)
            except NotFound:
                continue
