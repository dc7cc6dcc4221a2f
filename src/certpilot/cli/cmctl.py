"""cmctl's verbs: status certificate, renew, approve, deny, inspect secret, create certificaterequest."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from certpilot.api.annotations import CERTIFICATE_NAME
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.meta import ObjectMeta, Resource
from certpilot.cli.context import StoreTarget, get_or_fail, with_store
from certpilot.cli.describe import events_for, render_events
from certpilot.cli.errors import CLIError
from certpilot.cli.options import ContextOption, KubeconfigOption, NamespaceOption, StoreOption
from certpilot.runtime.clock import SystemClock
from certpilot.store.errors import Conflict, NotFound
from certpilot.store.protocol import Store

T = TypeVar("T", bound=Resource)

status_app = typer.Typer(help="Show the state of a resource in detail.", no_args_is_help=True)
inspect_app = typer.Typer(help="Decode and show stored material.", no_args_is_help=True)
create_app = typer.Typer(help="Create resources that need generated material.", no_args_is_help=True)


async def update_status_with_retry(
    store: Store, kind: type[T], name: str, namespace: str | None, change: Callable[[T], T]
) -> None:
    """Write `change(current object)` with update_status, re-reading on Conflict. `change` raises
    to refuse (the exception propagates)."""
    for _ in range(10):
        obj = await get_or_fail(store, kind, name, namespace)
        try:
            await store.update_status(change(obj))
            return
        except Conflict:
            continue
    raise CLIError(f"{kind.SINGULAR} {name!r} kept changing; try again")


def _print_lines(work: Callable[[Store], Awaitable[list[str]]], target: StoreTarget) -> None:
    for line in with_store(work, target):
        typer.echo(line)


# --- renew -----------------------------------------------------------------------------------


def renew_command(
    names: Annotated[list[str] | None, typer.Argument(help="Certificates to renew.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Renew every Certificate in the namespace.")] = False,
    selector: Annotated[str | None, typer.Option("--selector", "-l")] = None,
    namespace: NamespaceOption = "default",
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A")] = False,
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Mark Certificates for manual renewal (sets Issuing=True, reason ManuallyTriggered)."""
    # Imported by the command, not the module: the controllers would slow down every certpilot command.
    from certpilot.controllers.certificates.manual_renewal import AlreadyIssuing, request_renewal

    if not names and not all_ and not selector:
        raise CLIError("name the Certificates to renew, or use --all or -l SELECTOR")
    if names and (all_ or selector):
        raise CLIError("give Certificate names, or --all / -l, not both")

    async def run(s: Store) -> list[str]:
        ns = None if all_namespaces else namespace
        if names:
            targets = [(namespace, n) for n in names]
        else:
            certs, _ = await s.list(Certificate, namespace=ns, label_selector=selector)
            targets = [(c.metadata.namespace or namespace, c.name) for c in certs]
        lines = []
        for target_ns, name in targets:
            try:
                renew = partial(request_renewal, now=SystemClock().now())
                await update_status_with_retry(s, Certificate, name, target_ns, renew)
                lines.append(f"Manually triggered issuance of Certificate {target_ns}/{name}")
            except AlreadyIssuing as e:
                lines.append(f"{e}, skipping")
        return lines

    _print_lines(run, StoreTarget(store, kubeconfig, context))


# --- approve / deny --------------------------------------------------------------------------


def _decision_command(approve: bool) -> Callable[..., None]:
    verb, done = ("approve", "approved") if approve else ("deny", "denied")

    def command(
        name: Annotated[str, typer.Argument(help="CertificateRequest name.")],
        reason: Annotated[str, typer.Option(help="Condition reason.")] = "certpilot",
        message: Annotated[str, typer.Option(help="Condition message.")] = f"manually {done} by certpilot",
        namespace: NamespaceOption = "default",
        store: StoreOption = None,
        kubeconfig: KubeconfigOption = None,
        context: ContextOption = None,
    ) -> None:
        # Imported by the command, not the module: the controllers would slow down every certpilot command.
        from certpilot.controllers.certificaterequests import approver

        decide = partial(approver.approve if approve else approver.deny, reason=reason, message=message)

        async def run(s: Store) -> list[str]:
            try:
                now = SystemClock().now()
                await update_status_with_retry(
                    s, CertificateRequest, name, namespace, partial(decide, now=now)
                )
            except approver.AlreadyDecided as e:
                raise CLIError(str(e)) from None
            return [f"{done.capitalize()} CertificateRequest '{namespace}/{name}'"]

        _print_lines(run, StoreTarget(store, kubeconfig, context))

    command.__doc__ = (
        f"{verb.capitalize()} a CertificateRequest (final: Approved and Denied exclude each other)."
    )
    return command


approve_command = _decision_command(True)
deny_command = _decision_command(False)


# --- inspect secret --------------------------------------------------------------------------


def format_certificate_details(details: dict[str, object], indent: str = "  ") -> list[str]:
    lines = []
    for key, value in details.items():
        if isinstance(value, list):
            lines.append(f"{indent}{key}: {', '.join(str(v) for v in value) or '<none>'}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def describe_tls_secret(secret: Secret) -> list[str]:
    # Imported on use, not by the module: only the commands that decode certificates pay for it.
    from certpilot.pki.parse import decode_certificate_details, parse_certificates

    lines: list[str] = []
    crt = secret.get_data("tls.crt")
    if not crt:
        return ["  tls.crt: <missing>"]
    for i, cert in enumerate(parse_certificates(crt)):
        lines.append("Certificate:" if i == 0 else f"Chain certificate {i}:")
        lines += format_certificate_details(decode_certificate_details(cert))
    if ca := secret.get_data("ca.crt"):
        for i, cert in enumerate(parse_certificates(ca)):
            lines.append(f"CA certificate {i + 1} (ca.crt):")
            lines += format_certificate_details(decode_certificate_details(cert))
    key = secret.get_data("tls.key")
    lines.append(f"Private key: {'present' if key else 'missing'} (not shown)")
    return lines


@inspect_app.command("secret")
def inspect_secret_command(
    name: Annotated[str, typer.Argument(help="Secret name.")],
    namespace: NamespaceOption = "default",
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Decode a certificate Secret: subject, SANs, validity, issuer, chain. Never prints the key."""

    async def run(s: Store) -> list[str]:
        secret = await get_or_fail(s, Secret, name, namespace)
        try:
            return [
                f"Secret {namespace}/{name} (type {secret.type or 'Opaque'})",
                *describe_tls_secret(secret),
            ]
        except ValueError as e:
            raise CLIError(f"Secret {namespace}/{name}: {e}") from None

    _print_lines(run, StoreTarget(store, kubeconfig, context))


# --- status certificate ----------------------------------------------------------------------


def _conditions_lines(obj: Resource) -> list[str]:
    status = getattr(obj, "status", None)
    conditions = getattr(status, "conditions", None) or []
    if not conditions:
        return ["  <none>"]
    return [f"  {c.type}: {c.status}, Reason: {c.reason}, Message: {c.message}" for c in conditions]


@status_app.command("certificate")
def status_certificate_command(
    name: Annotated[str, typer.Argument(help="Certificate name.")],
    namespace: NamespaceOption = "default",
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Everything about one Certificate: conditions, Secret, request, issuer, events."""

    async def run(s: Store) -> list[str]:
        now = SystemClock().now()
        cert = await get_or_fail(s, Certificate, name, namespace)
        st = cert.status
        lines = [
            f"Name: {name}",
            f"Namespace: {namespace}",
            f"Created at: {cert.metadata.creation_timestamp}",
            "Conditions:",
            *_conditions_lines(cert),
        ]
        if cert.spec.dns_names:
            lines.append("DNS Names:")
            lines += [f"- {d}" for d in cert.spec.dns_names]
        lines += render_events(await events_for(s, cert), now)
        ref = cert.spec.issuer_ref
        kind = ref.kind or "Issuer"
        issuer_kind: type[Issuer] | type[ClusterIssuer] = ClusterIssuer if kind == "ClusterIssuer" else Issuer
        try:
            issuer = await s.get(issuer_kind, ref.name, None if kind == "ClusterIssuer" else namespace)
            lines += [
                "Issuer:",
                f"  Name: {ref.name}",
                f"  Kind: {kind}",
                "  Conditions:",
                *("  " + ln for ln in _conditions_lines(issuer)),
            ]
        except NotFound:
            lines.append(f'Issuer: {kind} "{ref.name}" not found')
        try:
            secret = await s.get(Secret, cert.spec.secret_name, namespace)
            lines += ["Secret:", f"  Name: {secret.name}", *("  " + ln for ln in describe_tls_secret(secret))]
        except NotFound:
            lines.append(f'Secret: "{cert.spec.secret_name}" does not exist')
        except ValueError as e:
            lines.append(f"Secret: cannot decode tls.crt: {e}")
        if st is not None:
            lines += [
                f"Not Before: {st.not_before}",
                f"Not After: {st.not_after}",
                f"Renewal Time: {st.renewal_time}",
            ]
        requests, _ = await s.list(CertificateRequest, namespace=namespace)
        mine = [r for r in requests if (r.metadata.annotations or {}).get(CERTIFICATE_NAME) == name]
        if mine:
            latest = max(mine, key=lambda r: r.metadata.creation_timestamp or now)
            lines += [
                "CertificateRequest:",
                f"  Name: {latest.name}",
                "  Conditions:",
                *("  " + ln for ln in _conditions_lines(latest)),
            ]
            lines += ["  " + ln for ln in render_events(await events_for(s, latest), now)]
        else:
            lines.append("No CertificateRequest found for this Certificate")
        return lines

    _print_lines(run, StoreTarget(store, kubeconfig, context))


# --- create certificaterequest ---------------------------------------------------------------


@create_app.command("certificaterequest")
def create_certificaterequest_command(
    name: Annotated[str, typer.Argument(help="Name of the CertificateRequest to create.")],
    from_certificate_file: Annotated[
        Path, typer.Option("--from-certificate-file", help="Certificate manifest.")
    ],
    fetch_certificate: Annotated[
        bool, typer.Option("--fetch-certificate", help="Wait and write the certificate.")
    ] = False,
    output_key_file: Annotated[
        Path | None, typer.Option(help="Where to write the private key (0600).")
    ] = None,
    output_certificate_file: Annotated[
        Path | None, typer.Option(help="Where to write the certificate.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --fetch-certificate.")] = 300.0,
    namespace: NamespaceOption = "default",
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Create a CertificateRequest from a Certificate manifest, generating its private key locally."""
    # Imported by the command, not the module: manifest validation and key generation would slow down
    # every certpilot command.
    from certpilot.api.loader import ManifestError, load_path
    from certpilot.pki.csr import build_csr, csr_to_pem
    from certpilot.pki.keys import encode_private_key, generate_private_key, key_spec_for

    try:
        docs = [d for d in load_path(from_certificate_file) if isinstance(d, Certificate)]
    except ManifestError as e:
        raise CLIError(str(e)) from None
    if len(docs) != 1:
        raise CLIError(f"{from_certificate_file}: expected exactly one Certificate, found {len(docs)}")
    cert = docs[0]
    key = generate_private_key(key_spec_for(cert.spec.private_key))
    csr = build_csr(cert.spec, key)
    key_path = output_key_file or Path(f"{name}.key")
    crt_path = output_certificate_file or Path(f"{name}.crt")
    if key_path.exists():
        raise CLIError(f"{key_path} already exists; remove it or pass --output-key-file")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(encode_private_key(key, cert.spec.private_key.encoding if cert.spec.private_key else None))

    async def run(s: Store) -> list[str]:
        request = CertificateRequest(
            metadata=ObjectMeta(name=name, namespace=namespace, annotations={CERTIFICATE_NAME: cert.name}),
            spec=CertificateRequestSpec(
                request=base64.b64encode(csr_to_pem(csr)).decode(),
                issuer_ref=cert.spec.issuer_ref,
                duration=cert.spec.duration,
                is_ca=cert.spec.is_ca,
                usages=cert.spec.usages,
            ),
        )
        await s.create(request)
        lines = [f"CertificateRequest {namespace}/{name} created; private key written to {key_path}"]
        if fetch_certificate:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                cr = await s.get(CertificateRequest, name, namespace)
                ready = get_condition((cr.status.conditions if cr.status else None) or [], "Ready")
                if ready and ready.status == "True" and cr.status and cr.status.certificate:
                    crt_path.write_bytes(base64.b64decode(cr.status.certificate))
                    lines.append(f"certificate written to {crt_path}")
                    break
                if ready and ready.reason in ("Failed", "Denied"):
                    raise CLIError(f"CertificateRequest {name} {ready.reason}: {ready.message}")
                if loop.time() > deadline:
                    raise CLIError(f"CertificateRequest {name} not ready after {timeout:.0f}s")
                await asyncio.sleep(0.5)
        return lines

    _print_lines(run, StoreTarget(store, kubeconfig, context))
