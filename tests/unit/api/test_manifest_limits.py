"""Manifests beyond the documented limits (docs/security.md) are refused with an error naming the
limit, quickly and without exhausting memory or the stack: YAML bombs, deep nesting, huge files,
10,000 dnsNames."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from certpilot.api.loader import ManifestError, load_manifests, load_path
from certpilot.api.manifest_limits import MAX_MANIFEST_BYTES

# A valid ACME Issuer whose free-form webhook `config` stands for 9**9 strings: it would pass
# validation, and writing it to the store would expand it in memory.
BILLION_LAUGHS = "\n".join(
    [
        "apiVersion: cert-manager.io/v1",
        "kind: Issuer",
        "metadata: {name: lol}",
        "spec:",
        "  acme:",
        "    server: https://acme.example.com/directory",
        "    privateKeySecretRef: {name: account}",
        "    solvers:",
        "    - dns01:",
        "        webhook:",
        "          groupName: acme.example.com",
        "          solverName: lol",
        "          config:",
        '            a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"            {chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]"
            for i in range(8)
        ),
    ]
)


def _refusal(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, "bomb.yaml")
    return str(caught.value)


def test_billion_laughs_is_refused_by_its_expanded_size() -> None:
    assert "MAX_DOCUMENT_VALUES" in _refusal(BILLION_LAUGHS)


def test_one_long_string_aliased_many_times_is_refused_by_its_expanded_text() -> None:
    text = f"kind: Certificate\nbig: &s {'x' * 100_000}\nmany: [{','.join(['*s'] * 200)}]\n"
    assert "MAX_DOCUMENT_TEXT" in _refusal(text)


def test_a_document_that_contains_itself_is_refused() -> None:
    assert "MAX_NESTING_DEPTH" in _refusal("kind: Certificate\nloop: &a [*a]\n")


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_yaml_nesting_is_refused(depth: int) -> None:
    assert "MAX_NESTING_DEPTH" in _refusal("kind: Certificate\ndeep: " + "[" * depth + "]" * depth)


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_json_nesting_is_refused(depth: int) -> None:
    text = '{"kind": "Certificate", "deep": ' + "[" * depth + "]" * depth + "}"
    assert "MAX_NESTING_DEPTH" in _refusal(text)


def test_nesting_within_the_limit_still_loads_to_field_errors() -> None:
    """The limits stop nothing a real manifest needs: a 20-deep value is judged as a field."""
    refusal = _refusal(
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: x}\nspec: " + "[" * 20 + "]" * 20
    )
    assert "spec" in refusal and "MAX_" not in refusal


def test_a_50_megabyte_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written, none read
    with pytest.raises(ManifestError) as caught:
        load_path(path)
    assert f"the limit is {MAX_MANIFEST_BYTES} bytes (MAX_MANIFEST_BYTES)" in str(caught.value)


def test_a_50_megabyte_standard_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("#" * (50 * 1024 * 1024)))
    with pytest.raises(ManifestError) as caught:
        load_path("-")
    assert "MAX_MANIFEST_BYTES" in str(caught.value)


def test_ten_thousand_dns_names_are_refused_naming_the_field_and_limit() -> None:
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "many"},
        "spec": {
            "secretName": "many-tls",
            "issuerRef": {"name": "ca"},
            "dnsNames": [f"host{i}.example.com" for i in range(10_000)],
        },
    }
    refusal = _refusal(json.dumps(certificate))
    assert "spec.dnsNames: 10000 subject alternative names" in refusal
    assert "MAX_SUBJECT_ALTERNATIVE_NAMES" in refusal
    assert "\n" not in refusal
