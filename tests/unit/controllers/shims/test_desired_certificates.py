"""The shims' pure decisions: which Certificates an Ingress, Gateway or ListenerSet asks for, what
changes in place, what is deleted (cert-manager's certificate-shim behaviour)."""

from __future__ import annotations

from typing import Any

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, PrivateKeyEncoding, RotationPolicy
from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.controllers.shims.bad_config import BadConfig
from certpilot.controllers.shims.desired import (
    certificates_to_delete,
    desired_certificates,
    updated_certificate,
    with_parent_issuer,
)
from certpilot.controllers.shims.issuer_choice import AUTO_CERTIFICATE_ANNOTATIONS, asks_for_certificates
from certpilot.controllers.shims.options import ShimOptions

DEFAULTS = ShimOptions()


def ingress(annotations: dict[str, str], tls: list[dict[str, Any]], **metadata: Any) -> Ingress:
    return Ingress.model_validate(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "web",
                "namespace": "team",
                "uid": "uid-web",
                "annotations": annotations,
                **metadata,
            },
            "spec": {"tls": tls, "rules": [{"host": "a.example.com"}]},
        }
    )


def gateway(annotations: dict[str, str], listeners: list[dict[str, Any]]) -> Gateway:
    return Gateway.model_validate(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "team", "uid": "uid-gw", "annotations": annotations},
            "spec": {"gatewayClassName": "example", "listeners": listeners},
        }
    )


def https(name: str, hostname: str, *secrets: str, **tls: Any) -> dict[str, Any]:
    return {
        "name": name,
        "hostname": hostname,
        "port": 443,
        "protocol": "HTTPS",
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"kind": "Secret", "name": s} for s in secrets],
            **tls,
        },
    }


ISSUER = {"cert-manager.io/issuer": "ca"}


def only(source: Ingress | Gateway | ListenerSet, defaults: ShimOptions = DEFAULTS) -> Certificate:
    [certificate] = desired_certificates(source, defaults).certificates
    return certificate


def test_an_ingress_gets_one_owned_certificate_per_tls_secret_named_after_it() -> None:
    desired = desired_certificates(
        ingress(
            ISSUER,
            [
                {"hosts": ["a.example.com", "10.0.0.1"], "secretName": "a-tls"},
                {"hosts": ["b.example.com"], "secretName": "b-tls"},
            ],
            labels={"app": "web", "applyset.kubernetes.io/part-of": "set"},
        ),
        DEFAULTS,
    )
    assert [c.name for c in desired.certificates] == ["a-tls", "b-tls"]
    first = desired.certificates[0]
    assert first.namespace == "team" and first.spec.secret_name == "a-tls"
    assert first.spec.dns_names == ["a.example.com"] and first.spec.ip_addresses == ["10.0.0.1"]
    assert (first.spec.issuer_ref.name, first.spec.issuer_ref.kind, first.spec.issuer_ref.group) == (
        "ca",
        "Issuer",
        "cert-manager.io",
    )
    assert first.spec.usages == [KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT]
    [owner] = first.metadata.owner_references or []
    assert (owner.kind, owner.name, owner.uid, owner.controller, owner.api_version) == (
        "Ingress",
        "web",
        "uid-web",
        True,
        "networking.k8s.io/v1",
    )
    assert first.metadata.labels == {"app": "web"}, "the applyset label is not copied"


def test_cluster_issuer_and_tls_acme_with_the_default_issuer_flags() -> None:
    clustered = only(
        ingress({"cert-manager.io/cluster-issuer": "le"}, [{"hosts": ["a.x"], "secretName": "s"}])
    )
    assert (clustered.spec.issuer_ref.name, clustered.spec.issuer_ref.kind) == ("le", "ClusterIssuer")
    acme = ingress({"kubernetes.io/tls-acme": "true"}, [{"hosts": ["a.x"], "secretName": "s"}])
    assert asks_for_certificates(acme.metadata.annotations or {}, AUTO_CERTIFICATE_ANNOTATIONS)
    defaults = ShimOptions(
        default_issuer_name="le", default_issuer_kind="ClusterIssuer", default_issuer_group="g.io"
    )
    ref = only(acme, defaults).spec.issuer_ref
    assert (ref.name, ref.kind, ref.group) == ("le", "ClusterIssuer", "g.io")
    with pytest.raises(BadConfig, match="--default-issuer-name"):
        desired_certificates(acme, DEFAULTS)


def test_annotations_that_ask_for_nothing_are_ignored() -> None:
    annotations = {"kubernetes.io/tls-acme": "false", "cert-manager.io/common-name": "x"}
    assert not asks_for_certificates(annotations, AUTO_CERTIFICATE_ANNOTATIONS)
    assert not asks_for_certificates({"kubernetes.io/tls-acme": "true"}, ())  # Gateways: no auto annotation


@pytest.mark.parametrize(
    ("annotations", "named"),
    [
        ({"cert-manager.io/issuer": "a", "cert-manager.io/cluster-issuer": "b"}, "both"),
        ({"cert-manager.io/cluster-issuer": "b", "cert-manager.io/issuer-kind": "X"}, "issuer-kind"),
        ({"cert-manager.io/cluster-issuer": "b", "cert-manager.io/issuer-group": "x.io"}, "issuer-group"),
    ],
)
def test_conflicting_issuer_annotations_are_bad_config(annotations: dict[str, str], named: str) -> None:
    with pytest.raises(BadConfig, match=named):
        desired_certificates(ingress(annotations, [{"hosts": ["a.x"], "secretName": "s"}]), DEFAULTS)


def test_external_issuer_kind_and_group_come_from_their_annotations() -> None:
    annotations = {
        **ISSUER,
        "cert-manager.io/issuer-kind": "AWSPCAIssuer",
        "cert-manager.io/issuer-group": "awspca.io",
    }
    ref = only(ingress(annotations, [{"hosts": ["a.x"], "secretName": "s"}])).spec.issuer_ref
    assert (ref.name, ref.kind, ref.group) == ("ca", "AWSPCAIssuer", "awspca.io")


def test_every_certificate_annotation_reaches_the_spec() -> None:
    annotations = {
        **ISSUER,
        "cert-manager.io/common-name": "a.example.com",
        "cert-manager.io/duration": "2160h",
        "cert-manager.io/renew-before": "360h",
        "cert-manager.io/usages": "digital signature, key encipherment,server auth",
        "cert-manager.io/private-key-algorithm": "ECDSA",
        "cert-manager.io/private-key-size": "384",
        "cert-manager.io/private-key-encoding": "PKCS8",
        "cert-manager.io/private-key-rotation-policy": "Always",
        "cert-manager.io/revision-history-limit": "3",
        "cert-manager.io/subject-organizations": '"Acme, Inc.",Other',
        "cert-manager.io/subject-countries": "DE",
        "cert-manager.io/subject-organizationalunits": "ops",
        "cert-manager.io/subject-provinces": "Berlin",
        "cert-manager.io/subject-localities": "Berlin",
        "cert-manager.io/subject-postalcodes": "10115",
        "cert-manager.io/subject-streetaddresses": "Street 1",
        "cert-manager.io/subject-serialnumber": "42",
        "cert-manager.io/email-sans": "ops@example.com, sec@example.com",
        "cert-manager.io/uri-sans": "spiffe://cluster.local/ns/team/sa/web",
        "cert-manager.io/ip-sans": "192.0.2.7",
        "cert-manager.io/allow-direct-injection": "true",
    }
    spec = only(ingress(annotations, [{"hosts": ["a.example.com"], "secretName": "s"}])).spec
    assert spec.common_name == "a.example.com" and spec.duration == "2160h" and spec.renew_before == "360h"
    assert spec.usages == [KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT, KeyUsage.SERVER_AUTH]
    key = spec.private_key
    assert key is not None
    assert (key.algorithm, key.size, key.encoding, key.rotation_policy) == (
        PrivateKeyAlgorithm.ECDSA,
        384,
        PrivateKeyEncoding.PKCS8,
        RotationPolicy.ALWAYS,
    )
    assert spec.revision_history_limit == 3
    subject = spec.subject
    assert subject is not None
    assert subject.organizations == ["Acme, Inc.", "Other"] and subject.countries == ["DE"]
    assert subject.organizational_units == ["ops"] and subject.provinces == ["Berlin"]
    assert subject.localities == ["Berlin"] and subject.postal_codes == ["10115"]
    assert subject.street_addresses == ["Street 1"] and subject.serial_number == "42"
    assert spec.email_addresses == ["ops@example.com", "sec@example.com"]
    assert spec.uris == ["spiffe://cluster.local/ns/team/sa/web"]
    assert spec.ip_addresses == ["192.0.2.7"]
    assert spec.secret_template is not None
    assert spec.secret_template.annotations == {"cert-manager.io/allow-direct-injection": "true"}


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        ("cert-manager.io/duration", "forever"),
        ("cert-manager.io/duration", "30m"),
        ("cert-manager.io/renew-before", "1m"),
        ("cert-manager.io/usages", "digital signature,teleport"),
        ("cert-manager.io/private-key-algorithm", "DSA"),
        ("cert-manager.io/private-key-size", "1024"),
        ("cert-manager.io/private-key-size", "big"),
        ("cert-manager.io/private-key-encoding", "PEM"),
        ("cert-manager.io/private-key-rotation-policy", "Sometimes"),
        ("cert-manager.io/revision-history-limit", "0"),
        ("cert-manager.io/ip-sans", "10.0.0.300"),
        ("cert-manager.io/email-sans", "Ops <ops@example.com>"),
        ("cert-manager.io/uri-sans", "no-scheme"),
        ("cert-manager.io/common-name", "x" * 65),
        ("cert-manager.io/allow-direct-injection", "yes"),
        ("cert-manager.io/secret-template", '{"labels": {"a": "b"}, "extra": 1}'),
        ("cert-manager.io/secret-template", '{"annotations": {"cert-manager.io/issuer-name": "x"}}'),
    ],
)
def test_an_invalid_annotation_is_bad_config_naming_it(annotation: str, value: str) -> None:
    with pytest.raises(BadConfig) as raised:
        desired_certificates(
            ingress({**ISSUER, annotation: value}, [{"hosts": ["a.x"], "secretName": "s"}]), DEFAULTS
        )
    assert annotation in str(raised.value)


def test_unusable_tls_entries_are_skipped_with_a_reason_and_the_rest_kept() -> None:
    desired = desired_certificates(
        ingress(
            ISSUER, [{"secretName": "no-hosts"}, {"hosts": ["a.x"]}, {"hosts": ["b.x"], "secretName": "ok"}]
        ),
        DEFAULTS,
    )
    assert [c.name for c in desired.certificates] == ["ok"]
    assert desired.skipped == [
        "Skipped spec.tls[0]: hosts required",
        "Skipped spec.tls[1]: secretName required",
    ]


def test_a_secret_name_in_two_tls_entries_is_bad_config() -> None:
    source = ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "s"}, {"hosts": ["b.x"], "secretName": "s"}])
    with pytest.raises(BadConfig, match=r"spec.tls\[0\].secretName.*spec.tls\[1\]"):
        desired_certificates(source, DEFAULTS)


def test_edit_in_place_and_ingress_class_annotations_become_http01_overrides() -> None:
    annotations = {
        **ISSUER,
        "acme.cert-manager.io/http01-edit-in-place": "true",
        "acme.cert-manager.io/http01-ingress-class": "traefik",
        "acme.cert-manager.io/http01-ingress-ingressclassname": "nginx",
    }
    certificate = only(ingress(annotations, [{"hosts": ["a.x"], "secretName": "s"}]))
    assert certificate.metadata.annotations == {
        "acme.cert-manager.io/http01-override-ingress-name": "web",
        "cert-manager.io/issue-temporary-certificate": "true",
        "acme.cert-manager.io/http01-override-ingress-class": "traefik",
        "acme.cert-manager.io/http01-override-ingress-ingressclassname": "nginx",
    }


def test_gateway_tls_listeners_sharing_a_secret_make_one_certificate_with_both_hosts() -> None:
    source = gateway(
        ISSUER,
        [
            https("a", "a.example.com", "shared"),
            https("b", "b.example.com", "shared"),
            https("c", "a.example.com", "shared"),
            {"name": "plain", "hostname": "c.example.com", "port": 80, "protocol": "HTTP"},
            https("pass", "p.example.com", "passthrough", mode="Passthrough"),
        ],
    )
    certificate = only(source)
    assert certificate.name == "shared" and certificate.spec.dns_names == ["a.example.com", "b.example.com"]
    assert certificate.metadata.annotations == {
        "acme.cert-manager.io/http01-parentrefkind": "Gateway",
        "acme.cert-manager.io/http01-parentrefname": "gw",
    }
    [owner] = certificate.metadata.owner_references or []
    assert (owner.kind, owner.api_version, owner.uid) == ("Gateway", "gateway.networking.k8s.io/v1", "uid-gw")


def test_unusable_gateway_listeners_are_skipped_with_reasons() -> None:
    source = gateway(
        ISSUER,
        [
            {"name": "nohost", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": [{"name": "x"}]}},
            {
                "name": "norefs",
                "hostname": "a.x",
                "port": 443,
                "protocol": "TLS",
                "tls": {"mode": "Terminate"},
            },
            https("other-ns", "b.x", "y", certificateRefs=[{"name": "y", "namespace": "elsewhere"}]),
            https(
                "wrong-kind", "c.x", "z", certificateRefs=[{"name": "z", "kind": "ConfigMap", "group": ""}]
            ),
            https("good", "d.x", "good"),
        ],
    )
    desired = desired_certificates(source, DEFAULTS)
    assert [c.name for c in desired.certificates] == ["good"]
    assert len(desired.skipped) == 4
    assert "hostname required" in desired.skipped[0] and "certificateRefs required" in desired.skipped[1]
    assert "cross-namespace" in desired.skipped[2] and "ConfigMap" in desired.skipped[3]


def test_listeners_named_in_ignore_tls_listeners_are_left_alone() -> None:
    source = gateway(
        {**ISSUER, "cert-manager.io/ignore-tls-listeners": "a, b"},
        [https("a", "a.x", "sa"), https("c", "c.x", "sc")],
    )
    assert [c.name for c in desired_certificates(source, DEFAULTS).certificates] == ["sc"]


def listener_set(annotations: dict[str, str]) -> ListenerSet:
    return ListenerSet.model_validate(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "ListenerSet",
            "metadata": {"name": "ls", "namespace": "team", "uid": "uid-ls", "annotations": annotations},
            "spec": {"parentRef": {"name": "gw"}, "listeners": [https("a", "a.x", "ls-tls")]},
        }
    )


def test_a_listener_set_inherits_its_gateways_issuer_unless_it_names_its_own() -> None:
    parent = gateway({"cert-manager.io/cluster-issuer": "le"}, [])
    inherited = only(with_parent_issuer(listener_set({}), parent))
    assert (inherited.spec.issuer_ref.name, inherited.spec.issuer_ref.kind) == ("le", "ClusterIssuer")
    assert (inherited.metadata.annotations or {})[
        "acme.cert-manager.io/http01-parentrefkind"
    ] == "ListenerSet"
    own = only(with_parent_issuer(listener_set(ISSUER), parent))
    assert (own.spec.issuer_ref.name, own.spec.issuer_ref.kind) == ("ca", "Issuer")


def existing_from(desired: Certificate, **changes: Any) -> Certificate:
    """As the API server returns it: a resourceVersion, a status, and maybe someone's edits."""
    stored = Certificate.model_validate({**desired.to_dict(), "status": {"revision": 1}})
    stored.metadata.resource_version = "7"
    return stored.model_copy(update=changes)


def test_an_unchanged_certificate_is_not_updated_and_a_changed_one_is_updated_in_place() -> None:
    source = ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "s"}])
    desired = only(source)
    existing = existing_from(desired)
    assert updated_certificate(existing, desired) is None
    changed = only(
        ingress(
            {**ISSUER, "cert-manager.io/duration": "720h"}, [{"hosts": ["a.x", "b.x"], "secretName": "s"}]
        )
    )
    updated = updated_certificate(existing, changed)
    assert updated is not None
    assert updated.spec.duration == "720h" and updated.spec.dns_names == ["a.x", "b.x"]
    assert updated.metadata.resource_version == "7" and updated.status == existing.status
    assert existing.spec.duration is None, "the existing (cached) object is not changed"


def test_user_annotations_on_the_certificate_are_kept_and_stale_shim_ones_removed() -> None:
    desired = only(ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "s"}]))
    metadata = desired.metadata.model_copy(
        update={"annotations": {"team": "a", "acme.cert-manager.io/http01-override-ingress-class": "old"}}
    )
    updated = updated_certificate(existing_from(desired, metadata=metadata), desired)
    assert updated is not None and updated.metadata.annotations == {"team": "a"}


def test_a_certificate_not_controlled_by_the_source_is_never_taken_over() -> None:
    desired = only(
        ingress({**ISSUER, "cert-manager.io/duration": "720h"}, [{"hosts": ["a.x"], "secretName": "s"}])
    )
    users = existing_from(desired, metadata=desired.metadata.model_copy(update={"owner_references": None}))
    assert updated_certificate(users, desired) is None
    assert certificates_to_delete([users], ingress(ISSUER, [])) == []


def test_certificates_whose_tls_entry_went_away_are_deleted_and_only_those() -> None:
    before = desired_certificates(
        ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "a"}, {"hosts": ["b.x"], "secretName": "b"}]),
        DEFAULTS,
    ).certificates
    after = ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "a"}, {"secretName": "b-was-broken"}])
    assert [c.name for c in certificates_to_delete(before, after)] == ["b"]
    still_named = ingress(ISSUER, [{"hosts": ["a.x"], "secretName": "a"}, {"secretName": "b"}])
    assert certificates_to_delete(before, still_named) == [], (
        "a Secret still named, even by a broken entry, stays"
    )
