"""Venafi Issuers, their credential Secrets, and the shared IssuerContext for the Venafi tests."""

from __future__ import annotations

from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer, IssuerSpec
from certpilot.api.meta import LocalObjectReference, ObjectMeta, SecretKeySelector
from certpilot.api.venafi_issuer import VenafiCloud, VenafiIssuer, VenafiNGTS, VenafiTPP

NAMESPACE = "default"
TPP_PASSWORD = "tpp-password-never-shown"
CLOUD_API_KEY = "cloud-api-key-never-shown"
NGTS_CLIENT_SECRET = "ngts-client-secret-never-shown"
NGTS_TSG_ID = "1234567890"


def tpp_issuer(url: str, zone: str = "certpilot\\web", ca_bundle_secret: str | None = None) -> Issuer:
    tpp = VenafiTPP(
        url=url,
        credentials_ref=LocalObjectReference(name="tpp-credentials"),
        ca_bundle_secret_ref=SecretKeySelector(name=ca_bundle_secret) if ca_bundle_secret else None,
    )
    return Issuer(
        metadata=ObjectMeta(name="venafi", namespace=NAMESPACE),
        spec=IssuerSpec(venafi=VenafiIssuer(zone=zone, tpp=tpp)),
    )


def cloud_issuer(url: str, zone: str = "certpilot\\web") -> Issuer:
    cloud = VenafiCloud(
        url=url, api_token_secret_ref=SecretKeySelector(name="cloud-credentials", key="api-key")
    )
    return Issuer(
        metadata=ObjectMeta(name="venafi", namespace=NAMESPACE),
        spec=IssuerSpec(venafi=VenafiIssuer(zone=zone, cloud=cloud)),
    )


def credentials_secret(name: str, **data: str) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE))
    for key, value in data.items():
        secret.set_data(key.replace("_", "-"), value.encode())
    return secret


def tpp_credentials() -> Secret:
    return credentials_secret("tpp-credentials", username="certpilot", password=TPP_PASSWORD)


def cloud_credentials() -> Secret:
    return credentials_secret("cloud-credentials", api_key=CLOUD_API_KEY)


def ngts_issuer(url: str, zone: str = "template", tsg_id: str = NGTS_TSG_ID) -> Issuer:
    ngts = VenafiNGTS(
        tsg_id=tsg_id,
        credentials_ref=LocalObjectReference(name="ngts-credentials"),
        url=f"{url}/ngts",
        token_endpoint=f"{url}/oauth2/access_token",
    )
    return Issuer(
        metadata=ObjectMeta(name="venafi", namespace=NAMESPACE),
        spec=IssuerSpec(venafi=VenafiIssuer(zone=zone, ngts=ngts)),
    )


def ngts_credentials() -> Secret:
    return credentials_secret("ngts-credentials", client_id="certpilot", client_secret=NGTS_CLIENT_SECRET)
