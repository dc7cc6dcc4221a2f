"""Equal parts of cached objects are held once, and nothing a reader does to a copy reaches them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from certpilot.api.certificate import (
    Certificate,
    CertificateKeystores,
    CertificatePrivateKey,
    CertificateStatus,
    JKSKeystore,
    PKCS12Keystore,
)
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.meta import Condition, SecretKeySelector
from certpilot.runtime.memory.shared_parts import SharedParts
from certpilot.testing.builders import certificate, secret_tls


def stored(cert: Certificate) -> Certificate:
    """As the store hands objects out: parsed from their JSON."""
    return Certificate.model_validate_json(json.dumps(cert.to_dict()))


def ready(name: str, at: datetime) -> Certificate:
    cert = certificate(name, private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256))
    cert.status = CertificateStatus(
        conditions=[Condition(type="Ready", status="True", reason="Ready", last_transition_time=at)]
    )
    return stored(cert)


def two_shared() -> tuple[Certificate, Certificate]:
    parts = SharedParts()
    first, second = ready("a", datetime(2026, 1, 1, tzinfo=UTC)), ready("b", datetime(2026, 1, 2, tzinfo=UTC))
    parts.share(first)
    parts.share(second)
    return first, second


def test_equal_small_structs_and_fields_sets_are_shared_between_objects() -> None:
    first, second = two_shared()
    assert second.spec.issuer_ref is first.spec.issuer_ref
    assert second.spec.private_key is first.spec.private_key
    assert second.__pydantic_fields_set__ is first.__pydantic_fields_set__
    assert second.metadata.__pydantic_fields_set__ is first.metadata.__pydantic_fields_set__
    assert second.spec.__pydantic_fields_set__ is first.spec.__pydantic_fields_set__


def test_structs_holding_times_or_lists_stay_their_own() -> None:
    first, second = two_shared()
    assert first.status is not None and second.status is not None
    assert first.status.conditions is not None and second.status.conditions is not None
    assert second.status.conditions[0] is not first.status.conditions[0]
    assert second.status.conditions[0].last_transition_time == datetime(2026, 1, 2, tzinfo=UTC)
    assert second.spec.dns_names == ["b.example.com"]


def test_sharing_changes_neither_value_nor_serialization() -> None:
    originals = [ready(name, datetime(2026, 1, 1, tzinfo=UTC)) for name in ("a", "b", "c")]
    shared = [stored(cert) for cert in originals]
    parts = SharedParts()
    for cert in shared:
        parts.share(cert)
    for before, after in zip(originals, shared, strict=True):
        assert after == before
        assert after.model_dump_json(by_alias=True) == before.model_dump_json(by_alias=True)
        assert after.model_dump(exclude_unset=True) == before.model_dump(exclude_unset=True)


def test_a_deep_copy_of_a_shared_object_is_independent() -> None:
    first, second = two_shared()
    changed = second.model_copy(deep=True)
    changed.spec.issuer_ref.name = "other"
    changed.spec.issuer_ref.group = "example.com"  # a field the shared struct never set
    changed.metadata.labels = {"new": "label"}
    assert first.spec.issuer_ref.name == second.spec.issuer_ref.name == "ca"
    assert "group" not in first.spec.issuer_ref.model_fields_set
    assert "labels" not in first.metadata.model_fields_set
    assert "labels" not in second.metadata.model_fields_set
    assert first.metadata.labels is None


def test_a_shallow_copy_gets_its_own_fields_set() -> None:
    first, second = two_shared()
    changed = second.model_copy()
    changed.status = None
    changed.spec = changed.spec.model_copy(update={"common_name": "x"})
    assert "common_name" not in first.spec.model_fields_set
    assert first.spec.common_name is None


def test_one_object_never_holds_one_shared_struct_twice() -> None:
    """Else a deep copy would alias the two fields: changing one would change the other."""
    ref = {"name": "passwords", "key": "jks"}
    parts = SharedParts()
    objects = []
    for name in ("a", "b"):
        cert = certificate(
            name,
            keystores=CertificateKeystores(
                jks=JKSKeystore(create=True, password_secret_ref=SecretKeySelector(**ref)),
                pkcs12=PKCS12Keystore(create=True, password_secret_ref=SecretKeySelector(**ref)),
            ),
        )
        objects.append(stored(cert))
        parts.share(objects[-1])
    keystores = [c.spec.keystores for c in objects]
    assert all(k is not None and k.jks is not None and k.pkcs12 is not None for k in keystores)
    first, second = keystores[0], keystores[1]
    assert first is not None and second is not None and first.jks and first.pkcs12
    assert second.jks and second.pkcs12
    assert first.jks.password_secret_ref is not first.pkcs12.password_secret_ref
    assert second.jks.password_secret_ref is first.jks.password_secret_ref
    copied = objects[1].model_copy(deep=True)
    assert copied.spec.keystores and copied.spec.keystores.jks and copied.spec.keystores.pkcs12
    assert copied.spec.keystores.jks.password_secret_ref is not None
    copied.spec.keystores.jks.password_secret_ref.key = "changed"
    assert copied.spec.keystores.pkcs12.password_secret_ref == SecretKeySelector(**ref)


def test_values_past_the_bound_are_kept_but_not_shared() -> None:
    parts = SharedParts(max_distinct=2)
    certs = [stored(certificate(f"c{i}", issuer=f"issuer-{i % 4}")) for i in range(8)]
    for cert in certs:
        parts.share(cert)
    assert [c.spec.issuer_ref.name for c in certs] == [f"issuer-{i % 4}" for i in range(8)]
    assert certs[4].spec.issuer_ref is certs[0].spec.issuer_ref
    assert certs[5].spec.issuer_ref is certs[1].spec.issuer_ref
    assert certs[6].spec.issuer_ref is not certs[2].spec.issuer_ref


def test_the_ca_certificate_of_secrets_is_shared_and_nothing_secret_is() -> None:
    def tls_secret(name: str) -> Secret:
        made = secret_tls(name, "default", cert_pem=b"leaf " * 40, key_pem=b"key " * 40, ca_pem=b"ca " * 300)
        return Secret.model_validate_json(json.dumps(made.to_dict()))

    parts = SharedParts()
    first, second = tls_secret("a"), tls_secret("b")
    parts.share(first)
    parts.share(second)
    assert first.data is not None and second.data is not None
    assert second.data["ca.crt"] is first.data["ca.crt"]
    assert second.data["tls.key"] == first.data["tls.key"]
    assert second.data["tls.key"] is not first.data["tls.key"]
    assert second.get_data("ca.crt") == b"ca " * 300


def test_a_shared_struct_no_object_holds_is_forgotten_and_one_still_held_is_kept() -> None:
    parts = SharedParts()
    kept, deleted = stored(certificate("kept", issuer="ca")), stored(certificate("gone", issuer="other"))
    parts.share(kept)
    parts.share(deleted)
    del deleted
    parts.forget_unused()
    assert len(parts._structs[type(kept.spec.issuer_ref)]) == 1, "the deleted one's issuerRef went"
    again = stored(certificate("again", issuer="ca"))
    parts.share(again)
    assert again.spec.issuer_ref is kept.spec.issuer_ref, "the held one is still shared"
    newcomer = stored(certificate("newcomer", issuer="other"))
    parts.share(newcomer)
    assert len(parts._structs[type(kept.spec.issuer_ref)]) == 2
    parts.forget_unused()
    assert len(parts._structs[type(kept.spec.issuer_ref)]) == 2, "both are held by a live object"
