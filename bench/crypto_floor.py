"""The crypto floor: what issuing N certificates costs with `cryptography` alone, on every core.

Per certificate, exactly the cryptography the pipeline cannot avoid: generate the key, build and
sign a CSR for its DNS name, sign a leaf with the CA key, PEM-encode key and chain. It runs in a
process pool of os.cpu_count() workers, each taking an equal share; the pool is started and warmed
up before the clock starts, so only the work is timed.
"""

from __future__ import annotations

import datetime
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CaMaterial:
    cert_pem: bytes
    key_pem: bytes


# The CA of this worker process, set once by the pool's initializer.
_worker_ca: dict[str, tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]] = {}


def _load_ca(material: CaMaterial) -> None:
    key = serialization.load_pem_private_key(material.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    _worker_ca["ca"] = (x509.load_pem_x509_certificate(material.cert_pem), key)


def _new_key(key_type: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def issue_pems(key_type: str, dns_name: str) -> tuple[bytes, bytes]:
    """One key + CSR + leaf signed by the worker's CA: (key PEM in PKCS1/SEC1 as cert-manager
    writes it, chain PEM of leaf and CA)."""
    ca_cert, ca_key = _worker_ca["ca"]
    key = _new_key(key_type)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    now = datetime.datetime.now(datetime.UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # As the CA issuer writes it (pki/sign.py): the issuer's key identifier.
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    chain_pem = leaf.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    return key_pem, chain_pem


def issue_one(key_type: str, dns_name: str) -> int:
    """issue_pems, returning only the bytes produced (so nothing is optimised away)."""
    key_pem, chain_pem = issue_pems(key_type, dns_name)
    return len(key_pem) + len(chain_pem)


def _issue_pems_share(key_type: str, names: list[str]) -> list[tuple[bytes, bytes]]:
    return [issue_pems(key_type, name) for name in names]


def issue_many(
    names: list[str], key_type: str, ca: CaMaterial, workers: int | None = None
) -> list[tuple[bytes, bytes]]:
    """(key PEM, chain PEM) for each DNS name, in order, made on a process pool."""
    workers = workers or os.cpu_count() or 1
    chunk = max(1, min(500, len(names) // (workers * 4) or 1))
    chunks = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_load_ca, initargs=(ca,)) as pool:
        return [
            pems for share in pool.map(_issue_pems_share, [key_type] * len(chunks), chunks) for pems in share
        ]


def _issue_share(key_type: str, names: list[str]) -> int:
    return sum(issue_one(key_type, name) for name in names)


def _warm_up(_: int) -> int:
    return os.getpid()


def self_signed_ca() -> CaMaterial:
    """A throwaway ECDSA P-256 CA, for runs without the pipeline's CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crypto floor CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CaMaterial(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def crypto_floor(n: int, key_type: str, ca: CaMaterial, workers: int | None = None) -> dict[str, float]:
    """Issue n certificates with cryptography alone on `workers` processes (default: every core)."""
    workers = workers or os.cpu_count() or 1
    names = [f"floor{i:05d}.bench.example" for i in range(n)]
    shares = [names[w::workers] for w in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_load_ca, initargs=(ca,)) as pool:
        list(pool.map(_warm_up, range(workers * 2)))
        started = time.perf_counter()
        produced = sum(pool.map(_issue_share, [key_type] * workers, shares))
        elapsed = time.perf_counter() - started
    assert produced > 0
    return {
        "workers": workers,
        "seconds": round(elapsed, 3),
        "certificates_per_s": round(n / elapsed, 1),
    }
