"""cert-manager's annotation and label keys, written on Secrets, CertificateRequests and Orders and
read from Ingresses / Gateways by the shims."""

from __future__ import annotations

GROUP = "cert-manager.io"
ACME_GROUP = "acme.cert-manager.io"

# Written on the certificate Secret (and CertificateRequests) to describe what it holds.
CERTIFICATE_NAME = "cert-manager.io/certificate-name"
ISSUER_NAME = "cert-manager.io/issuer-name"
ISSUER_KIND = "cert-manager.io/issuer-kind"
ISSUER_GROUP = "cert-manager.io/issuer-group"
COMMON_NAME = "cert-manager.io/common-name"
ALT_NAMES = "cert-manager.io/alt-names"
IP_SANS = "cert-manager.io/ip-sans"
URI_SANS = "cert-manager.io/uri-sans"
EMAIL_SANS = "cert-manager.io/email-sans"
SUBJECT_ORGANIZATIONS = "cert-manager.io/subject-organizations"
SUBJECT_ORGANIZATIONAL_UNITS = "cert-manager.io/subject-organizationalunits"
SUBJECT_COUNTRIES = "cert-manager.io/subject-countries"
SUBJECT_PROVINCES = "cert-manager.io/subject-provinces"
SUBJECT_LOCALITIES = "cert-manager.io/subject-localities"
SUBJECT_POSTAL_CODES = "cert-manager.io/subject-postalcodes"
SUBJECT_STREET_ADDRESSES = "cert-manager.io/subject-streetaddresses"
SUBJECT_SERIAL_NUMBER = "cert-manager.io/subject-serialnumber"

# CertificateRequest bookkeeping.
CERTIFICATE_REVISION = "cert-manager.io/certificate-revision"
PRIVATE_KEY_SECRET_NAME = "cert-manager.io/private-key-secret-name"  # noqa: S105 - a key name

# Certificate behaviour switches.
ISSUE_TEMPORARY_CERTIFICATE = "cert-manager.io/issue-temporary-certificate"
# Set on an Ingress/Gateway by the user; read by ingress-shim / gateway-shim.
INGRESS_ISSUER = "cert-manager.io/issuer"
INGRESS_CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
INGRESS_ISSUER_KIND = "cert-manager.io/issuer-kind"
INGRESS_ISSUER_GROUP = "cert-manager.io/issuer-group"
INGRESS_COMMON_NAME = "cert-manager.io/common-name"
INGRESS_DURATION = "cert-manager.io/duration"
INGRESS_RENEW_BEFORE = "cert-manager.io/renew-before"
INGRESS_RENEW_BEFORE_PERCENTAGE = "cert-manager.io/renew-before-percentage"
INGRESS_USAGES = "cert-manager.io/usages"
INGRESS_REVISION_HISTORY_LIMIT = "cert-manager.io/revision-history-limit"
INGRESS_PRIVATE_KEY_ALGORITHM = "cert-manager.io/private-key-algorithm"
INGRESS_PRIVATE_KEY_ENCODING = "cert-manager.io/private-key-encoding"
INGRESS_PRIVATE_KEY_SIZE = "cert-manager.io/private-key-size"
INGRESS_PRIVATE_KEY_ROTATION_POLICY = "cert-manager.io/private-key-rotation-policy"
INGRESS_EMAIL_SANS = "cert-manager.io/email-sans"
INGRESS_SUBJECT_ORGANIZATIONS = "cert-manager.io/subject-organizations"
INGRESS_SECRET_TEMPLATE = "cert-manager.io/secret-template"  # noqa: S105 - a key name
# Gateway / ListenerSet: comma-separated listener names the gateway-shim leaves alone.
IGNORE_TLS_LISTENERS = "cert-manager.io/ignore-tls-listeners"
# On a Secret: its CA may be injected by cert-manager.io/inject-ca-from-secret. The one
# cert-manager.io/ annotation a secretTemplate may carry.
ALLOW_DIRECT_INJECTION = "cert-manager.io/allow-direct-injection"
INGRESS_EDIT_IN_PLACE = "acme.cert-manager.io/http01-edit-in-place"
INGRESS_HTTP01_INGRESS_CLASS = "acme.cert-manager.io/http01-ingress-class"
INGRESS_HTTP01_INGRESS_CLASS_NAME = "acme.cert-manager.io/http01-ingress-ingressclassname"
KUBERNETES_INGRESS_CLASS = "kubernetes.io/ingress.class"
KUBERNETES_TLS_ACME = "kubernetes.io/tls-acme"
# Written on a shim's Certificate for the ACME HTTP-01 solver.
HTTP01_OVERRIDE_INGRESS_NAME = "acme.cert-manager.io/http01-override-ingress-name"
HTTP01_OVERRIDE_INGRESS_CLASS = "acme.cert-manager.io/http01-override-ingress-class"
HTTP01_OVERRIDE_INGRESS_CLASS_NAME = "acme.cert-manager.io/http01-override-ingress-ingressclassname"
HTTP01_PARENT_REF_KIND = "acme.cert-manager.io/http01-parentrefkind"
HTTP01_PARENT_REF_NAME = "acme.cert-manager.io/http01-parentrefname"
HTTP01_PARENT_REF_NAMESPACE = "acme.cert-manager.io/http01-parentrefnamespace"

# Labels.
# Every Secret cert-manager manages carries this label, so informers can watch only those.
PART_OF_LABEL = "controller.cert-manager.io/fao"
# On the HTTP01 solver Pod / Service / Ingress, so they can be found and cleaned up.
ACME_HTTP_DOMAIN_LABEL = "acme.cert-manager.io/http-domain"
ACME_HTTP_TOKEN_LABEL = "acme.cert-manager.io/http-token"  # noqa: S105 - a key name
ACME_HTTP01_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"

# Annotation prefix a Certificate's secretTemplate may not set: cert-manager owns it.
RESERVED_PREFIX = "cert-manager.io/"


def is_reserved(key: str) -> bool:
    """Whether an annotation key belongs to cert-manager (and may not come from secretTemplate);
    allow-direct-injection is the user's to set, as cert-manager's webhook allows."""
    return key.startswith(RESERVED_PREFIX) and key != ALLOW_DIRECT_INJECTION


# certpilot's own switches and records (cert-manager's schema stays as it is).
# On a Certificate: "true" revokes the certificate a renewal replaced, reason superseded.
REVOKE_SUPERSEDED = "certpilot.io/revoke-superseded"
# On a Certificate: the serial (hex) and reason of the last certificate certpilot revoked for it.
REVOKED_SERIAL = "certpilot.io/revoked-serial"
REVOCATION_REASON = "certpilot.io/revocation-reason"
# On an ACME Issuer: "true" answers dns-persist-01 (when the CA offers it) with the dns01 solver the
# name selects: one persistent _validation-persist TXT record, written once, never removed.
DNS_PERSIST = "certpilot.io/dns-persist-01"
# On a Certificate: issuers to fall back to, in order, after spec.issuerRef: "Issuer/a, ClusterIssuer/b".
FALLBACK_ISSUERS = "certpilot.io/fallback-issuers"
# On a Certificate: failed issuance attempts with one issuer before the next one is used (default 1).
FALLBACK_AFTER_FAILURES = "certpilot.io/fallback-after-failures"
# On a certificate Secret: the CA's ACME Renewal Information (RFC 9773) for the certificate in
# tls.crt, written by the renewal-info controller. ARI_CERT_ID names the certificate the others
# describe (a new certificate makes them stale); times are RFC 3339.
ARI_CERT_ID = "certpilot.io/ari-cert-id"
ARI_WINDOW_START = "certpilot.io/ari-window-start"
ARI_WINDOW_END = "certpilot.io/ari-window-end"
ARI_NEXT_POLL = "certpilot.io/ari-next-poll"
ARI_ANNOTATIONS = (ARI_CERT_ID, ARI_WINDOW_START, ARI_WINDOW_END, ARI_NEXT_POLL)
