"""The CSR a Certificate asks for, checked field by field with `openssl req -text`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from certpilot.api.certificate import NameConstraintItem, NameConstraints, OtherName, X509Subject
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, SignatureAlgorithm
from certpilot.pki.csr import build_csr, csr_from_pem, csr_matches_spec, csr_to_pem
from certpilot.pki.errors import InvalidCSRError, InvalidSANError, InvalidSubjectError, UnsupportedKeyError
from certpilot.pki.keys import KeySpec, generate_private_key
from certpilot.pki.sans import decode_utf8_string, encode_utf8_string
from certpilot.testing.builders import full_subject
from tests.unit.pki.pki_material import key_of, make_spec, openssl, write

EC = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)
EC_KEY = key_of(PrivateKeyAlgorithm.ECDSA, 256)

FULL_SPEC = make_spec(
    common_name="app.example.com",
    subject=full_subject(),
    dns_names=["app.example.com", "www.example.com"],
    ip_addresses=["192.0.2.7", "2001:db8::1"],
    uris=["spiffe://cluster.local/ns/default/sa/app"],
    email_addresses=["ops@example.com"],
    other_names=[OtherName(oid="1.3.6.1.4.1.311.20.2.3", utf8_value="upn@example.com")],
    usages=[
        KeyUsage.DIGITAL_SIGNATURE,
        KeyUsage.KEY_ENCIPHERMENT,
        KeyUsage.SERVER_AUTH,
        KeyUsage.CLIENT_AUTH,
    ],
    private_key=EC_KEY,
    signature_algorithm=SignatureAlgorithm.ECDSAWithSHA384,
)


def test_csr_carries_every_requested_field_as_openssl_reads_it(tmp_path: Path) -> None:
    key = generate_private_key(EC)
    csr = build_csr(FULL_SPEC, key)
    assert csr.is_signature_valid
    text = openssl(
        "req", "-in", write(tmp_path / "r.csr", csr_to_pem(csr)), "-noout", "-text", "-nameopt", "RFC2253"
    )
    for expected in [
        "C=GB",
        "ST=England",
        "L=London",
        "street=1 High Street",
        "postalCode=EC1A 1AA",
        "O=Example Ltd",
        "OU=Platform",
        "CN=app.example.com",
        "serialNumber=42",
        "DNS:app.example.com",
        "DNS:www.example.com",
        "IP Address:192.0.2.7",
        "IP Address:2001:DB8:0:0:0:0:0:1",
        "URI:spiffe://cluster.local/ns/default/sa/app",
        "email:ops@example.com",
        "othername: UPN::upn@example.com",
        "Digital Signature, Key Encipherment",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "ecdsa-with-SHA384",
    ]:
        assert expected in text, expected
    assert "CA:TRUE" not in text
    assert csr_matches_spec(csr, FULL_SPEC) == []


def test_ca_csr_has_basic_constraints_cert_sign_and_name_constraints(tmp_path: Path) -> None:
    spec = make_spec(
        common_name="Intermediate",
        is_ca=True,
        private_key=EC_KEY,
        name_constraints=NameConstraints(
            critical=True,
            permitted=NameConstraintItem(dns_domains=["example.com"], ip_ranges=["10.0.0.0/8"]),
            excluded=NameConstraintItem(email_addresses=["bad.example.com"], uri_domains=[".evil.example"]),
        ),
    )
    csr = build_csr(spec, generate_private_key(EC))
    text = openssl("req", "-in", write(tmp_path / "r.csr", csr_to_pem(csr)), "-noout", "-text")
    assert "CA:TRUE" in text
    assert "Certificate Sign" in text
    assert "X509v3 Name Constraints: critical" in text
    assert "DNS:example.com" in text and "IP:10.0.0.0/255.0.0.0" in text
    assert "email:bad.example.com" in text and "URI:.evil.example" in text
    assert csr_matches_spec(csr, spec) == []


def test_usages_left_out_when_encode_usages_in_request_is_false() -> None:
    csr = build_csr(make_spec(common_name="a", encode_usages_in_request=False), generate_private_key(EC))
    assert not any(isinstance(ext.value, x509.KeyUsage | x509.ExtendedKeyUsage) for ext in csr.extensions)


def test_san_is_critical_when_subject_is_empty() -> None:
    csr = build_csr(make_spec(dns_names=["only-san.example"]), generate_private_key(EC))
    assert list(csr.subject) == []
    assert csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical


def test_literal_subject_keeps_order_and_accepts_oids(tmp_path: Path) -> None:
    spec = make_spec(
        literal_subject="CN=app,1.2.840.113549.1.9.1=ops@example.com,OU=a\\,b,serialNumber=7,O=Org",
        private_key=EC_KEY,
    )
    csr = build_csr(spec, generate_private_key(EC))
    assert csr.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)[0].value == "ops@example.com"
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "a,b"
    assert (
        csr.subject.rfc4514_string()
        == x509.Name.from_rfc4514_string(
            "CN=app,1.2.840.113549.1.9.1=ops@example.com,OU=a\\,b,2.5.4.5=7,O=Org"
        ).rfc4514_string()
    )
    text = openssl(
        "req", "-in", write(tmp_path / "r.csr", csr_to_pem(csr)), "-noout", "-subject", "-nameopt", "RFC2253"
    )
    assert "CN=app,emailAddress=ops@example.com,OU=a\\,b,serialNumber=7,O=Org" in text
    assert csr_matches_spec(csr, spec) == []
    assert csr_matches_spec(csr, make_spec(literal_subject="CN=app,O=Org", private_key=EC_KEY)) == [
        "literalSubject: has 'CN=app,1.2.840.113549.1.9.1=ops@example.com,OU=a\\,b,2.5.4.5=7,O=Org', "
        "spec wants 'CN=app,O=Org'"
    ]


@pytest.mark.parametrize("literal", ["CN", "not a dn", "=x"])
def test_bad_literal_subject_is_refused(literal: str) -> None:
    with pytest.raises(InvalidSubjectError, match="RFC 4514"):
        build_csr(make_spec(literal_subject=literal), generate_private_key(EC))


def test_bad_ip_and_other_name_are_refused() -> None:
    with pytest.raises(InvalidSANError, match="ipAddresses"):
        build_csr(make_spec(ip_addresses=["300.1.1.1"]), generate_private_key(EC))
    with pytest.raises(InvalidSANError, match="oid"):
        build_csr(make_spec(other_names=[OtherName(oid="upn", utf8_value="x")]), generate_private_key(EC))


def test_signature_algorithm_must_fit_the_key() -> None:
    with pytest.raises(UnsupportedKeyError, match="signatureAlgorithm"):
        build_csr(
            make_spec(common_name="a", signature_algorithm=SignatureAlgorithm.SHA256WithRSA),
            generate_private_key(EC),
        )


def test_default_signature_hash_follows_the_key() -> None:
    csr = build_csr(make_spec(common_name="a"), generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 521)))
    assert csr.signature_hash_algorithm is not None and csr.signature_hash_algorithm.name == "sha512"
    ed_csr = build_csr(
        make_spec(common_name="a"), generate_private_key(KeySpec(PrivateKeyAlgorithm.ED25519, None))
    )
    assert ed_csr.signature_hash_algorithm is None and ed_csr.is_signature_valid


def test_csr_pem_round_trips_and_garbage_is_refused() -> None:
    csr = build_csr(FULL_SPEC, generate_private_key(EC))
    assert csr_from_pem(csr_to_pem(csr)) == csr
    with pytest.raises(InvalidCSRError, match="CERTIFICATE REQUEST"):
        csr_from_pem(b"not a csr")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"common_name": "other.example.com"}, "commonName"),
        ({"dns_names": ["app.example.com"]}, "dnsNames"),
        ({"ip_addresses": ["192.0.2.8", "2001:db8::1"]}, "ipAddresses"),
        ({"uris": []}, "uris"),
        ({"email_addresses": ["dev@example.com"]}, "emailAddresses"),
        (
            {"other_names": [OtherName(oid="1.3.6.1.4.1.311.20.2.3", utf8_value="x@example.com")]},
            "otherNames",
        ),
        ({"subject": X509Subject(organizations=["Other"])}, "subject.organizations"),
        ({"is_ca": True}, "isCA"),
        ({"usages": [KeyUsage.DIGITAL_SIGNATURE]}, "usages"),
        ({"private_key": key_of(PrivateKeyAlgorithm.RSA, 2048)}, "privateKey"),
        ({"signature_algorithm": SignatureAlgorithm.ECDSAWithSHA256}, "signatureAlgorithm"),
        (
            {"name_constraints": NameConstraints(permitted=NameConstraintItem(dns_domains=["x"]))},
            "nameConstraints",
        ),
    ],
)
def test_csr_matches_spec_names_each_changed_field(change: dict[str, object], field: str) -> None:
    csr = build_csr(FULL_SPEC, generate_private_key(EC))
    changed = FULL_SPEC.model_copy(update=change)
    mismatches = csr_matches_spec(csr, changed)
    assert any(mismatch.startswith(field) for mismatch in mismatches), mismatches


def test_san_order_and_ip_spelling_do_not_matter() -> None:
    csr = build_csr(FULL_SPEC, generate_private_key(EC))
    reordered = FULL_SPEC.model_copy(
        update={
            "dns_names": ["www.example.com", "app.example.com"],
            "ip_addresses": ["2001:DB8:0::1", "192.0.2.7"],
        }
    )
    assert csr_matches_spec(csr, reordered) == []


def test_utf8_string_der_round_trips_long_values() -> None:
    for value in ["", "x", "é" * 70, "y" * 300]:
        assert decode_utf8_string(encode_utf8_string(value)) == value
    assert decode_utf8_string(b"\x13\x01x") is None
