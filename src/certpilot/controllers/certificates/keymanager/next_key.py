"""Pure choices about the temporary Secret holding the next revision's private key."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from certpilot.api.annotations import PART_OF_LABEL
from certpilot.api.certificate import Certificate
from certpilot.api.core import TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.defaults import rotation_policy
from certpilot.api.enums import RotationPolicy
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificates.lookups import NEXT_PRIVATE_KEY_LABEL, owner_reference
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.pki.keys import key_matches_spec

# Kubernetes' generateName alphabet (no vowels, so no words), 5 characters.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_SUFFIX_LENGTH = 5


def secret_holds_key_for_spec(secret: Secret | None, cert: Certificate, memos: CertificateMemos) -> bool:
    """Whether secret's tls.key parses and has the algorithm and size the spec asks for."""
    if secret is None:
        return False
    key = memos.parsed_key(secret, TLS_PRIVATE_KEY_KEY).key
    return key is not None and key_matches_spec(key, cert.spec.private_key)


def keeps_its_key(cert: Certificate) -> bool:
    """rotationPolicy Never: a new certificate reuses the current Secret's key."""
    return rotation_policy(cert.spec.private_key) == RotationPolicy.NEVER


def reusable_current_key(
    cert: Certificate, current_secret: Secret | None, memos: CertificateMemos
) -> bytes | None:
    """With rotationPolicy Never, the current Secret's key when it still fits the spec."""
    if not keeps_its_key(cert):
        return None
    if current_secret is None or not secret_holds_key_for_spec(current_secret, cert, memos):
        return None
    return current_secret.get_data(TLS_PRIVATE_KEY_KEY)


def adoptable_next_key(
    cert: Certificate, candidates: Sequence[Secret], memos: CertificateMemos
) -> Secret | None:
    """An existing next-key Secret whose name never reached status (the process stopped between
    creating it and recording it): reusing it means a crash never makes a second key."""
    usable = [
        s
        for s in candidates
        if secret_holds_key_for_spec(s, cert, memos) and s.metadata.deletion_timestamp is None
    ]
    usable.sort(key=lambda s: (s.metadata.creation_timestamp is None, s.metadata.creation_timestamp, s.name))
    return usable[-1] if usable else None


def stale_next_keys(candidates: Sequence[Secret], keep: str | None) -> list[Secret]:
    return [s for s in candidates if s.name != keep]


def name_suffix(number: int) -> str:
    """The suffix numbered `number` (0 <= number < len(alphabet) ** length): its base-27 digits."""
    digits = []
    for _ in range(_SUFFIX_LENGTH):
        number, digit = divmod(number, len(_SUFFIX_ALPHABET))
        digits.append(_SUFFIX_ALPHABET[digit])
    return "".join(digits)


def next_key_secret_name(cert: Certificate) -> str:
    # One draw for the whole suffix: a draw per character read os.urandom five times on the event
    # loop, each releasing the GIL and waiting to get it back.
    suffix = name_suffix(secrets.randbelow(len(_SUFFIX_ALPHABET) ** _SUFFIX_LENGTH))
    return f"{cert.name}-{suffix}"


def next_key_secret(cert: Certificate, key_pem: bytes) -> Secret:
    secret = Secret(
        metadata=ObjectMeta(
            name=next_key_secret_name(cert),
            namespace=cert.namespace,
            labels={NEXT_PRIVATE_KEY_LABEL: "true", PART_OF_LABEL: "true"},
            owner_references=[owner_reference(cert)],
        ),
        type="Opaque",
    )
    secret.set_data(TLS_PRIVATE_KEY_KEY, key_pem)
    return secret
