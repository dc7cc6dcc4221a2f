"""Why a Certificate needs issuing, or is not Ready: chains of named checks, first reason wins.

Each check is a pure function of a PolicyInput returning a Reason or None, as cert-manager's
trigger and readiness policy chains do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from certpilot.api import annotations as ann
from certpilot.api.enums import CertificateRenewalPolicy
from certpilot.controllers.certificates.memos import issuer_choice, versions
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.issuer_fallback import secret_issued_by_one_of_the_issuers
from certpilot.controllers.certificates.policies.issuer_ref import issuer_ref_text
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.pki.keys import key_matches_spec, public_key_matches
from certpilot.pki.match import certificate_mismatches
from certpilot.runtime.bounded_memo import Missing
from certpilot.runtime.object_versions import VersionKey

Policy = Callable[[PolicyInput], Reason | None]


def secret_does_not_exist(i: PolicyInput) -> Reason | None:
    if i.secret is None:
        return Reason(reasons.DOES_NOT_EXIST, "Issuing certificate as Secret does not exist")
    return None


def secret_is_missing_data(i: PolicyInput) -> Reason | None:
    if not i.cert_pem:
        return Reason(reasons.MISSING_DATA, "Issuing certificate as Secret does not contain a certificate")
    if not i.key_pem:
        return Reason(reasons.MISSING_DATA, "Issuing certificate as Secret does not contain a private key")
    return None


def secret_certificate_is_invalid(i: PolicyInput) -> Reason | None:
    if i.parsed_certificate.error is not None:
        return Reason(
            reasons.INVALID_CERTIFICATE,
            f"Issuing certificate as Secret contains an invalid certificate: {i.parsed_certificate.error}",
        )
    return None


def secret_private_key_is_invalid(i: PolicyInput) -> Reason | None:
    if i.parsed_key.error is not None:
        return Reason(
            reasons.INVALID_KEY_PAIR,
            f"Issuing certificate as Secret contains invalid private key data: {i.parsed_key.error}",
        )
    return None


def secret_public_keys_differ(i: PolicyInput) -> Reason | None:
    cert, key = i.parsed_certificate.certificate, i.parsed_key.key
    if cert is None or key is None:
        return None
    if not i.memos.key_pair_matches(i.secret, lambda: public_key_matches(cert, key)):
        return Reason(
            reasons.INVALID_KEY_PAIR,
            "Issuing certificate as Secret contains a private key that does not match the certificate",
        )
    return None


def secret_private_key_mismatches_spec(i: PolicyInput) -> Reason | None:
    key = i.parsed_key.key
    if key is not None and not key_matches_spec(key, i.certificate.spec.private_key):
        return Reason(
            reasons.SECRET_MISMATCH,
            "Issuing certificate as Existing private key is not up to date for spec: [spec.privateKey]",
        )
    return None


def secret_issuer_annotations_mismatch(i: PolicyInput) -> Reason | None:
    found = (i.secret.metadata.annotations or {}) if i.secret else {}
    if not secret_issued_by_one_of_the_issuers(i.certificate, found):
        previous = "/".join(
            filter(
                None,
                (
                    found.get(ann.ISSUER_KIND),
                    found.get(ann.ISSUER_GROUP),
                    found.get(ann.ISSUER_NAME),
                ),
            )
        )
        return Reason(
            reasons.INCORRECT_ISSUER,
            f"Issuing certificate as Secret was previously issued by {previous or 'an unknown issuer'}, "
            f"not {issuer_ref_text(i.certificate.spec.issuer_ref)}",
        )
    return None


def secret_certificate_name_mismatch(i: PolicyInput) -> Reason | None:
    found = (i.secret.metadata.annotations or {}).get(ann.CERTIFICATE_NAME) if i.secret else None
    if found is not None and found != i.certificate.name:
        return Reason(
            reasons.INCORRECT_CERTIFICATE,
            f"Secret was issued for {found!r}. If this message is not transient, you might have two "
            f"conflicting Certificates pointing to the same secret.",
        )
    return None


def current_request_mismatches_spec(i: PolicyInput) -> Reason | None:
    """Compares the spec with the request that produced the current certificate; without one
    (history pruned, Secret made elsewhere) with the certificate itself, names only, because
    issuers may legitimately add usages or change the lifetime."""
    if i.current_request is not None:
        mismatches = i.memos.request_mismatches(i.current_request, i.certificate)
        if mismatches:
            return Reason(
                reasons.REQUEST_CHANGED,
                f"Fields on existing CertificateRequest resource not up to date: {format_fields(mismatches)}",
            )
        return None
    mismatches = issued_certificate_mismatches(i)
    if mismatches:
        return Reason(
            reasons.SECRET_MISMATCH,
            f"Issuing certificate as Existing issued Secret is not up to date for spec: "
            f"{format_fields(mismatches)}",
        )
    return None


def issued_certificate_mismatches(i: PolicyInput) -> list[str]:
    """certificate_mismatches of the Secret's certificate and the spec, once per their versions
    (trigger, readiness and issuing each ask it on every reconcile)."""
    cert = i.parsed_certificate.certificate
    if cert is None:
        return []
    spec = i.certificate.spec
    return i.memos.issued_mismatches(i.secret, i.certificate, lambda: certificate_mismatches(cert, spec))


def certificate_has_expired(i: PolicyInput) -> Reason | None:
    cert = i.parsed_certificate.certificate
    if cert is not None and i.now >= cert.not_valid_after_utc:
        return Reason(reasons.EXPIRED, f"Certificate expired on {cert.not_valid_after_utc.isoformat()}")
    return None


def certificate_renewal_is_due(i: PolicyInput) -> Reason | None:
    due, window_error = i.renewal_schedule
    if due is None or i.now < due:
        return None
    if window_error is not None:
        return Reason(reasons.WINDOW_ERROR, window_error)
    return Reason(reasons.RENEWING, f"Renewing certificate as renewal was scheduled at {due.isoformat()}")


def certificate_has_expired_and_may_renew(i: PolicyInput) -> Reason | None:
    """The trigger's expiry check: with spec.renewal.policy Disabled, only the user (or a Secret
    gone or mismatched) starts an issuance, expired or not."""
    renewal = i.certificate.spec.renewal
    if renewal is not None and renewal.policy is CertificateRenewalPolicy.DISABLED:
        return None
    return certificate_has_expired(i)


def format_fields(mismatches: Sequence[str]) -> str:
    return "[" + ", ".join(mismatches) + "]"


# Each chain is its checks of the Secret, the spec and the current request (the same verdict for
# the same versions of those), then its checks of the clock, which always come last.
TRIGGER_VERSIONED_POLICIES: tuple[Policy, ...] = (
    secret_does_not_exist,
    secret_is_missing_data,
    secret_certificate_is_invalid,
    secret_private_key_is_invalid,
    secret_public_keys_differ,
    secret_private_key_mismatches_spec,
    secret_issuer_annotations_mismatch,
    secret_certificate_name_mismatch,
    current_request_mismatches_spec,
)
TRIGGER_TIMED_POLICIES: tuple[Policy, ...] = (
    certificate_has_expired_and_may_renew,
    certificate_renewal_is_due,
)

# Renewal is not a readiness problem: a certificate being renewed is still Ready.
READINESS_VERSIONED_POLICIES: tuple[Policy, ...] = (
    secret_does_not_exist,
    secret_is_missing_data,
    secret_certificate_is_invalid,
    secret_private_key_is_invalid,
    secret_public_keys_differ,
    secret_private_key_mismatches_spec,
    secret_issuer_annotations_mismatch,
    current_request_mismatches_spec,
)
READINESS_TIMED_POLICIES: tuple[Policy, ...] = (certificate_has_expired,)

# A chain's verdict on the versioned checks: the first check that found a reason, and the reason;
# None when none did.
Verdict = tuple[Policy, Reason] | None


def chain_key(chain: str, i: PolicyInput) -> VersionKey | None:
    """Trigger, readiness and issuing (which asks the trigger's question) each run a chain on every
    reconcile of the same versions: its verdict is remembered by chain and by what the versioned
    checks read: the Secret, the spec (the Certificate's uid, which fixes its name, and generation),
    the issuers it may use and the current request, if any."""
    return versions(
        chain,
        ("stored", i.secret),
        ("spec", i.certificate),
        issuer_choice(i.certificate),
        ("maybe stored", i.current_request),
    )


def first_verdict(policies: Sequence[Policy], i: PolicyInput) -> Verdict:
    for policy in policies:
        reason = policy(i)
        if reason is not None:
            return policy, reason
    return None


def first_reason(policies: Sequence[Policy], i: PolicyInput) -> Reason | None:
    verdict = first_verdict(policies, i)
    return None if verdict is None else verdict[1]


def verdict_of_subchain(
    subchain: Sequence[Policy], chain: Sequence[Policy], chain_verdict: Verdict, i: PolicyInput
) -> Verdict:
    """The verdict of subchain (chain without some of its checks, in the same order) over the
    versions chain_verdict was found for: every check before the one that fired passed, so that
    one decides, unless subchain lacks it; then subchain's checks after it are run."""
    if chain_verdict is None:
        return None
    fired = chain_verdict[0]
    if fired in subchain:
        return chain_verdict
    after = chain[chain.index(fired) + 1 :]
    return first_verdict([policy for policy in after if policy in subchain], i)


def needs_issuance(i: PolicyInput) -> Reason | None:
    """Why the Certificate must be (re)issued now, or None when its Secret is good."""
    replaced = secret_must_be_replaced(i)
    return replaced if replaced is not None else first_reason(TRIGGER_TIMED_POLICIES, i)


def secret_must_be_replaced(i: PolicyInput) -> Reason | None:
    """Why the Secret's contents cannot stay, whatever the time: the trigger's checks of the Secret,
    the spec and the current request (missing, broken, foreign or mismatched). Not renewal or
    expiry, which need no look at the Secret beyond its certificate's dates."""
    verdict: Verdict = i.memos.verdict(
        chain_key("trigger", i), lambda: first_verdict(TRIGGER_VERSIONED_POLICIES, i)
    )
    return verdict[1] if verdict is not None else None


def not_ready_reason(i: PolicyInput) -> Reason | None:
    """Why the Certificate is not Ready, or None when it is. Readiness's versioned checks are
    the trigger's without one: the trigger's verdict for the same versions (it has usually just
    checked them) answers for readiness too."""

    def readiness_verdict() -> Verdict:
        trigger_verdict = i.memos.known_verdict(chain_key("trigger", i))
        if trigger_verdict is Missing.MISSING:
            return first_verdict(READINESS_VERSIONED_POLICIES, i)
        return verdict_of_subchain(
            READINESS_VERSIONED_POLICIES, TRIGGER_VERSIONED_POLICIES, trigger_verdict, i
        )

    verdict: Verdict = i.memos.verdict(chain_key("readiness", i), readiness_verdict)
    return verdict[1] if verdict is not None else first_reason(READINESS_TIMED_POLICIES, i)
