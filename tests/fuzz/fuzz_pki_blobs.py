"""PEM and DER blobs: the key pair in a CA issuer's Secret (through the CA issuer's check and
signing), and the CSR in a CertificateRequest (through the loader, then the signer's CSR checks and
a CA signing). Cases start from valid material and break one thing: bytes of the DER flipped,
cut or inserted, the PEM armour cut or relabelled, parts swapped, a key that is not the pair's."""

from __future__ import annotations

import base64
import json
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from hypothesis import strategies as st

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.loader import ManifestError, load_manifests
from certpilot.issuers.base import IssuerContext, IssuerNotReady, Permanent
from certpilot.issuers.ca import CAIssuerBackend
from certpilot.issuers.request import requested_csr, sign_as_requested
from certpilot.pki.errors import PKIError
from certpilot.runtime.clock import SystemClock
from certpilot.store.apply import apply_objects
from certpilot.store.protocol import Store
from certpilot.testing.builders import issuer_ca, secret_tls
from tests.fuzz.fuzz_outcomes import Outcome, Tally, each_line_names

NAMESPACE = "fuzz"
NOW = datetime.now(UTC)

AnyKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(key: AnyKey, *, is_ca: bool = True, days: int = 365, start: datetime = NOW) -> bytes:
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("fuzz ca"))
        .issuer_name(_name("fuzz ca"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    algorithm = (
        None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    )
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def _key_pem(key: AnyKey | dsa.DSAPrivateKey, form: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())


EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(65537, 2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
PKCS8 = serialization.PrivateFormat.PKCS8
GOOD_PAIRS = [
    (_certificate(EC_KEY), _key_pem(EC_KEY, PKCS8)),
    (_certificate(RSA_KEY), _key_pem(RSA_KEY, serialization.PrivateFormat.TraditionalOpenSSL)),
    (_certificate(ED_KEY), _key_pem(ED_KEY, PKCS8)),
]
ODD_KEYS = [
    _key_pem(ec.generate_private_key(ec.SECP256K1()), PKCS8),
    _key_pem(ed448.Ed448PrivateKey.generate(), PKCS8),
    _key_pem(dsa.generate_private_key(1024), PKCS8),
    _key_pem(rsa.generate_private_key(65537, 1024), PKCS8),
    EC_KEY.private_bytes(serialization.Encoding.DER, PKCS8, serialization.NoEncryption()),
    EC_KEY.private_bytes(serialization.Encoding.PEM, PKCS8, serialization.BestAvailableEncryption(b"pw")),
]
ODD_CERTIFICATES = [
    _certificate(EC_KEY, is_ca=False),
    _certificate(EC_KEY, days=1, start=NOW - timedelta(days=3)),
    _certificate(EC_KEY, start=NOW + timedelta(days=30)),
    _certificate(ec.generate_private_key(ec.SECP384R1())),
    x509.load_pem_x509_certificate(GOOD_PAIRS[0][0]).public_bytes(serialization.Encoding.DER),
]


def _der_of(pem: bytes) -> tuple[str, bytes]:
    lines = pem.decode().strip().splitlines()
    return lines[0][len("-----BEGIN ") : -len("-----")], base64.b64decode("".join(lines[1:-1]))


def _pem(label: str, der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


@st.composite
def broken_pem(draw: st.DrawFn, pem: bytes) -> bytes:
    """pem with one thing broken, most often inside its DER, where the parsers do their work."""
    label, der = _der_of(pem)
    how = draw(st.sampled_from(["flip", "flip", "flip", "cut", "insert", "armour", "label", "garbage"]))
    if how in ("flip", "cut", "insert"):
        at = draw(st.integers(0, len(der) - 1))
        if how == "flip":
            der = der[:at] + bytes([der[at] ^ draw(st.integers(1, 255))]) + der[at + 1 :]
        elif how == "cut":
            der = der[:at]
        else:
            der = der[:at] + draw(st.binary(min_size=1, max_size=8)) + der[at:]
        return _pem(label, der)
    if how == "armour":
        return pem[: draw(st.integers(0, len(pem) - 1))]
    if how == "label":
        return _pem(draw(st.sampled_from(["CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "X"])), der)
    return draw(st.binary(max_size=64))


@dataclass(frozen=True)
class CASecretCase:
    crt: bytes
    key: bytes

    def __repr__(self) -> str:
        return f"CASecretCase(crt={self.crt[:80]!r}..., key=<{len(self.key)} bytes>)"


@st.composite
def ca_secret_cases(draw: st.DrawFn) -> CASecretCase:
    crt, key = draw(st.sampled_from(GOOD_PAIRS))
    part = draw(st.sampled_from(["crt", "crt", "key", "key", "odd crt", "odd key", "swap", "chain"]))
    if part == "crt":
        crt = draw(broken_pem(crt))
    elif part == "key":
        key = draw(broken_pem(key))
    elif part == "odd crt":
        crt = draw(st.sampled_from(ODD_CERTIFICATES))
    elif part == "odd key":
        key = draw(st.sampled_from(ODD_KEYS))
    elif part == "swap":
        crt, key = key, crt
    else:
        crt = crt + draw(broken_pem(crt))
    return CASecretCase(crt, key)


def _request_model(csr_pem: bytes, *, is_ca: bool = False) -> dict[str, object]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "CertificateRequest",
        "metadata": {"name": "fuzz-1", "namespace": NAMESPACE},
        "spec": {
            "request": base64.b64encode(csr_pem).decode(),
            "issuerRef": {"name": "ca"},
            "isCA": is_ca,
            "usages": ["digital signature", "key encipherment"],
        },
    }


def _csr(key: AnyKey | dsa.DSAPrivateKey, *extensions: x509.ExtensionType, critical: bool = False) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name("web.example.com"))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=critical)
    algorithm = (
        None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    )
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)  # type: ignore[arg-type]


SAN = x509.SubjectAlternativeName([x509.DNSName("web.example.com")])
GOOD_CSRS = [_csr(EC_KEY, SAN), _csr(RSA_KEY, SAN), _csr(ED_KEY, SAN)]
ODD_CSRS = [
    _csr(EC_KEY, x509.BasicConstraints(ca=True, path_length=None), critical=True),
    _csr(EC_KEY, x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True),
    _csr(EC_KEY, x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), critical=True),
    _csr(ec.generate_private_key(ec.SECP256K1()), SAN),
    _csr(ed448.Ed448PrivateKey.generate(), SAN),
    _csr(dsa.generate_private_key(1024), SAN),
    _csr(rsa.generate_private_key(65537, 1024), SAN),
    _csr(
        EC_KEY,
        x509.SubjectAlternativeName(
            [x509.DNSName("*." * 40 + "x"), x509.UniformResourceIdentifier("not a uri")]
        ),
    ),
]


@dataclass(frozen=True)
class CSRCase:
    document: dict[str, object]

    def __repr__(self) -> str:
        return f"CSRCase({self.document['spec']!r})"


@st.composite
def csr_cases(draw: st.DrawFn) -> CSRCase:
    how = draw(st.sampled_from(["broken", "broken", "broken", "odd", "odd as CA", "not base64"]))
    if how == "broken":
        return CSRCase(_request_model(draw(broken_pem(draw(st.sampled_from(GOOD_CSRS)))), is_ca=False))
    if how.startswith("odd"):
        return CSRCase(_request_model(draw(st.sampled_from(ODD_CSRS)), is_ca=how.endswith("CA")))
    document = _request_model(GOOD_CSRS[0])
    document["spec"]["request"] = draw(st.text(max_size=40))  # type: ignore[index]
    return CSRCase(document)


CA_NAMES = (
    'key "tls.crt"',
    'key "tls.key"',
    "CA certificate",
    "tls.key is not the private key",
    "is not a CA",
)


async def check_ca_secret(case: CASecretCase, store: Store, tally: Tally) -> None:
    """Put the pair in the CA issuer's Secret; the issuer's readiness check, then a signing."""
    await apply_objects(store, [secret_tls("ca-tls", NAMESPACE, cert_pem=case.crt, key_pem=case.key)])
    ctx = IssuerContext(issuer_ca(namespace=NAMESPACE), NAMESPACE, store, SystemClock())
    backend = CAIssuerBackend()
    try:
        await backend.check(ctx)
        await backend.sign(ctx, CertificateRequest.model_validate(_request_model(GOOD_CSRS[0])))
    except (IssuerNotReady, Permanent) as error:
        clear = each_line_names([str(error)], CA_NAMES)
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{case!r}\n-> {error}")
    except Exception as error:
        tally.crashed(case, error)
    else:
        tally.add(Outcome.ACCEPTED)


CSR_NAMES = ("spec.request", "CSR", "spec.usages", "spec.isCA")


async def check_csr(case: CSRCase, store: Store, tally: Tally) -> None:
    """Load the request as apply and the webhook do, then the signer's CSR check and a CA signing."""
    try:
        (request,) = load_manifests(json.dumps(case.document), "fuzz.json")
        assert isinstance(request, CertificateRequest)
        requested_csr(request)
        sign_as_requested(request, issuer_cert=_ISSUER, issuer_key=EC_KEY, now=datetime.now(UTC))
    except ManifestError as error:
        clear = each_line_names([str(line) for line in error.errors], CSR_NAMES)
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{case!r}\n-> {error}")
    except (Permanent, PKIError) as error:
        clear = each_line_names([str(error)], CSR_NAMES)
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{case!r}\n-> {error}")
    except Exception as error:
        tally.crashed(case, error)
    else:
        tally.add(Outcome.ACCEPTED)


_ISSUER = x509.load_pem_x509_certificate(GOOD_PAIRS[0][0])
