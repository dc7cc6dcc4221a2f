"""The comparisons tell cryptography's own extension and SAN classes apart by exact type: the
answers must be those of isinstance (and of get_extension_for_class, get_values_for_type,
get_attributes_for_oid), for subclasses and registered classes too. The key checks below hold
keys.py to the same answers for registered key classes."""

from __future__ import annotations

import ipaddress
from itertools import permutations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from certpilot.api.certificate import X509Subject
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.checked_rsa_keys import CHECKED_RSA_PEMS
from certpilot.pki.errors import UnsupportedKeyError
from certpilot.pki.extension_lookup import CRYPTOGRAPHY_EXTENSION_TYPES, extension_value, is_extension
from certpilot.pki.keys import KeySpec, key_spec_of, parse_private_key, supported_public_key
from certpilot.pki.match import is_ca_in, subject_mismatches
from certpilot.pki.sans import CRYPTOGRAPHY_GENERAL_NAME_TYPES, SubjectAltNames, encode_utf8_string, sans_in
from certpilot.pki.subject import subject_values_by_oid
from certpilot.pki.usages import usages_in
from tests.unit.pki.pki_material import make_spec


class DerivedDNSName(x509.DNSName):
    pass


class DerivedKeyUsage(x509.KeyUsage):
    pass


class RegisteredECPublicKey:
    """A key class of another backend, registered on the ABC as cryptography's own are."""

    curve = ec.SECP384R1()


ec.EllipticCurvePublicKey.register(RegisteredECPublicKey)


def key_usage(cls: type[x509.KeyUsage] = x509.KeyUsage) -> x509.KeyUsage:
    bits = dict.fromkeys(
        ["content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign"],
        False,
    )
    return cls(digital_signature=True, crl_sign=True, encipher_only=False, decipher_only=False, **bits)


def extensions(*values: x509.ExtensionType) -> x509.Extensions:
    return x509.Extensions([x509.Extension(value.oid, False, value) for value in values])


EXTENSION_VALUES: list[x509.ExtensionType] = [
    x509.SubjectAlternativeName([x509.DNSName("a.example.com")]),
    x509.BasicConstraints(ca=True, path_length=None),
    key_usage(),
    key_usage(DerivedKeyUsage),
    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
    x509.SubjectKeyIdentifier(b"\x01" * 20),
    x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4"), b"\x05\x00"),
]


@pytest.mark.parametrize(
    ("name", "classes"),
    [("extension", CRYPTOGRAPHY_EXTENSION_TYPES), ("general name", CRYPTOGRAPHY_GENERAL_NAME_TYPES)],
)
def test_cryptographys_classes_are_unrelated(name: str, classes: frozenset[type]) -> None:
    """What the exact type tests rely on: no class of the set is another's subclass, derived or
    registered."""
    assert len(classes) > 5, name
    for one, other in permutations(classes, 2):
        assert not issubclass(one, other), (one, other)


@pytest.mark.parametrize("value", EXTENSION_VALUES, ids=lambda value: type(value).__name__)
def test_is_extension_answers_as_isinstance(value: x509.ExtensionType) -> None:
    classes: list[type[x509.ExtensionType]] = [
        *CRYPTOGRAPHY_EXTENSION_TYPES,
        DerivedKeyUsage,
        x509.ExtensionType,
    ]
    for extension_class in classes:
        assert is_extension(value, extension_class) == isinstance(value, extension_class), extension_class


def test_extension_value_finds_what_get_extension_for_class_finds() -> None:
    found = extensions(*EXTENSION_VALUES)
    for extension_class in (
        x509.SubjectAlternativeName,
        x509.KeyUsage,
        DerivedKeyUsage,
        x509.BasicConstraints,
    ):
        assert extension_value(found, extension_class) is found.get_extension_for_class(extension_class).value
    assert extension_value(found, x509.NameConstraints) is None
    assert extension_value(extensions(key_usage(DerivedKeyUsage)), x509.KeyUsage) is not None


def test_is_ca_and_usages_read_derived_classes_too() -> None:
    assert not is_ca_in(extensions(x509.BasicConstraints(ca=False, path_length=None)))
    assert is_ca_in(
        extensions(x509.SubjectKeyIdentifier(b"\x01" * 20), x509.BasicConstraints(ca=True, path_length=0))
    )
    assert not is_ca_in(extensions())
    assert usages_in(extensions(key_usage(DerivedKeyUsage))).key_usage == {"digital_signature", "crl_sign"}
    assert usages_in(extensions(key_usage(), *EXTENSION_VALUES[4:])).extended_key_usage == {
        ExtendedKeyUsageOID.SERVER_AUTH
    }


def test_sans_in_reads_every_kind_as_get_values_for_type_does() -> None:
    names: list[x509.GeneralName] = [
        x509.DNSName("b.example.com"),
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
        DerivedDNSName("a.example.com"),
        x509.DNSName("b.example.com"),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
        x509.RegisteredID(ObjectIdentifier("1.2.3")),
        x509.UniformResourceIdentifier("spiffe://example/b"),
        x509.RFC822Name("ops@example.com"),
        x509.OtherName(ObjectIdentifier("1.2.3.4"), encode_utf8_string("v")),
        x509.OtherName(ObjectIdentifier("1.2.3.5"), b"\x04\x01\xff"),
    ]
    san = x509.SubjectAlternativeName(names)
    other_names = san.get_values_for_type(x509.OtherName)
    assert sans_in(extensions(x509.BasicConstraints(ca=False, path_length=None), san)) == SubjectAltNames(
        dns_names=tuple(sorted(set(san.get_values_for_type(x509.DNSName)))),
        ip_addresses=tuple(sorted({str(ip) for ip in san.get_values_for_type(x509.IPAddress)})),
        uris=tuple(san.get_values_for_type(x509.UniformResourceIdentifier)),
        email_addresses=tuple(san.get_values_for_type(x509.RFC822Name)),
        other_names=(
            (other_names[0].type_id.dotted_string, "v"),
            (other_names[1].type_id.dotted_string, "0401ff"),
        ),
    )
    assert sans_in(extensions(san)).dns_names == ("a.example.com", "b.example.com")
    assert sans_in(extensions(x509.BasicConstraints(ca=False, path_length=None))) == SubjectAltNames()


def test_subject_values_are_grouped_in_encoded_order() -> None:
    name = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "B"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "first"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "A")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "last")]),
        ]
    )
    values = subject_values_by_oid(name)
    assert set(values) == {NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME}
    for oid, found in values.items():
        assert found == [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]
    spec = make_spec(common_name="last", subject=X509Subject(organizations=["A", "B"]))
    assert subject_mismatches(name, spec) == []
    assert subject_mismatches(
        name, make_spec(common_name="first", subject=X509Subject(serial_number="7"))
    ) == [
        "commonName: has 'last', spec wants 'first'",
        "subject.organizations: has ['A', 'B'], spec wants []",
        "subject.serialNumber: has [], spec wants '7'",
    ]


@pytest.mark.parametrize(
    ("key", "spec"),
    [
        (rsa.generate_private_key(65537, 2048), KeySpec(PrivateKeyAlgorithm.RSA, 2048)),
        (ec.generate_private_key(ec.SECP521R1()), KeySpec(PrivateKeyAlgorithm.ECDSA, 521)),
        (ed25519.Ed25519PrivateKey.generate(), KeySpec(PrivateKeyAlgorithm.ED25519, None)),
    ],
    ids=["rsa", "ecdsa", "ed25519"],
)
def test_key_spec_of_private_and_public_keys(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, spec: KeySpec
) -> None:
    assert key_spec_of(key) == spec
    assert key_spec_of(supported_public_key(key.public_key())) == spec


def test_registered_key_classes_are_still_recognised() -> None:
    key = RegisteredECPublicKey()
    supported: object = supported_public_key(key)
    assert supported is key
    assert key_spec_of(supported_public_key(key)) == KeySpec(PrivateKeyAlgorithm.ECDSA, 384)


@pytest.mark.parametrize(
    "key",
    [
        ed448.Ed448PrivateKey.generate().public_key(),
        x25519.X25519PrivateKey.generate().public_key(),
        ed25519.Ed25519PrivateKey.generate(),
    ],
    ids=["ed448", "x25519", "private ed25519"],
)
def test_unsupported_public_keys_are_refused(key: object) -> None:
    with pytest.raises(UnsupportedKeyError, match=f"^{type(key).__name__} public keys are not supported"):
        supported_public_key(key)


def test_parsing_checks_the_curve_and_remembers_only_rsa_pems() -> None:
    def pem_of(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    with pytest.raises(UnsupportedKeyError, match=r"^ECDSA curve secp224r1 is not supported"):
        parse_private_key(pem_of(ec.generate_private_key(ec.SECP224R1())))
    # The size of P-256, but not a curve cert-manager accepts: refused by name.
    with pytest.raises(UnsupportedKeyError, match=r"^ECDSA curve secp256k1 is not supported"):
        parse_private_key(pem_of(ec.generate_private_key(ec.SECP256K1())))
    ecdsa_pem, rsa_pem = (
        pem_of(ec.generate_private_key(ec.SECP384R1())),
        pem_of(rsa.generate_private_key(65537, 2048)),
    )
    assert key_spec_of(parse_private_key(ecdsa_pem)) == KeySpec(PrivateKeyAlgorithm.ECDSA, 384)
    assert key_spec_of(parse_private_key(rsa_pem)) == KeySpec(PrivateKeyAlgorithm.RSA, 2048)
    assert CHECKED_RSA_PEMS.was_checked(rsa_pem) and not CHECKED_RSA_PEMS.was_checked(ecdsa_pem)
