"""Putting a CA into a target's caBundle fields, as cert-manager's cainjector does with its
CAInjectorMerging behaviour (GA, on by default): the new CA is added to the certificates already
there, duplicates and expired ones are dropped. Across a CA rotation, the old CA stays trusted
until it expires, so webhooks still serving a certificate from it keep working meanwhile."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.ca_injectables import (
    APIService,
    CustomResourceDefinition,
    ForeignResource,
    WebhookClientConfig,
    WebhookConfiguration,
    WebhookConversion,
    decode_bundle,
    encode_bundle,
)
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS

WEBHOOK_CONVERSION = "Webhook"


def _certificates(pem: bytes) -> list[x509.Certificate] | None:
    """The certificates in a PEM bundle; None when it does not parse."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except X509_LOAD_ERRORS:
        return None


def merged_bundle(current: bytes, ca: bytes, now: datetime) -> bytes:
    """`current` then `ca`, each certificate once, the expired left out. A current bundle that does
    not parse is replaced; a CA that does not parse is injected as it is (cert-manager does both)."""
    existing = _certificates(current) if current.strip() else []
    additions = _certificates(ca)
    if existing is None or additions is None:
        return ca
    seen: set[bytes] = set()
    kept: list[bytes] = []
    for certificate in (*existing, *additions):
        der = certificate.public_bytes(Encoding.DER)
        if der in seen or certificate.not_valid_after_utc < now:
            continue
        seen.add(der)
        kept.append(certificate.public_bytes(Encoding.PEM))
    return b"".join(kept)


def _merged_into(config: WebhookClientConfig, ca: bytes, now: datetime) -> bool:
    """Set config.caBundle (a copy's); True when it changed."""
    bundle = encode_bundle(merged_bundle(decode_bundle(config.ca_bundle), ca, now))
    if bundle == config.ca_bundle:
        return False
    config.ca_bundle = bundle
    return True


def with_injected_ca(target: ForeignResource, ca: bytes, now: datetime) -> ForeignResource | None:
    """A copy of the target with the CA merged into every caBundle it has, or None when nothing
    changes (the cached target is never modified). A CRD gets one only when it converts by webhook."""
    updated = target.model_copy(deep=True)
    changed = False
    if isinstance(updated, WebhookConfiguration):
        for webhook in updated.webhooks or ():
            changed |= _merged_into(webhook.client_config, ca, now)
    elif isinstance(updated, CustomResourceDefinition):
        conversion = updated.spec.conversion
        if conversion is None or conversion.strategy != WEBHOOK_CONVERSION:
            return None
        conversion.webhook = conversion.webhook or WebhookConversion()
        conversion.webhook.client_config = conversion.webhook.client_config or WebhookClientConfig()
        changed = _merged_into(conversion.webhook.client_config, ca, now)
    elif isinstance(updated, APIService):
        bundle = encode_bundle(merged_bundle(decode_bundle(updated.spec.ca_bundle), ca, now))
        changed = bundle != updated.spec.ca_bundle
        updated.spec.ca_bundle = bundle
    return updated if changed else None
