"""cert-manager's admission rules for Issuer and ClusterIssuer specs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from certpilot.api import checks
from certpilot.api.acme_issuer import (
    ACMEChallengeSolver,
    ACMEChallengeSolverDNS01,
    ACMEChallengeSolverHTTP01,
    ACMEIssuer,
)
from certpilot.api.duration import InvalidDuration, parse_duration
from certpilot.api.enums import HMACAlgorithm
from certpilot.api.field_error import FieldError
from certpilot.api.issuer import IssuerSpec
from certpilot.api.meta import SecretKeySelector
from certpilot.api.vault_issuer import VaultIssuer
from certpilot.api.venafi_issuer import VenafiIssuer, VenafiNGTS

ISSUER_TYPES = "acme, ca, selfSigned, vault, venafi"


def issuer_spec_errors(spec: IssuerSpec) -> Iterator[FieldError]:
    types = spec.types()
    if len(types) != 1:
        got = ", ".join(types) if types else "none"
        yield FieldError("spec", f"exactly one issuer type ({ISSUER_TYPES}) must be set; got {got}")
    if spec.acme is not None:
        yield from _acme_errors(spec.acme, "spec.acme")
    if spec.ca is not None:
        problem = checks.dns1123_subdomain_problem(spec.ca.secret_name)
        if problem:
            yield FieldError("spec.ca.secretName", f"the Secret holding the CA key pair: {problem}")
    if spec.vault is not None:
        yield from _vault_errors(spec.vault, "spec.vault")
    if spec.venafi is not None:
        yield from _venafi_errors(spec.venafi, "spec.venafi")


def _secret_ref_errors(ref: SecretKeySelector | None, path: str) -> Iterator[FieldError]:
    if ref is not None and not ref.name:
        yield FieldError(f"{path}.name", "must be set: the name of a Secret in the issuer's namespace")


def _acme_errors(acme: ACMEIssuer, path: str) -> Iterator[FieldError]:
    problem = checks.url_problem(acme.server)
    if problem:
        yield FieldError(f"{path}.server", f"the ACME directory URL: {problem}")
    if not acme.private_key_secret_ref.name:
        yield FieldError(
            f"{path}.privateKeySecretRef.name", "must be set: the Secret that stores the ACME account key"
        )
    if acme.email:
        problem = checks.email_problem(acme.email)
        if problem:
            yield FieldError(f"{path}.email", problem)
    if acme.skip_tls_verify and acme.ca_bundle:
        yield FieldError(f"{path}.caBundle", "may not be set together with skipTLSVerify")
    if acme.ca_bundle:
        problem = checks.base64_problem(acme.ca_bundle)
        if problem:
            yield FieldError(f"{path}.caBundle", f"must be base64 of PEM certificates: {problem}")
    eab = acme.external_account_binding
    if eab is not None:
        if not eab.key_id:
            yield FieldError(f"{path}.externalAccountBinding.keyID", "must be set: the key ID from your CA")
        yield from _secret_ref_errors(eab.key_secret_ref, f"{path}.externalAccountBinding.keySecretRef")
    for index, solver in enumerate(acme.solvers or ()):
        yield from _solver_errors(solver, f"{path}.solvers[{index}]")


def _solver_errors(solver: ACMEChallengeSolver, path: str) -> Iterator[FieldError]:
    if (solver.http01 is None) == (solver.dns01 is None):
        yield FieldError(path, "exactly one of http01 and dns01 must be set")
    if solver.http01 is not None:
        yield from _http01_errors(solver.http01, f"{path}.http01")
    if solver.dns01 is not None:
        yield from _dns01_errors(solver.dns01, f"{path}.dns01")
    if solver.wait_instead_of_self_check is not None:
        yield from _wait_errors(solver.wait_instead_of_self_check, f"{path}.waitInsteadOfSelfCheck")


def _wait_errors(text: str, path: str) -> Iterator[FieldError]:
    try:
        wait = parse_duration(text)
    except InvalidDuration as error:
        yield FieldError(path, str(error))
        return
    if wait < timedelta(0):
        yield FieldError(path, f"{text!r} must not be negative; 0s accepts right after presenting")


def _http01_errors(http01: ACMEChallengeSolverHTTP01, path: str) -> Iterator[FieldError]:
    if (http01.ingress is None) == (http01.gateway_http_route is None):
        yield FieldError(path, "exactly one of ingress and gatewayHTTPRoute must be set")
    ingress = http01.ingress
    if ingress is not None:
        chosen = [
            name
            for name, value in (
                ("class", ingress.class_),
                ("ingressClassName", ingress.ingress_class_name),
                ("name", ingress.name),
            )
            if value is not None
        ]
        if len(chosen) > 1:
            yield FieldError(
                f"{path}.ingress", f"at most one of class, ingressClassName and name may be set; got {chosen}"
            )


def _dns01_errors(dns01: ACMEChallengeSolverDNS01, path: str) -> Iterator[FieldError]:
    for index, nameserver in enumerate(dns01.nameservers or ()):
        yield from _dns01_nameserver_errors(nameserver, f"{path}.nameservers[{index}]")
    providers = dns01.providers()
    if len(providers) != 1:
        got = ", ".join(providers) if providers else "none"
        yield FieldError(path, f"exactly one DNS01 provider must be set; got {got}")
    if dns01.rfc2136 is not None:
        rfc = dns01.rfc2136
        problem = checks.host_port_problem(rfc.nameserver)
        if problem:
            yield FieldError(f"{path}.rfc2136.nameserver", problem)
        if rfc.tsig_algorithm is not None and rfc.tsig_algorithm.upper() not in set(HMACAlgorithm):
            yield FieldError(
                f"{path}.rfc2136.tsigAlgorithm",
                f"{rfc.tsig_algorithm!r} is not supported; use one of {', '.join(HMACAlgorithm)}",
            )
        if rfc.tsig_key_name and rfc.tsig_secret_secret_ref is None:
            yield FieldError(f"{path}.rfc2136.tsigSecretSecretRef", "must be set when tsigKeyName is set")
        yield from _secret_ref_errors(rfc.tsig_secret_secret_ref, f"{path}.rfc2136.tsigSecretSecretRef")
    if dns01.webhook is not None:
        if not dns01.webhook.group_name:
            yield FieldError(f"{path}.webhook.groupName", "must be set: the API group of the webhook solver")
        if not dns01.webhook.solver_name:
            yield FieldError(f"{path}.webhook.solverName", "must be set: the name of the webhook solver")
    if dns01.cloudflare is not None:
        cloudflare = dns01.cloudflare
        if (cloudflare.api_key_secret_ref is None) == (cloudflare.api_token_secret_ref is None):
            yield FieldError(f"{path}.cloudflare", "exactly one of apiKeySecretRef and apiTokenSecretRef")
        if cloudflare.api_key_secret_ref is not None and not cloudflare.email:
            yield FieldError(f"{path}.cloudflare.email", "must be set when apiKeySecretRef is used")
    if dns01.route53 is not None:
        route53 = dns01.route53
        if route53.access_key_id and route53.access_key_id_secret_ref is not None:
            yield FieldError(
                f"{path}.route53", "at most one of accessKeyID and accessKeyIDSecretRef may be set"
            )
    if dns01.acme_dns is not None:
        problem = checks.url_problem(dns01.acme_dns.host)
        if problem:
            yield FieldError(f"{path}.acmeDNS.host", problem)
    if dns01.azure_dns is not None:
        azure = dns01.azure_dns
        if azure.managed_identity is not None and (azure.client_id or azure.client_secret_secret_ref):
            yield FieldError(
                f"{path}.azureDNS.managedIdentity",
                "may not be set together with clientID / clientSecretSecretRef",
            )


def _dns01_nameserver_errors(nameserver: str, path: str) -> Iterator[FieldError]:
    if nameserver.startswith("https://"):
        yield FieldError(
            path, f"{nameserver!r}: DNS-over-HTTPS is not supported by certpilot; give host:port"
        )
        return
    problem = checks.host_port_problem(nameserver)
    if problem is not None or ":" not in nameserver:
        yield FieldError(path, problem or f"{nameserver!r}: expected host:port, e.g. 10.0.0.1:53")


def _vault_errors(vault: VaultIssuer, path: str) -> Iterator[FieldError]:
    problem = checks.url_problem(vault.server)
    if problem:
        yield FieldError(f"{path}.server", problem)
    if not vault.path:
        yield FieldError(f"{path}.path", "must be set: the PKI sign path, e.g. pki_int/sign/example-dot-com")
    methods = vault.auth.methods()
    if len(methods) != 1:
        got = ", ".join(methods) if methods else "none"
        yield FieldError(
            f"{path}.auth",
            "exactly one of tokenSecretRef, appRole, clientCertificate, kubernetes, aws must be set; "
            f"got {got}",
        )
    kubernetes = vault.auth.kubernetes
    if kubernetes is not None and (kubernetes.secret_ref is None) == (kubernetes.service_account_ref is None):
        yield FieldError(
            f"{path}.auth.kubernetes", "exactly one of secretRef and serviceAccountRef must be set"
        )
    if vault.auth.app_role is not None and not vault.auth.app_role.role_id:
        yield FieldError(f"{path}.auth.appRole.roleId", "must be set")
    if vault.ca_bundle and vault.ca_bundle_secret_ref is not None:
        yield FieldError(f"{path}.caBundle", "may not be set together with caBundleSecretRef")
    if (vault.client_cert_secret_ref is None) != (vault.client_key_secret_ref is None):
        yield FieldError(
            f"{path}.clientCertSecretRef", "clientCertSecretRef and clientKeySecretRef must be set together"
        )


def _venafi_errors(venafi: VenafiIssuer, path: str) -> Iterator[FieldError]:
    if not venafi.zone:
        yield FieldError(f"{path}.zone", "must be set: the Venafi policy zone to request certificates in")
    platforms = [name for name in ("tpp", "cloud", "ngts") if getattr(venafi, name) is not None]
    if len(platforms) != 1:
        yield FieldError(
            path, f"exactly one of tpp, cloud and ngts must be set; got {', '.join(platforms) or 'none'}"
        )
    if venafi.tpp is not None:
        problem = checks.url_problem(venafi.tpp.url)
        if problem:
            yield FieldError(f"{path}.tpp.url", problem)
    if venafi.cloud is not None and venafi.cloud.url is not None:
        problem = checks.url_problem(venafi.cloud.url)
        if problem:
            yield FieldError(f"{path}.cloud.url", problem)
    if venafi.ngts is not None:
        yield from _ngts_errors(venafi.ngts, f"{path}.ngts")


def _ngts_errors(ngts: VenafiNGTS, path: str) -> Iterator[FieldError]:
    if not ngts.tsg_id:
        yield FieldError(f"{path}.tsgID", "must be set: the Tenant Service Group ID, e.g. 1234567890")
    if not ngts.credentials_ref.name:
        yield FieldError(
            f"{path}.credentialsRef.name", "must be set: a Secret with keys client-id and client-secret"
        )
    for field_name, url in (("url", ngts.url), ("tokenEndpoint", ngts.token_endpoint)):
        # vcert sends NGTS credentials over HTTPS only.
        problem = checks.url_problem(url, ("https",)) if url is not None else None
        if problem:
            yield FieldError(f"{path}.{field_name}", problem)
