"""A table of invalid manifests: each is refused with a message naming the file, the document
number, kind/name, the camelCase field path and what is allowed."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.loader import ManifestError, dump_yaml, load_path
from tests.unit.api.api_manifests import csr_base64

DELETE = object()

CERT: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {"secretName": "web-tls", "issuerRef": {"name": "ca"}, "dnsNames": ["web.example.com"]},
}
ISSUER: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Issuer",
    "metadata": {"name": "iss", "namespace": "apps"},
    "spec": {"selfSigned": {}},
}
RFC2136 = {"nameserver": "127.0.0.1:53", "tsigKeyName": "k", "tsigSecretSecretRef": {"name": "tsig"}}
ACME: dict[str, Any] = {
    **ISSUER,
    "spec": {
        "acme": {
            "server": "https://acme.example.com/dir",
            "privateKeySecretRef": {"name": "account"},
            "solvers": [{"dns01": {"rfc2136": RFC2136}}],
        }
    },
}
VAULT: dict[str, Any] = {
    **ISSUER,
    "spec": {
        "vault": {
            "server": "https://vault.example.com:8200",
            "path": "pki/sign/web",
            "auth": {"tokenSecretRef": {"name": "token", "key": "token"}},
        }
    },
}
CR: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "CertificateRequest",
    "metadata": {"name": "web-1", "namespace": "apps"},
    "spec": {"issuerRef": {"name": "ca"}, "request": csr_base64()},
}
ORDER: dict[str, Any] = {
    "apiVersion": "acme.cert-manager.io/v1",
    "kind": "Order",
    "metadata": {"name": "web-1-1", "namespace": "apps"},
    "spec": {"issuerRef": {"name": "le"}, "request": csr_base64()},
}
CHALLENGE: dict[str, Any] = {
    "apiVersion": "acme.cert-manager.io/v1",
    "kind": "Challenge",
    "metadata": {"name": "web-1-1-1", "namespace": "apps"},
    "spec": {
        "url": "https://acme.example.com/chall/1",
        "authorizationURL": "https://acme.example.com/authz/1",
        "dnsName": "web.example.com",
        "type": "HTTP-01",
        "token": "t",
        "key": "k",
        "solver": {"http01": {"ingress": {}}},
        "issuerRef": {"name": "le"},
    },
}
SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "web-tls", "namespace": "apps"},
    "data": {"tls.crt": "Zm9v"},
}
JUNK_CSR = base64.b64encode(b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n").decode()
APPROVED = {"type": "Approved", "status": "True", "reason": "ok", "message": "ok"}
DENIED = {"type": "Denied", "status": "True", "reason": "no", "message": "no"}


def patched(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with dotted paths set (or removed with DELETE)."""
    document = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[leaf]
        else:
            node[leaf] = value
    return document


def solver(**fields: Any) -> dict[str, Any]:
    return patched(ACME, {"spec.acme.solvers": [fields]})


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no identity", patched(CERT, {"spec.dnsNames": DELETE}), "spec", "at least one of commonName"),
    ("long commonName", patched(CERT, {"spec.commonName": "a" * 65}), "spec.commonName", "at most 64"),
    ("short duration", patched(CERT, {"spec.duration": "30m"}), "spec.duration", "minimum is 1h"),
    ("days are not Go", patched(CERT, {"spec.duration": "90d"}), "spec.duration", "invalid duration"),
    ("short renewBefore", patched(CERT, {"spec.renewBefore": "1m"}), "spec.renewBefore", "minimum is 5m"),
    (
        "renewBefore >= duration",
        patched(CERT, {"spec.duration": "24h", "spec.renewBefore": "24h"}),
        "spec.renewBefore",
        "less than the certificate duration",
    ),
    (
        "renewBefore and percentage",
        patched(CERT, {"spec.renewBefore": "1h", "spec.renewBeforePercentage": 20}),
        "spec.renewBeforePercentage",
        "may not be set together",
    ),
    (
        "percentage 100",
        patched(CERT, {"spec.renewBeforePercentage": 100}),
        "spec.renewBeforePercentage",
        "between 1 and 99",
    ),
    (
        "literalSubject and commonName",
        patched(CERT, {"spec.literalSubject": "CN=a", "spec.commonName": "a"}),
        "spec.commonName",
        "literalSubject",
    ),
    (
        "literalSubject and subject",
        patched(CERT, {"spec.literalSubject": "CN=a", "spec.subject": {"organizations": ["x"]}}),
        "spec.subject",
        "literalSubject",
    ),
    ("RSA 1024", patched(CERT, {"spec.privateKey": {"size": 1024}}), "spec.privateKey.size", "2048 to 8192"),
    (
        "ECDSA 512",
        patched(CERT, {"spec.privateKey": {"algorithm": "ECDSA", "size": 512}}),
        "spec.privateKey.size",
        "256, 384 or 521",
    ),
    (
        "Ed25519 with size",
        patched(CERT, {"spec.privateKey": {"algorithm": "Ed25519", "size": 256}}),
        "spec.privateKey.size",
        "must not be set",
    ),
    (
        "size as string",
        patched(CERT, {"spec.privateKey": {"size": "2048"}}),
        "spec.privateKey.size",
        "expected integer",
    ),
    (
        "unknown algorithm",
        patched(CERT, {"spec.privateKey": {"algorithm": "DSA"}}),
        "spec.privateKey.algorithm",
        "'RSA', 'ECDSA' or 'Ed25519'",
    ),
    (
        "signature algorithm for another key",
        patched(CERT, {"spec.signatureAlgorithm": "ECDSAWithSHA256"}),
        "spec.signatureAlgorithm",
        "cannot sign with a RSA key",
    ),
    (
        "nameConstraints without isCA",
        patched(CERT, {"spec.nameConstraints": {"permitted": {"dnsDomains": ["a.com"]}}}),
        "spec.nameConstraints",
        "isCA",
    ),
    ("bad usage", patched(CERT, {"spec.usages": ["bogus"]}), "spec.usages[0]", "unsupported value 'bogus'"),
    ("bad IP", patched(CERT, {"spec.ipAddresses": ["300.1.1.1"]}), "spec.ipAddresses[0]", "not an IP"),
    (
        "IPs not a list",
        patched(CERT, {"spec.ipAddresses": "10.0.0.1"}),
        "spec.ipAddresses",
        "expected a list",
    ),
    (
        "bad email",
        patched(CERT, {"spec.emailAddresses": ["nobody"]}),
        "spec.emailAddresses[0]",
        "user@domain",
    ),
    ("relative URI", patched(CERT, {"spec.uris": ["a/b"]}), "spec.uris[0]", "not an absolute URI"),
    (
        "reserved secret annotation",
        patched(CERT, {"spec.secretTemplate": {"annotations": {"cert-manager.io/alt-names": "x"}}}),
        "spec.secretTemplate.annotations[cert-manager.io/alt-names]",
        "may not be templated",
    ),
    ("typo field", patched(CERT, {"spec.dnsName": ["a.com"]}), "spec.dnsName", "unknown field"),
    ("no secretName", patched(CERT, {"spec.secretName": DELETE}), "spec.secretName", "required field"),
    ("bad name", patched(CERT, {"metadata.name": "Web_Cert"}), "metadata.name", "DNS-1123 subdomain"),
    ("isCA yes", patched(CERT, {"spec.isCA": "yes"}), "spec.isCA", "expected boolean"),
    (
        "revisionHistoryLimit 0",
        patched(CERT, {"spec.revisionHistoryLimit": 0}),
        "spec.revisionHistoryLimit",
        "1 or more",
    ),
    ("two issuer types", patched(ISSUER, {"spec.ca": {"secretName": "ca"}}), "spec", "got ca, selfSigned"),
    ("no issuer type", patched(ISSUER, {"spec": {}}), "spec", "got none"),
    (
        "ca without secret",
        patched(ISSUER, {"spec": {"ca": {"secretName": ""}}}),
        "spec.ca.secretName",
        "must be set",
    ),
    ("acme server", patched(ACME, {"spec.acme.server": "acme.example.com"}), "spec.acme.server", "not a URL"),
    (
        "acme account secret",
        patched(ACME, {"spec.acme.privateKeySecretRef": {"name": ""}}),
        "spec.acme.privateKeySecretRef.name",
        "must be set",
    ),
    (
        "solver with both",
        solver(http01={"ingress": {}}, dns01={"rfc2136": RFC2136}),
        "spec.acme.solvers[0]",
        "exactly one of http01 and dns01",
    ),
    (
        "two DNS providers",
        solver(dns01={"rfc2136": RFC2136, "digitalocean": {"tokenSecretRef": {"name": "do"}}}),
        "spec.acme.solvers[0].dns01",
        "got digitalocean, rfc2136",
    ),
    (
        "rfc2136 bad port",
        solver(dns01={"rfc2136": {**RFC2136, "nameserver": "127.0.0.1:99999"}}),
        "spec.acme.solvers[0].dns01.rfc2136.nameserver",
        "port must be 1-65535",
    ),
    (
        "rfc2136 algorithm",
        solver(dns01={"rfc2136": {**RFC2136, "tsigAlgorithm": "HMACSHA3"}}),
        "spec.acme.solvers[0].dns01.rfc2136.tsigAlgorithm",
        "HMACMD5, HMACSHA1, HMACSHA256, HMACSHA512",
    ),
    (
        "EAB algorithm",
        patched(
            ACME,
            {
                "spec.acme.externalAccountBinding": {
                    "keyID": "k",
                    "keySecretRef": {"name": "e"},
                    "keyAlgorithm": "RS256",
                }
            },
        ),
        "spec.acme.externalAccountBinding.keyAlgorithm",
        "'HS256', 'HS384' or 'HS512'",
    ),
    (
        "webhook solverName",
        solver(dns01={"webhook": {"groupName": "acme.example.com", "solverName": ""}}),
        "spec.acme.solvers[0].dns01.webhook.solverName",
        "must be set",
    ),
    (
        "webhook groupName",
        solver(dns01={"webhook": {"solverName": "x"}}),
        "spec.acme.solvers[0].dns01.webhook.groupName",
        "required field",
    ),
    (
        "ingress class twice",
        solver(http01={"ingress": {"class": "a", "ingressClassName": "b"}}),
        "spec.acme.solvers[0].http01.ingress",
        "at most one of class",
    ),
    ("vault server", patched(VAULT, {"spec.vault.server": "vault:8200"}), "spec.vault.server", "not a URL"),
    ("vault path", patched(VAULT, {"spec.vault.path": ""}), "spec.vault.path", "must be set"),
    (
        "vault two auths",
        patched(VAULT, {"spec.vault.auth.kubernetes": {"role": "r", "secretRef": {"name": "t"}}}),
        "spec.vault.auth",
        "got tokenSecretRef, kubernetes",
    ),
    (
        "venafi both",
        patched(
            ISSUER,
            {
                "spec": {
                    "venafi": {
                        "zone": "z",
                        "tpp": {"url": "https://tpp.example.com", "credentialsRef": {"name": "c"}},
                        "cloud": {"apiTokenSecretRef": {"name": "t"}},
                    }
                }
            },
        ),
        "spec.venafi",
        "exactly one of tpp, cloud and ngts must be set; got tpp, cloud",
    ),
    (
        "venafi ngts without tsgID",
        patched(
            ISSUER,
            {"spec": {"venafi": {"zone": "z", "ngts": {"tsgID": "", "credentialsRef": {"name": "c"}}}}},
        ),
        "spec.venafi.ngts.tsgID",
        "Tenant Service Group ID",
    ),
    (
        "venafi ngts http token endpoint",
        patched(
            ISSUER,
            {
                "spec": {
                    "venafi": {
                        "zone": "z",
                        "ngts": {
                            "tsgID": "1234567890",
                            "credentialsRef": {"name": "c"},
                            "tokenEndpoint": "http://auth.example/token",
                        },
                    }
                }
            },
        ),
        "spec.venafi.ngts.tokenEndpoint",
        "expected https://",
    ),
    (
        "CR junk CSR",
        patched(CR, {"spec.request": JUNK_CSR}),
        "spec.request",
        "PEM certificate signing request",
    ),
    (
        "CR approved and denied",
        patched(CR, {"status": {"conditions": [APPROVED, DENIED]}}),
        "status.conditions",
        "both Approved and Denied",
    ),
    ("Order bad CSR", patched(ORDER, {"spec.request": "%%%"}), "spec.request", "invalid base64"),
    ("Challenge type", patched(CHALLENGE, {"spec.type": "HTTP-02"}), "spec.type", "'HTTP-01', 'DNS-01'"),
    (
        "Secret data",
        patched(SECRET, {"data": {"tls.key": "not base64!"}}),
        "data[tls.key]",
        "not valid base64",
    ),
    ("unknown kind", patched(CERT, {"kind": "Certificat"}), "kind", "unknown kind 'Certificat'"),
]


@pytest.mark.parametrize(("document", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest_is_refused_naming_file_document_and_field(
    tmp_path: Path, document: dict[str, Any], path: str, fragment: str
) -> None:
    manifest = tmp_path / "manifests.yaml"
    # A valid first document, so the bad one is document 2.
    manifest.write_text(dump_yaml(CERT) + "---\n" + dump_yaml(document))
    with pytest.raises(ManifestError) as caught:
        load_path(manifest)
    message = str(caught.value)
    assert message.startswith(f"{manifest}: document 2 ({document['kind']}/{document['metadata']['name']})")
    assert f"{path}: " in message
    assert fragment in message
    assert any(error.path == path for error in caught.value.errors)


def test_table_has_at_least_thirty_distinct_cases() -> None:
    assert len({json.dumps(c[1], sort_keys=True) for c in CASES}) >= 30


def test_several_errors_are_listed_in_one_message(tmp_path: Path) -> None:
    manifest = tmp_path / "cert.yaml"
    manifest.write_text(dump_yaml(patched(CERT, {"spec.duration": "10m", "spec.commonName": "a" * 70})))
    with pytest.raises(ManifestError) as caught:
        load_path(manifest)
    assert {e.path for e in caught.value.errors} == {"spec.duration", "spec.commonName"}
    assert "\n  - spec.commonName: " in str(caught.value)
    assert "\n  - spec.duration: " in str(caught.value)
