"""A manifest spelling an unpaired surrogate (`"\\ud800"` in YAML or JSON) is refused naming the
field. Before, it was stored, and from then on every read of its kind failed to parse: one bad
Certificate made `get certificates` and the daemon's informer fail for all."""

from __future__ import annotations

import pytest

from certpilot.api.loader import ManifestError, load_manifests

CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {name}
  labels: {{tier: "{label}"}}
spec:
  secretName: web-tls
  issuerRef: {{name: ca}}
  dnsNames: ["web.example.com"]
"""


@pytest.mark.parametrize(
    ("name", "label", "field"),
    [("web", "\\ud800", "metadata.labels.tier"), ('"w\\udfffeb"', "front", "metadata.name")],
)
def test_an_unpaired_surrogate_is_refused_naming_the_field(name: str, label: str, field: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests(CERTIFICATE.format(name=name, label=label), "web.yaml")
    message = str(caught.value)
    assert f"{field}: holds an unpaired UTF-16 surrogate" in message
    message.encode("utf-8")  # printable as it is: the refusal never becomes a UnicodeEncodeError


def test_a_json_escape_is_refused_too() -> None:
    text = (
        '{"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "i"},'
        ' "spec": {"ca": {"secretName": "ca\\ud83d"}}}'
    )
    with pytest.raises(ManifestError, match=r"spec\.ca\.secretName: holds an unpaired"):
        load_manifests(text, "issuer.json")
