"""The admission webhook refuses what `certpilot apply` refuses for size: deep nesting and more
subject alternative names than the limit, each with the limit named (docs/security.md)."""

from __future__ import annotations

from typing import Any

from certpilot.server.admission import AdmissionRequest, SignerResource, UserInfo, validate_admission


class NoSigners:
    """No approval is asked in these tests; answering none proves that."""

    async def resource_for(self, group: str, kind: str) -> SignerResource | None:
        return None

    async def may_approve(self, user: UserInfo, signer_name: str) -> bool:
        return False


def _create(obj: dict[str, Any]) -> AdmissionRequest:
    user = UserInfo(username="alice", uid="a-1", groups=(), extra={})
    return AdmissionRequest("req-1", "CREATE", "cert-manager.io", "certificates", "", "prod", obj, None, user)


def _certificate(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "web", "namespace": "prod"},
        "spec": {"secretName": "web-tls", "issuerRef": {"name": "ca"}, **spec},
    }


async def test_deep_nesting_is_refused_naming_the_limit() -> None:
    deep: Any = []
    for _ in range(200):
        deep = [deep]
    certificate = _certificate(dnsNames=["a.example"], extra=deep)
    response = await validate_admission(_create(certificate), NoSigners())
    assert not response.allowed
    assert "MAX_NESTING_DEPTH" in response.message


async def test_ten_thousand_dns_names_are_refused_naming_the_field() -> None:
    names = [f"h{i}.example.com" for i in range(10_000)]
    response = await validate_admission(_create(_certificate(dnsNames=names)), NoSigners())
    assert not response.allowed
    assert "spec.dnsNames" in response.message and "MAX_SUBJECT_ALTERNATIVE_NAMES" in response.message
