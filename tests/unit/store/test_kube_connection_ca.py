"""The CA a kubeconfig trusts the API server with (what inject-apiserver-ca injects): inline
certificate-authority-data, or a certificate-authority file relative to the kubeconfig."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from certpilot.store.kube_connection import KubeConfigError, load_connection

CA = b"-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n"


def kubeconfig(path: Path, cluster: dict[str, str]) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443", **cluster}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_inline_data_and_a_relative_file_give_the_same_ca(tmp_path: Path) -> None:
    inline = kubeconfig(tmp_path / "inline", {"certificate-authority-data": base64.b64encode(CA).decode()})
    (tmp_path / "ca.crt").write_bytes(CA)
    from_file = kubeconfig(tmp_path / "file", {"certificate-authority": "ca.crt"})
    assert load_connection(inline).certificate_authority() == CA
    assert load_connection(from_file).certificate_authority() == CA


def test_no_ca_is_none_and_a_missing_file_names_it(tmp_path: Path) -> None:
    assert load_connection(kubeconfig(tmp_path / "none", {})).certificate_authority() is None
    missing = load_connection(kubeconfig(tmp_path / "missing", {"certificate-authority": "gone.crt"}))
    with pytest.raises(KubeConfigError, match=r"gone\.crt"):
        missing.certificate_authority()
