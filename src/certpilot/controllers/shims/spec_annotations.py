"""The Certificate fields a source object's annotations set (cert-manager's translateAnnotations):
`cert-manager.io/common-name: example.com` -> spec.commonName, and so on. Every value is checked
here, so a mistake is reported naming its annotation rather than a Certificate field."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from certpilot.api import annotations as keys
from certpilot.api import checks
from certpilot.api.certificate import (
    CertificatePrivateKey,
    CertificateSecretTemplate,
    CertificateSpec,
    X509Subject,
)
from certpilot.api.duration import InvalidDuration, parse_duration
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, PrivateKeyEncoding, RotationPolicy
from certpilot.api.validate_certificate import (
    ECDSA_SIZES,
    MAX_COMMON_NAME_LENGTH,
    MIN_DURATION,
    MIN_RENEW_BEFORE,
    RSA_SIZES,
)
from certpilot.controllers.shims.bad_config import BadConfig

E = TypeVar("E", bound=StrEnum)

# Annotation -> X509Subject field; each value is a comma-separated list, quoted as CSV when a value
# holds a comma ("Acme, Inc.",Other).
SUBJECT_LISTS = {
    keys.SUBJECT_ORGANIZATIONS: "organizations",
    keys.SUBJECT_ORGANIZATIONAL_UNITS: "organizational_units",
    keys.SUBJECT_COUNTRIES: "countries",
    keys.SUBJECT_PROVINCES: "provinces",
    keys.SUBJECT_LOCALITIES: "localities",
    keys.SUBJECT_POSTAL_CODES: "postal_codes",
    keys.SUBJECT_STREET_ADDRESSES: "street_addresses",
}


def spec_with_annotations(spec: CertificateSpec, annotations: Mapping[str, str]) -> CertificateSpec:
    """A copy of spec with what the annotations ask for; BadConfig names the first bad one."""
    changes: dict[str, Any] = {}
    if (common_name := annotations.get(keys.INGRESS_COMMON_NAME)) is not None:
        if len(common_name) > MAX_COMMON_NAME_LENGTH:
            raise _bad(keys.INGRESS_COMMON_NAME, f"may not be longer than {MAX_COMMON_NAME_LENGTH} bytes")
        changes["common_name"] = common_name
    if extra := _items(annotations.get(keys.ALT_NAMES)):
        changes["dns_names"] = [*(spec.dns_names or ()), *extra]
    if extra := _checked_items(annotations, keys.IP_SANS, checks.ip_address_problem):
        changes["ip_addresses"] = [*(spec.ip_addresses or ()), *extra]
    if uris := _checked_items(annotations, keys.URI_SANS, checks.absolute_uri_problem):
        changes["uris"] = uris
    if emails := _checked_items(annotations, keys.INGRESS_EMAIL_SANS, checks.email_problem):
        changes["email_addresses"] = emails
    if (subject := _subject(annotations)) is not None:
        changes["subject"] = subject
    if (duration := annotations.get(keys.INGRESS_DURATION)) is not None:
        _check_duration(keys.INGRESS_DURATION, duration, MIN_DURATION)
        changes["duration"] = duration
    if (renew_before := annotations.get(keys.INGRESS_RENEW_BEFORE)) is not None:
        _check_duration(keys.INGRESS_RENEW_BEFORE, renew_before, MIN_RENEW_BEFORE)
        changes["renew_before"] = renew_before
    if (percentage := annotations.get(keys.INGRESS_RENEW_BEFORE_PERCENTAGE)) is not None:
        changes["renew_before_percentage"] = _integer(keys.INGRESS_RENEW_BEFORE_PERCENTAGE, percentage)
    if (usages := annotations.get(keys.INGRESS_USAGES)) is not None:
        changes["usages"] = [_member(KeyUsage, keys.INGRESS_USAGES, u.strip()) for u in usages.split(",")]
    if (limit := annotations.get(keys.INGRESS_REVISION_HISTORY_LIMIT)) is not None:
        if _integer(keys.INGRESS_REVISION_HISTORY_LIMIT, limit) < 1:
            raise _bad(keys.INGRESS_REVISION_HISTORY_LIMIT, f"must be 1 or more, got {limit!r}")
        changes["revision_history_limit"] = int(limit)
    if (private_key := _private_key(annotations)) is not None:
        changes["private_key"] = private_key
    if (template := _secret_template(annotations)) is not None:
        changes["secret_template"] = template
    return spec.model_copy(update=changes)


def _bad(annotation: str, problem: str) -> BadConfig:
    return BadConfig(f"annotation {annotation}: {problem}")


def _items(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _checked_items(
    annotations: Mapping[str, str], annotation: str, problem_of: Callable[[str], str | None]
) -> list[str]:
    items = _items(annotations.get(annotation))
    for item in items:
        if problem := problem_of(item):
            raise _bad(annotation, problem)
    return items


def _csv_list(annotation: str, value: str) -> list[str]:
    try:
        return next(csv.reader([value]), [])
    except csv.Error as error:
        raise _bad(annotation, f"not a comma-separated list: {error}") from None


def _subject(annotations: Mapping[str, str]) -> X509Subject | None:
    fields: dict[str, Any] = {
        field: _csv_list(annotation, annotations[annotation])
        for annotation, field in SUBJECT_LISTS.items()
        if annotation in annotations
    }
    if (serial_number := annotations.get(keys.SUBJECT_SERIAL_NUMBER)) is not None:
        fields["serial_number"] = serial_number
    return X509Subject(**fields) if fields else None


def _check_duration(annotation: str, value: str, minimum: timedelta) -> None:
    try:
        parsed = parse_duration(value)
    except InvalidDuration as error:
        raise _bad(annotation, str(error)) from None
    if parsed < minimum:
        raise _bad(annotation, f"{value!r} is shorter than the minimum, {minimum}")


def _integer(annotation: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise _bad(annotation, f"{value!r} is not a whole number") from None


def _member(enum: type[E], annotation: str, value: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(member) for member in enum)
        raise _bad(annotation, f"{value!r} is not one of: {allowed}") from None


def _private_key(annotations: Mapping[str, str]) -> CertificatePrivateKey | None:
    key = CertificatePrivateKey()
    if (algorithm := annotations.get(keys.INGRESS_PRIVATE_KEY_ALGORITHM)) is not None:
        key.algorithm = _member(PrivateKeyAlgorithm, keys.INGRESS_PRIVATE_KEY_ALGORITHM, algorithm)
    if (encoding := annotations.get(keys.INGRESS_PRIVATE_KEY_ENCODING)) is not None:
        key.encoding = _member(PrivateKeyEncoding, keys.INGRESS_PRIVATE_KEY_ENCODING, encoding)
    if (size := annotations.get(keys.INGRESS_PRIVATE_KEY_SIZE)) is not None:
        key.size = _integer(keys.INGRESS_PRIVATE_KEY_SIZE, size)
        algorithm_for_size = key.algorithm or PrivateKeyAlgorithm.RSA
        allowed = {PrivateKeyAlgorithm.RSA: RSA_SIZES, PrivateKeyAlgorithm.ECDSA: ECDSA_SIZES}.get(
            algorithm_for_size
        )
        if allowed is not None and key.size not in allowed:
            raise _bad(
                keys.INGRESS_PRIVATE_KEY_SIZE, f"{size!r} is not a valid {algorithm_for_size} key size"
            )
    if (policy := annotations.get(keys.INGRESS_PRIVATE_KEY_ROTATION_POLICY)) is not None:
        key.rotation_policy = _member(RotationPolicy, keys.INGRESS_PRIVATE_KEY_ROTATION_POLICY, policy)
    return key if key != CertificatePrivateKey() else None


def _secret_template(annotations: Mapping[str, str]) -> CertificateSecretTemplate | None:
    template = CertificateSecretTemplate()
    if (text := annotations.get(keys.INGRESS_SECRET_TEMPLATE)) is not None:
        try:
            template = CertificateSecretTemplate.model_validate_json(text)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(the value)"
            raise _bad(
                keys.INGRESS_SECRET_TEMPLATE, f"not a secretTemplate: {where}: {first['msg']}"
            ) from None
        for key in template.annotations or {}:
            if keys.is_reserved(key):
                raise _bad(
                    keys.INGRESS_SECRET_TEMPLATE,
                    f"may not set {key}: cert-manager.io/ annotations are reserved",
                )
    if (allow := annotations.get(keys.ALLOW_DIRECT_INJECTION)) is not None:
        if allow not in ("true", "false"):
            raise _bad(keys.ALLOW_DIRECT_INJECTION, f"{allow!r} is neither true nor false")
        template = template.model_copy(
            update={"annotations": {**(template.annotations or {}), keys.ALLOW_DIRECT_INJECTION: allow}}
        )
    return template if template.labels or template.annotations else None
