"""Bundle parsing, chain ordering, CA split, details; certificate-vs-spec mismatches; annotations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certpilot.api.certificate import OtherName, X509Subject
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm
from certpilot.pki.errors import ChainError, InvalidPEMError
from certpilot.pki.keys import KeySpec, encode_private_key, generate_private_key
from certpilot.pki.match import certificate_mismatches, key_pair_matches
from certpilot.pki.parse import (
    build_chain,
    chain_from_bundle,
    decode_certificate_details,
    encode_certificates,
    parse_certificates,
    split_ca,
)
from certpilot.pki.secret_annotations import certificate_secret_annotations, join_with_csv_escaping
from tests.unit.pki.pki_material import Issued, issue, key_of, make_spec

EC = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)
SPEC = make_spec(
    common_name="app.example.com",
    subject=X509Subject(organizations=["Acme, Inc", "Plain"], countries=["GB"], serial_number="9"),
    dns_names=["app.example.com", "b.example.com", "a.example.com"],
    ip_addresses=["10.0.0.1", "::1"],
    uris=["https://app.example.com/id"],
    email_addresses=["ops@example.com"],
    other_names=[OtherName(oid="1.2.3.4", utf8_value="v")],
    usages=[KeyUsage.DIGITAL_SIGNATURE, KeyUsage.SERVER_AUTH],
    private_key=key_of(PrivateKeyAlgorithm.ECDSA, 256),
)


@pytest.fixture(scope="module")
def leaf(intermediate_ca: Issued) -> Issued:
    return issue(SPEC, generate_private_key(EC), issuer=intermediate_ca)


def test_bundle_parses_in_order(leaf: Issued, intermediate_ca: Issued, root_ca: Issued) -> None:
    bundle = encode_certificates([leaf.cert, intermediate_ca.cert, root_ca.cert])
    assert parse_certificates(b"comment\n" + bundle) == [leaf.cert, intermediate_ca.cert, root_ca.cert]


def test_bundle_errors_name_the_block_and_never_quote_keys(leaf: Issued) -> None:
    with pytest.raises(InvalidPEMError, match="no PEM block"):
        parse_certificates(b"", "tls.crt")
    key_pem = encode_private_key(leaf.key)
    with pytest.raises(InvalidPEMError, match="block 2 is a 'EC PRIVATE KEY'") as caught:
        parse_certificates(leaf.pem + key_pem, "tls.crt")
    assert key_pem.decode().splitlines()[1] not in str(caught.value)
    broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(InvalidPEMError, match=r"block 1 is not a valid X\.509"):
        parse_certificates(broken)


def test_chains_are_ordered_and_split_like_cert_manager(
    leaf: Issued, intermediate_ca: Issued, root_ca: Issued
) -> None:
    chain = build_chain(leaf.cert, [intermediate_ca.cert], [root_ca.cert])
    assert chain == [leaf.cert, intermediate_ca.cert, root_ca.cert]
    assert chain_from_bundle([root_ca.cert, leaf.cert, intermediate_ca.cert]) == chain
    assert split_ca(chain) == ([leaf.cert, intermediate_ca.cert], root_ca.cert)
    assert split_ca([leaf.cert, intermediate_ca.cert]) == (
        [leaf.cert, intermediate_ca.cert],
        intermediate_ca.cert,
    )
    assert split_ca([root_ca.cert]) == ([root_ca.cert], root_ca.cert)


def test_unrelated_certificates_are_chain_errors(leaf: Issued, root_ca: Issued) -> None:
    stranger = issue(make_spec(common_name="stranger", is_ca=True), generate_private_key(EC))
    with pytest.raises(ChainError, match="'CN=stranger' is not part of the chain"):
        build_chain(leaf.cert, [stranger.cert])
    with pytest.raises(ChainError, match="2 unrelated chains"):
        chain_from_bundle([root_ca.cert, stranger.cert])


def test_details_describe_the_certificate(leaf: Issued) -> None:
    details = decode_certificate_details(leaf.cert)
    assert details["subject"] == leaf.cert.subject.rfc4514_string()
    assert details["issuer"] == "CN=certpilot test intermediate"
    assert details["dnsNames"] == ["a.example.com", "app.example.com", "b.example.com"]
    assert details["ipAddresses"] == ["10.0.0.1", "::1"]
    assert details["otherNames"] == ["1.2.3.4=v"]
    assert details["keyAlgorithm"] == "ECDSA" and details["keySize"] == 256
    assert details["keyUsages"] == ["digital signature"] and details["extendedKeyUsages"] == ["server auth"]
    assert details["isCA"] is False
    assert len(str(details["fingerprintSHA256"]).split(":")) == 32
    assert int(str(details["serialNumber"]).replace(":", ""), 16) == leaf.cert.serial_number


def test_issued_certificate_matches_its_spec(leaf: Issued) -> None:
    assert certificate_mismatches(leaf.cert, SPEC) == []
    assert key_pair_matches(leaf.cert, leaf.key)
    assert not key_pair_matches(leaf.cert, generate_private_key(EC))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"common_name": "x"}, "commonName"),
        (
            {"subject": X509Subject(organizations=["Acme, Inc"], countries=["GB"], serial_number="9")},
            "subject.organizations",
        ),
        (
            {"subject": X509Subject(organizations=["Acme, Inc", "Plain"], countries=["GB"])},
            "subject.serialNumber",
        ),
        ({"literal_subject": "CN=app.example.com"}, "literalSubject"),
        ({"dns_names": ["app.example.com"]}, "dnsNames"),
        ({"ip_addresses": ["10.0.0.2"]}, "ipAddresses"),
        ({"uris": None}, "uris"),
        ({"email_addresses": None}, "emailAddresses"),
        ({"other_names": None}, "otherNames"),
        ({"is_ca": True}, "isCA"),
        ({"usages": [KeyUsage.CLIENT_AUTH]}, "usages"),
        ({"private_key": key_of(PrivateKeyAlgorithm.ECDSA, 384)}, "privateKey"),
        ({"private_key": None}, "privateKey"),
    ],
)
def test_each_changed_field_is_a_mismatch(leaf: Issued, change: dict[str, object], field: str) -> None:
    mismatches = certificate_mismatches(leaf.cert, SPEC.model_copy(update=change))
    assert any(mismatch.startswith(field) for mismatch in mismatches), mismatches


def test_usages_chosen_by_the_issuer_are_not_a_mismatch(leaf: Issued) -> None:
    """A public CA adds its own usages; only explicitly requested ones must be present."""
    assert certificate_mismatches(leaf.cert, SPEC.model_copy(update={"usages": None})) == []
    assert certificate_mismatches(leaf.cert, SPEC.model_copy(update={"usages": [KeyUsage.SERVER_AUTH]})) == []


@given(st.permutations(SPEC.dns_names or []), st.permutations(SPEC.ip_addresses or []))
def test_san_order_never_matters(leaf_cert_holder: list[Issued], dns: list[str], ips: list[str]) -> None:
    spec = SPEC.model_copy(update={"dns_names": dns, "ip_addresses": ips})
    assert certificate_mismatches(leaf_cert_holder[0].cert, spec) == []


@pytest.fixture(scope="module")
def leaf_cert_holder(leaf: Issued) -> list[Issued]:
    # hypothesis refuses function-scoped fixtures; a module-scoped holder is safe to reuse.
    return [leaf]


def test_secret_annotations_follow_cert_manager(leaf: Issued) -> None:
    annotations = certificate_secret_annotations(leaf.cert)
    assert annotations == {
        "cert-manager.io/common-name": "app.example.com",
        "cert-manager.io/alt-names": "app.example.com,b.example.com,a.example.com",
        "cert-manager.io/ip-sans": "10.0.0.1,::1",
        "cert-manager.io/uri-sans": "https://app.example.com/id",
        "cert-manager.io/email-sans": "ops@example.com",
        "cert-manager.io/subject-organizations": '"Acme, Inc",Plain',
        "cert-manager.io/subject-countries": "GB",
        "cert-manager.io/subject-serialnumber": "9",
    }


def test_empty_sans_still_get_annotations(root_ca: Issued) -> None:
    annotations = certificate_secret_annotations(root_ca.cert)
    assert annotations["cert-manager.io/alt-names"] == "" and annotations["cert-manager.io/ip-sans"] == ""
    assert "cert-manager.io/email-sans" not in annotations


def test_csv_escaping_matches_go() -> None:
    assert join_with_csv_escaping(["a", 'say "hi"', " lead", "x,y"]) == 'a,"say ""hi"""," lead","x,y"'


def test_expiry_is_reported_by_details(intermediate_ca: Issued) -> None:
    short = issue(
        make_spec(common_name="short"),
        generate_private_key(EC),
        issuer=intermediate_ca,
        duration=timedelta(hours=1),
    )
    assert decode_certificate_details(short.cert)["notAfter"] == short.cert.not_valid_after_utc.isoformat()
