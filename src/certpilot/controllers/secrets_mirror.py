"""Standalone: mirrors each certificate Secret to files (certpilot.outputs.files) and runs the
reload hook after a change. A failing hook is a Warning Event; the files stay written."""

from __future__ import annotations

from collections.abc import Iterable

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.api.meta import Resource
from certpilot.controllers.certificates.lookups import CERTIFICATES_BY_SECRET_NAME
from certpilot.controllers.options import ControllerOptions
from certpilot.outputs.files import FileMirror, mirrored_files
from certpilot.outputs.hooks import hook_environment, run_hook
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import RetryWithBackoff

HOOK_FAILED = "HookFailed"


def is_certificate_secret(secret: Secret) -> bool:
    """Written by a Certificate: the certificate-name annotation and a certificate in tls.crt."""
    return (
        ann.CERTIFICATE_NAME in (secret.metadata.annotations or {}) and secret.get_data("tls.crt") is not None
    )


def certificate_secret_keys(obj: Resource) -> Iterable[ObjectKey]:
    """A Certificate's change (deleted, say) re-checks the Secret it names."""
    if not isinstance(obj, Certificate):
        raise TypeError(f"the Certificate watch of the Secrets mirror was handed a {obj.KIND}")
    return [ObjectKey(obj.namespace, obj.spec.secret_name)]


def secret_name_changed(old: Certificate, new: Certificate) -> bool:
    """The mirror reads Certificates only to know which Secrets they name: their status writes
    (three per issuance) change nothing for it."""
    return old.spec.secret_name != new.spec.secret_name


class SecretsMirrorController:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        if options.output_dir is None:
            raise ValueError("SecretsMirrorController needs ControllerOptions.output_dir")
        self.ctx = ctx
        self.options = options
        self.output_dir = options.output_dir
        self.mirror = FileMirror(options.output_dir)
        self.spec = ControllerSpec(
            name="secrets-mirror",
            primary=Secret,
            watches=[Watch(Certificate, certificate_secret_keys, relevant=secret_name_changed)],
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        namespace = key.namespace or ""
        secret = self.ctx.cache.get(Secret, key.name, key.namespace)
        if secret is None or secret.metadata.deletion_timestamp is not None:
            if not self._still_referenced(key):
                try:
                    await self.ctx.run_blocking(self.mirror.remove, namespace, key.name)
                except OSError as error:
                    directory = self.mirror.directory_for(namespace, key.name)
                    raise RetryWithBackoff(f"cannot remove {directory}: {error.strerror}") from None
            return Result()
        if not is_certificate_secret(secret):
            return Result()
        files = mirrored_files(secret)
        try:
            changed = await self.ctx.run_blocking(self.mirror.write, namespace, key.name, files)
        except OSError as error:
            directory = self.mirror.directory_for(namespace, key.name)
            raise RetryWithBackoff(
                f"cannot write the files of Secret {key} to {directory}: {error.strerror}"
            ) from None
        if changed and self.options.output_hook:
            await self._run_hook(self.options.output_hook, secret, files)
        return Result()

    def _still_referenced(self, key: ObjectKey) -> bool:
        """A Certificate still names this Secret: it is being re-issued, so keep the last files
        in place until the new ones replace them."""
        return bool(self.ctx.cache.indexed(Certificate, CERTIFICATES_BY_SECRET_NAME, key.name, key.namespace))

    async def _run_hook(self, hook: str, secret: Secret, files: dict[str, bytes]) -> None:
        namespace = secret.namespace or ""
        directory = self.mirror.directory_for(namespace, secret.name)
        outcome = await run_hook(
            hook,
            hook_environment(namespace, secret.name, directory, self.output_dir, files),
            self.options.output_hook_timeout,
        )
        if outcome.ok:
            return
        cert_name = (secret.metadata.annotations or {}).get(ann.CERTIFICATE_NAME, "")
        subject: Resource = self.ctx.cache.get(Certificate, cert_name, secret.namespace) or secret
        await self.ctx.events.event(
            subject,
            "Warning",
            HOOK_FAILED,
            f"Output hook for Secret {secret.name!r} failed ({outcome.detail}); "
            f"the files in {directory} are up to date",
        )
