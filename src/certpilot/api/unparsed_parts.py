"""Finding the part of a loaded certificate or CSR that does not parse.

cryptography checks the outer structure when it loads one, but parses its public key, extensions
and names only when they are first read: a damaged certificate or CSR loads, then raises a bare
ValueError (or KeyError) deep inside whatever reads it first: a traceback in a controller instead of
a Failed condition. Reading every part once, where it comes in, turns that into one error that says
which part is damaged. (Go's x509 parser, which cert-manager uses, parses every part at load.)
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm


def unparsed_part(item: x509.Certificate | x509.CertificateSigningRequest) -> str | None:
    """The name of the first part of a certificate or CSR that does not parse, or None."""
    # Lambdas, not bound methods: reading `item.subject` itself is what may raise.
    parts: list[tuple[str, Callable[[], object]]] = [
        ("public key", item.public_key),
        ("extensions", lambda: item.extensions),
        ("subject", lambda: item.subject),
        ("signature algorithm", lambda: item.signature_hash_algorithm),
    ]
    if isinstance(item, x509.Certificate):
        certificate = item
        parts += [
            ("issuer", lambda: certificate.issuer),
            ("validity", lambda: (certificate.not_valid_before_utc, certificate.not_valid_after_utc)),
        ]
    for name, read in parts:
        try:
            read()
        except (ValueError, KeyError, UnsupportedAlgorithm):  # KeyError: a name of an unknown string type
            return name
    return None


# What cryptography raises for X.509 input it cannot load: InvalidVersion (a version field other
# than v1/v3 for a certificate, v1 for a CSR) is not a ValueError.
X509_LOAD_ERRORS = (ValueError, x509.InvalidVersion)
