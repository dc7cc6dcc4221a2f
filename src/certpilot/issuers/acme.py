"""The ACME issuer: `check` registers (or finds) the issuer's account; `sign` hands each
CertificateRequest to exactly one Order and waits for the Order controller to complete it.

The Order and Challenge controllers (certpilot.controllers.acme) do the talking to the CA; this backend
only creates the Order and reads its outcome, so a request never blocks a worker while a CA validates.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import ipaddress
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from certpilot.acme.client import AcmeClient, ExternalAccountBinding
from certpilot.acme.client_errors import AcmeError
from certpilot.acme.profiles import offered_profiles, unknown_profile_problem
from certpilot.api.acme import Order, OrderSpec, derived_name
from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.enums import State
from certpilot.api.issuer import ACMEIssuerStatus, IssuerStatus
from certpilot.api.meta import ObjectMeta, OwnerReference
from certpilot.issuers.acme_account import (
    ACCOUNT_CLIENTS,
    REASON_INVALID_CONFIG,
    REASON_NOT_REGISTERED,
    AccountKey,
    acme_config_of,
    client_key,
    external_account_binding,
    load_or_create_account_key,
    new_client,
)
from certpilot.issuers.base import (
    IssuerContext,
    IssuerNotReady,
    IssuerReady,
    Pending,
    Permanent,
    SignedCertificate,
)
from certpilot.issuers.request import request_pem, requested_csr
from certpilot.store.errors import AlreadyExists, NotFound

REASON_REGISTERED = "ACMEAccountRegistered"
MESSAGE_REGISTERED = "The ACME account was registered with the ACME server"
FAILED_ORDER_STATES = frozenset({State.INVALID, State.EXPIRED, State.ERRORED})
# How soon the signer looks at an in-flight Order again: soon at first, less often as it ages.
MIN_ORDER_POLL_SECONDS = 1.0
MAX_ORDER_POLL_SECONDS = 30.0
# Requests whose CSR names are remembered (the signer looks at an in-flight request many times).
REQUESTED_NAMES_CACHE_SIZE = 4096


class AccountWork(enum.Enum):
    NONE = "none"
    REGISTER = "register"
    UPDATE_EMAIL = "update-email"


def account_work(
    recorded: ACMEIssuerStatus | None, email: str | None, key_hash: str, client_cached: bool
) -> AccountWork:
    """What `check` must ask the ACME server: nothing when the account this key registered is
    known and its email is current; register (find or create) for a new key or a cold cache."""
    if (
        recorded is None
        or not recorded.uri
        or recorded.last_private_key_hash != key_hash
        or not client_cached
    ):
        return AccountWork.REGISTER
    if (recorded.last_registered_email or None) != (email or None):
        return AccountWork.UPDATE_EMAIL
    return AccountWork.NONE


def acme_status(uri: str, email: str | None, key_hash: str) -> ACMEIssuerStatus:
    """The issuer's `status.acme`."""
    return ACMEIssuerStatus(uri=uri, last_registered_email=email or None, last_private_key_hash=key_hash)


def registered_account(client: AcmeClient, email: str | None, eab: ExternalAccountBinding | None) -> str:
    """Blocking: find or create the account, then make its contact `email`. Returns its URI."""
    account = client.register(email, eab)
    if tuple(account.emails) != ((email,) if email else ()):
        account = client.update_email(email)
    return account.uri


def order_name(request_name: str, spec: OrderSpec) -> str:
    """`<request name>-<hash of the spec>`: the same request always maps to the same Order."""
    return derived_name(request_name, json.dumps(spec.to_dict(), sort_keys=True).encode())


def csr_identifiers(csr: x509.CertificateSigningRequest) -> tuple[list[str], list[str]]:
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return sans.get_values_for_type(x509.DNSName), [
        str(ip) for ip in sans.get_values_for_type(x509.IPAddress)
    ]


def csr_common_name(csr: x509.CertificateSigningRequest) -> str | None:
    names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = names[0].value if names else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class RequestedNames:
    common_name: str | None
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]


_REQUESTED_NAMES: OrderedDict[tuple[str, bool, tuple[str, ...]], RequestedNames] = OrderedDict()


def requested_names(request: CertificateRequest) -> RequestedNames:
    """The names the request's CSR asks for, once requested_csr has accepted it (InvalidRequest
    otherwise). Remembered by exactly the fields requested_csr reads, so the CSR is parsed and its
    signature checked once per request, not on every look at its Order."""
    key = (request.spec.request, bool(request.spec.is_ca), tuple(map(str, request.spec.usages or ())))
    names = _REQUESTED_NAMES.get(key)
    if names is None:
        csr = requested_csr(request)
        dns_names, ip_addresses = csr_identifiers(csr)
        names = RequestedNames(csr_common_name(csr), tuple(dns_names), tuple(ip_addresses))
        _REQUESTED_NAMES[key] = names
        if len(_REQUESTED_NAMES) > REQUESTED_NAMES_CACHE_SIZE:
            _REQUESTED_NAMES.popitem(last=False)
    return names


def ip_common_name_problem(names: RequestedNames) -> str | None:
    """Why the CSR cannot go to an ACME CA: an IP address as the common name. Let's Encrypt and
    pebble put no CN in IP certificates and refuse CSRs that ask for one (lego #2567)."""
    if names.common_name is None:
        return None
    try:
        ipaddress.ip_address(names.common_name)
    except ValueError:
        return None
    return (
        f"spec.commonName {names.common_name!r} is an IP address: ACME CAs issue IP certificates "
        "without a common name (RFC 8738); remove commonName and keep the address in spec.ipAddresses"
    )


def order_for(request: CertificateRequest, config: ACMEIssuer) -> Order:
    """The one Order a request is issued through, owned by the request (deleted with it)."""
    names = requested_names(request)
    spec = OrderSpec(
        request=base64.b64encode(request_pem(request)).decode(),
        issuer_ref=request.spec.issuer_ref,
        common_name=names.common_name,
        dns_names=list(names.dns_names) or None,
        ip_addresses=list(names.ip_addresses) or None,
        duration=request.spec.duration if config.enable_duration_feature else None,
        profile=config.profile or None,
    )
    owner = OwnerReference(
        api_version=request.api_version,
        kind=request.kind,
        name=request.name,
        uid=request.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )
    metadata = ObjectMeta(
        name=order_name(request.name, spec),
        namespace=request.namespace,
        labels=dict(request.metadata.labels or {}) or None,
        annotations=dict(request.metadata.annotations or {}) or None,
        owner_references=[owner],
    )
    return Order(metadata=metadata, spec=spec)


def order_poll_seconds(order: Order, now: datetime) -> float:
    created = order.metadata.creation_timestamp
    age = (now - created).total_seconds() if created else 0.0
    return min(MAX_ORDER_POLL_SECONDS, max(MIN_ORDER_POLL_SECONDS, age / 4))


def signed_from_order(order: Order, now: datetime) -> SignedCertificate:
    """The certificate of a valid Order; Pending while it is in flight; Permanent once it failed."""
    status = order.status
    state = status.state if status else None
    if state == State.VALID and status is not None and status.certificate:
        # ACME does not say which root the chain ends at, so ca.crt stays empty (as cert-manager).
        return SignedCertificate(certificate=base64.b64decode(status.certificate), ca=b"")
    if state in FAILED_ORDER_STATES:
        reason = (status.reason if status else None) or "no reason given"
        raise Permanent(
            f'Failed to wait for order resource "{order.name}" to become ready: order is {state}: {reason}'
        )
    raise Pending(
        f'Waiting on certificate issuance from order {order.namespace}/{order.name}: "{state or "pending"}"',
        order_poll_seconds(order, now),
    )


class ACMEIssuerBackend:
    def __init__(self, http_timeout: int) -> None:
        # Seconds one HTTP call to the ACME server may take (certpilot run --acme-http-timeout).
        self.http_timeout = http_timeout

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        issuer = ctx.builtin_issuer()
        config = acme_config_of(issuer)
        if not config.server.startswith(("https://", "http://")):
            raise IssuerNotReady(
                f"spec.acme.server {config.server!r} is not an http(s) URL of an ACME directory",
                REASON_INVALID_CONFIG,
            )
        account_key = await load_or_create_account_key(ctx.store, ctx.resource_namespace, config)
        key = client_key(issuer, config, account_key)
        recorded = issuer.status.acme if issuer.status else None
        cached = ACCOUNT_CLIENTS.get(key)
        work = account_work(recorded, config.email, account_key.hash, cached is not None)
        if work is AccountWork.NONE and recorded is not None and recorded.uri:
            uri = recorded.uri
        elif work is AccountWork.UPDATE_EMAIL and cached is not None:
            uri = await self._update_email(cached, config.email)
        else:
            uri = await self._register(ctx, config, account_key)
        await self._check_profile(config, ACCOUNT_CLIENTS.get(key))
        return IssuerReady(
            REASON_REGISTERED,
            MESSAGE_REGISTERED,
            IssuerStatus(acme=acme_status(uri, config.email, account_key.hash)),
        )

    async def _register(self, ctx: IssuerContext, config: ACMEIssuer, account_key: AccountKey) -> str:
        """Find or create the account with a fresh client (never the shared one: looking an account
        up signs differently), then share that client."""
        eab = await external_account_binding(ctx.store, ctx.resource_namespace, config)
        client = new_client(config, account_key, self.http_timeout)
        try:
            uri = await asyncio.to_thread(registered_account, client, config.email, eab)
        except AcmeError as e:
            raise IssuerNotReady(f"Failed to register ACME account: {e}", REASON_NOT_REGISTERED) from None
        ACCOUNT_CLIENTS.put(client_key(ctx.builtin_issuer(), config, account_key), client)
        return uri

    async def _check_profile(self, config: ACMEIssuer, client: AcmeClient | None) -> None:
        """spec.acme.profile must be one the server lists (its directory is fetched once per client)."""
        if not config.profile or client is None:
            return
        try:
            offered = await asyncio.to_thread(offered_profiles, client)
        except AcmeError as e:
            raise IssuerNotReady(f"Failed to read the ACME directory: {e}", REASON_NOT_REGISTERED) from None
        problem = unknown_profile_problem(config.profile, offered)
        if problem is not None:
            raise IssuerNotReady(problem, REASON_INVALID_CONFIG)

    async def _update_email(self, client: AcmeClient, email: str | None) -> str:
        try:
            account = await asyncio.to_thread(client.update_email, email)
        except AcmeError as e:
            raise IssuerNotReady(
                f"Failed to update the ACME account email: {e}", REASON_NOT_REGISTERED
            ) from None
        return account.uri

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        config = acme_config_of(ctx.builtin_issuer())
        if problem := ip_common_name_problem(requested_names(request)):
            raise Permanent(problem)
        wanted = order_for(request, config)
        namespace = request.namespace
        try:
            order = await ctx.store.get(Order, wanted.name, namespace)
        except NotFound:
            try:
                order = await ctx.store.create(wanted)
            except AlreadyExists:
                order = await ctx.store.get(Order, wanted.name, namespace)
        return signed_from_order(order, ctx.clock.now())
