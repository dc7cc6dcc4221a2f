"""Choosing among the certificate chains an ACME server offers (RFC 8555 7.4.2 alternate links)."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID


def top_issuer_common_name(fullchain_pem: str) -> str | None:
    """The issuer common name of the last (topmost) certificate of a PEM chain."""
    certificates = x509.load_pem_x509_certificates(fullchain_pem.encode())
    names = certificates[-1].issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    value = names[0].value
    return value if isinstance(value, str) else value.decode()


def chain_is_preferred(fullchain_pem: str, preferred_chain: str) -> bool:
    """cert-manager's rule: a chain matches when its topmost certificate was issued by a CA whose
    common name is `preferred_chain`."""
    return top_issuer_common_name(fullchain_pem) == preferred_chain


def select_preferred_chain(chains: Iterable[str], preferred_chain: str) -> str | None:
    """The first chain (the server's default comes first) matching `preferred_chain`, or None."""
    return next((chain for chain in chains if chain_is_preferred(chain, preferred_chain)), None)
