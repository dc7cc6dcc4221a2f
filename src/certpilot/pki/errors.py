"""Typed PKI errors. Messages say what is wrong and how to fix it, and never echo key material."""

from __future__ import annotations


class PKIError(ValueError):
    """Base of every error raised by certpilot.pki."""


class UnsupportedKeyError(PKIError):
    """A private key algorithm or size certpilot cannot generate or use."""


class InvalidPrivateKeyError(PKIError):
    """Bytes that should hold a PEM private key do not."""


class InvalidPEMError(PKIError):
    """A PEM bundle is empty, malformed, or holds an unexpected block."""


class InvalidSubjectError(PKIError):
    """A literalSubject or subject field cannot be encoded."""


class InvalidUsageError(PKIError):
    """A key usage string is not one cert-manager knows."""


class InvalidCSRError(PKIError):
    """A CSR cannot be parsed, has a bad signature, or contradicts the request."""


class ChainError(PKIError):
    """Certificates that do not form one chain from a leaf up to its issuers."""


class KeystoreError(PKIError):
    """A keystore (PKCS#12, JKS) cannot be built from the given material."""


class InvalidSANError(PKIError):
    """A subject alternative name (IP, URI, otherName...) that cannot be encoded."""


class SigningError(PKIError):
    """The issuer's own material cannot sign (its key does not match its certificate, it is not a CA)."""
