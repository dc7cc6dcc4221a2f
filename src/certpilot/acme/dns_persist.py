"""dns-persist-01 (draft-ietf-acme-dns-persist): the CA reads one persistent TXT record at
`_validation-persist.<domain>` whose value, in RFC 8659 issue-value syntax, names the CA (one of the
challenge's issuer-domain-names) and the account (`accounturi=`), and `policy=wildcard` when it may
also authorize wildcard certificates. The record is written once and serves every later order.

certbot's acme library does not know this challenge: it arrives as an UnrecognizedChallenge whose
JSON is read here."""

from __future__ import annotations

from acme import challenges, messages

from certpilot.acme.client_errors import AcmeError

DNS_PERSIST_01 = "dns-persist-01"
RECORD_LABEL = "_validation-persist"
MAX_ISSUER_DOMAIN_NAMES = 10
MAX_DOMAIN_NAME_OCTETS = 253


def is_dns_persist(challenge: messages.ChallengeBody) -> bool:
    chall = challenge.chall
    return isinstance(chall, challenges.UnrecognizedChallenge) and chall.jobj.get("type") == DNS_PERSIST_01


def issuer_domain_name(challenge: messages.ChallengeBody) -> str:
    """The first issuer domain name the CA offers; a malformed list is refused, as the draft asks."""
    chall = challenge.chall
    names = (
        chall.jobj.get("issuer-domain-names") if isinstance(chall, challenges.UnrecognizedChallenge) else None
    )
    if (
        not isinstance(names, list)
        or not 1 <= len(names) <= MAX_ISSUER_DOMAIN_NAMES
        or not all(isinstance(n, str) and n and len(n.encode()) <= MAX_DOMAIN_NAME_OCTETS for n in names)
    ):
        raise AcmeError(
            f"the dns-persist-01 challenge {challenge.uri} has no usable issuer-domain-names "
            "(1 to 10 domain names): the CA sent a malformed challenge"
        )
    return str(names[0]).lower().rstrip(".")


def persist_record_name(domain: str) -> str:
    """`_validation-persist.<domain>` (a wildcard's record sits at its base domain)."""
    return f"{RECORD_LABEL}.{domain.removeprefix('*.').rstrip('.')}"


def persist_record_value(issuer: str, account_uri: str, wildcard: bool) -> str:
    parts = [issuer, f"accounturi={account_uri}"]
    if wildcard:
        parts.append("policy=wildcard")
    return "; ".join(parts)
