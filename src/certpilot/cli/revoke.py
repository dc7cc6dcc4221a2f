"""`certpilot revoke CERTIFICATE`: revoke the certificate a Certificate's Secret holds with the CA
that issued it (ACME or Vault), and record it (Event `Revoked`, annotations); never prints a key."""

from __future__ import annotations

from typing import Annotated

import typer

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.cli.context import StoreTarget, get_or_fail, with_store
from certpilot.cli.errors import CLIError
from certpilot.cli.options import ContextOption, KubeconfigOption, NamespaceOption, StoreOption
from certpilot.controllers.options import ControllerOptions
from certpilot.store.protocol import Store

DEFAULTS = ControllerOptions()
CLI_COMPONENT = "certpilot-cli"


def revoke_command(
    name: Annotated[str, typer.Argument(help="The Certificate whose current certificate to revoke.")],
    reason: Annotated[
        str,
        typer.Option(
            help="RFC 5280 reason: unspecified, keyCompromise, superseded, cessationOfOperation, ..."
        ),
    ] = "unspecified",
    use_certificate_key: Annotated[
        bool,
        typer.Option(
            "--use-certificate-key",
            help="ACME: sign the revocation with the certificate's own key instead of the account key.",
        ),
    ] = False,
    cluster_resource_namespace: Annotated[
        str, typer.Option(help="Where ClusterIssuers keep their Secrets (as `certpilot run`).")
    ] = DEFAULTS.cluster_resource_namespace,
    namespace: NamespaceOption = "default",
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Revoke the certificate in a Certificate's Secret with the ACME or Vault issuer that issued it."""
    # Imported by the command, not the module: the issuers and controllers would slow down every
    # certpilot command.
    from certpilot.controllers.certificates.issuing.revocation import issuer_ref_of_secret, revoke_and_record
    from certpilot.controllers.issuers.resolve import issuer_model_for
    from certpilot.issuers.base import IssuerContext
    from certpilot.issuers.revocation_request import Revocation, RevocationFailed
    from certpilot.pki.errors import PKIError
    from certpilot.pki.keys import parse_private_key
    from certpilot.pki.revocation_reasons import UnknownRevocationReason, revocation_reason
    from certpilot.runtime.clock import SystemClock
    from certpilot.store.events import StoreEventRecorder

    try:
        chosen_reason = revocation_reason(reason)
    except UnknownRevocationReason as e:
        raise CLIError(f"--reason: {e}") from None

    async def run(s: Store) -> str:
        cert = await get_or_fail(s, Certificate, name, namespace)
        secret = await get_or_fail(s, Secret, cert.spec.secret_name, namespace)
        chain = secret.get_data("tls.crt")
        if not chain:
            raise CLIError(f'Secret "{namespace}/{secret.name}" holds no certificate (tls.crt) to revoke')
        key = None
        if use_certificate_key:
            try:
                key = parse_private_key(secret.get_data("tls.key") or b"")
            except PKIError:
                raise CLIError(
                    f'--use-certificate-key: Secret "{namespace}/{secret.name}" has no usable tls.key'
                ) from None
        ref = issuer_ref_of_secret(secret) or cert.spec.issuer_ref
        model = issuer_model_for(ref)
        if model is None:
            raise CLIError(
                f"issuer {ref.kind}/{ref.name} of group {ref.group} is not one certpilot revokes with"
            )
        issuer = await get_or_fail(s, model, ref.name, namespace)
        resource_namespace = namespace if model.NAMESPACED else cluster_resource_namespace
        clock = SystemClock()
        events = StoreEventRecorder(s, clock, CLI_COMPONENT)
        revocation = Revocation(chain, chosen_reason, key)
        try:
            await revoke_and_record(
                IssuerContext(issuer, resource_namespace, s, clock),
                events,
                cert,
                revocation,
                DEFAULTS.acme_http_timeout,
            )
        except RevocationFailed as e:
            raise CLIError(str(e)) from None
        finally:
            await events.flush()
        return (
            f"Revoked certificate serial {revocation.serial_hex} of Certificate {namespace}/{name} "
            f"(reason {chosen_reason.name}) through {model.KIND} {ref.name}"
        )

    typer.echo(with_store(run, StoreTarget(store, kubeconfig, context)))
