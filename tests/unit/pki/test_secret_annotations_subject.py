"""Every subject annotation, read in one pass over the subject and the SANs."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID, ObjectIdentifier

from certpilot.api.certificate import X509Subject
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.keys import KeySpec, generate_private_key
from certpilot.pki.secret_annotations import certificate_secret_annotations
from tests.unit.pki.pki_material import issue, make_spec

EC = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)


def test_every_subject_attribute_gets_its_annotation_in_encoded_order() -> None:
    spec = make_spec(
        common_name="app.example.com",
        subject=X509Subject(
            organizations=["B Org", "A Org"],
            countries=["GB"],
            organizational_units=["Platform", "Ops"],
            localities=["London"],
            provinces=["England"],
            street_addresses=["1 High Street"],
            postal_codes=["EC1A 1AA"],
            serial_number="42",
        ),
        email_addresses=["b@example.com", "a@example.com"],
        uris=["spiffe://a/b"],
    )
    annotations = certificate_secret_annotations(issue(spec, generate_private_key(EC)).cert)
    # Compared as item lists: the order is the one the Secret is written with.
    assert list(annotations.items()) == list(
        {
            "cert-manager.io/subject-organizations": "B Org,A Org",
            "cert-manager.io/subject-organizationalunits": "Platform,Ops",
            "cert-manager.io/subject-countries": "GB",
            "cert-manager.io/subject-provinces": "England",
            "cert-manager.io/subject-localities": "London",
            "cert-manager.io/subject-postalcodes": "EC1A 1AA",
            "cert-manager.io/subject-streetaddresses": "1 High Street",
            "cert-manager.io/subject-serialnumber": "42",
            "cert-manager.io/email-sans": "b@example.com,a@example.com",
            "cert-manager.io/common-name": "app.example.com",
            "cert-manager.io/alt-names": "",
            "cert-manager.io/ip-sans": "",
            "cert-manager.io/uri-sans": "spiffe://a/b",
        }.items()
    )


def test_the_last_common_name_is_the_one_annotated() -> None:
    spec = make_spec(literal_subject="CN=first,CN=second,O=Org", dns_names=["x.example.com"])
    annotations = certificate_secret_annotations(issue(spec, generate_private_key(EC)).cert)
    # RFC 4514 writes the last encoded attribute first: "first" is encoded last.
    assert annotations["cert-manager.io/common-name"] == "first"
    assert annotations["cert-manager.io/subject-organizations"] == "Org"


def test_empty_subject_values_and_unlisted_san_types_get_no_annotation() -> None:
    key = generate_private_key(EC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ""),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, ""),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "a,b"),
        ]
    )
    sans = [
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
        x509.DNSName("b.example.com"),
        x509.RegisteredID(ObjectIdentifier("1.2.3")),
        x509.OtherName(ObjectIdentifier("1.2.3.4"), b"\x05\x00"),
        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
        x509.DNSName("a.example.com"),
    ]
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    assert list(certificate_secret_annotations(cert).items()) == [
        ("cert-manager.io/subject-localities", '"a,b"'),
        ("cert-manager.io/common-name", ""),
        ("cert-manager.io/alt-names", "b.example.com,a.example.com"),
        ("cert-manager.io/ip-sans", "10.0.0.1"),
        ("cert-manager.io/uri-sans", ""),
    ]
