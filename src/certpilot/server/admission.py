"""cert-manager's admission webhook as pure functions over AdmissionReview v1 (admission.k8s.io/v1).

Validation runs the same code as `certpilot apply` (`load_document`, then `validate_update` for an
UPDATE), so the apiserver refuses a manifest with the message `certpilot apply` prints for it. On
top of that come the rules only an admission webhook can enforce, as cert-manager's do: a
CertificateRequest records who created it (mutation sets spec.username/uid/groups/extra, validation
checks them), and only a user allowed to `approve` the issuer's `signers` resource may set the
Approved or Denied condition. The authorization question goes to an injected `SignerAccess`, so
this module does no I/O.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from certpilot.api import defaults, registry
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import APPROVED, DENIED
from certpilot.api.crd import CERT_MANAGER_GROUPS
from certpilot.api.field_error import FieldError
from certpilot.api.loader import ManifestError, load_document
from certpilot.api.manifest_limits import LimitExceeded, check_document_size
from certpilot.api.meta import Resource
from certpilot.api.validation import validate_update

ADMISSION_API_VERSION = "admission.k8s.io/v1"
SIGNERS_GROUP = "cert-manager.io"
_SOURCE = "admission"


class InvalidReview(ValueError):
    """The request body is not an AdmissionReview v1 with a request."""


@dataclass(frozen=True)
class UserInfo:
    """The requesting user as the apiserver authenticated them."""

    username: str = ""
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SignerResource:
    """The API resource an issuerRef names: `issuers` in cert-manager.io, namespaced..."""

    plural: str
    group: str
    namespaced: bool


class SignerAccess(Protocol):
    """What the approval rule needs from the cluster (a SubjectAccessReview and API discovery)."""

    async def resource_for(self, group: str, kind: str) -> SignerResource | None:
        """The resource serving `kind` in `group`, or None when the cluster has no such kind."""
        ...

    async def may_approve(self, user: UserInfo, signer_name: str) -> bool:
        """Whether `user` is allowed verb `approve` on `signers.cert-manager.io` named signer_name."""
        ...


@dataclass(frozen=True)
class AdmissionRequest:
    uid: str
    operation: str  # CREATE | UPDATE | DELETE | CONNECT
    group: str  # of the resource
    resource: str  # plural, e.g. certificaterequests
    sub_resource: str  # "" or "status"
    namespace: str
    object: dict[str, Any] | None
    old_object: dict[str, Any] | None
    user: UserInfo
    dry_run: bool = False


@dataclass(frozen=True)
class AdmissionResponse:
    uid: str
    allowed: bool
    message: str = ""
    code: int = 200
    patch: tuple[dict[str, Any], ...] = ()

    def to_review(self) -> dict[str, Any]:
        """The AdmissionReview body the apiserver expects back."""
        response: dict[str, Any] = {"uid": self.uid, "allowed": self.allowed}
        if not self.allowed:
            response["status"] = {"code": self.code, "message": self.message, "reason": _REASONS[self.code]}
        if self.patch:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(list(self.patch)).encode()).decode("ascii")
        return {"apiVersion": ADMISSION_API_VERSION, "kind": "AdmissionReview", "response": response}


_REASONS = {200: "", 400: "BadRequest", 403: "Forbidden", 422: "Invalid", 500: "InternalError"}


def parse_review(body: Any) -> AdmissionRequest:
    """The request inside an AdmissionReview v1 body; InvalidReview names what is missing."""
    if not isinstance(body, dict) or body.get("apiVersion") != ADMISSION_API_VERSION:
        raise InvalidReview(f"expected an AdmissionReview with apiVersion {ADMISSION_API_VERSION}")
    request = body.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("uid"), str):
        raise InvalidReview("request.uid: required field is missing")
    resource = request.get("resource") or {}
    user = request.get("userInfo") or {}
    extra = user.get("extra") or {}
    return AdmissionRequest(
        uid=request["uid"],
        operation=str(request.get("operation", "")),
        group=str(resource.get("group", "")),
        resource=str(resource.get("resource", "")),
        sub_resource=str(request.get("subResource") or ""),
        namespace=str(request.get("namespace") or ""),
        object=request.get("object"),
        old_object=request.get("oldObject"),
        user=UserInfo(
            username=str(user.get("username", "")),
            uid=str(user.get("uid", "")),
            groups=tuple(user.get("groups") or ()),
            extra={str(k): tuple(v or ()) for k, v in extra.items()},
        ),
        dry_run=bool(request.get("dryRun", False)),
    )


def is_ours(request: AdmissionRequest) -> bool:
    return request.group in CERT_MANAGER_GROUPS


# Validation


async def validate_admission(request: AdmissionRequest, access: SignerAccess) -> AdmissionResponse:
    """Allow or refuse a CREATE or UPDATE of a cert-manager object, as cert-manager's webhook does."""
    if not is_ours(request) or request.operation not in ("CREATE", "UPDATE") or request.object is None:
        return AdmissionResponse(request.uid, allowed=True)
    document = _with_request_namespace(request.object, request.namespace)
    try:
        check_document_size(document)
    except LimitExceeded as error:
        return _refused(request, [FieldError("", str(error))])
    try:
        new = load_document(document, _SOURCE, 1)
    except ManifestError as error:
        return _refused(request, error.errors)
    errors: list[FieldError] = []
    old = _parse_old(request)
    if request.operation == "UPDATE":
        if old is not None:
            errors.extend(validate_update(old, new))
        elif isinstance(request.old_object, dict):
            errors.extend(unparsed_update_errors(request.old_object, request.object))
    if isinstance(new, CertificateRequest):
        errors.extend(identity_errors(request, new))
    if errors:
        return _refused(request, errors)
    if (
        isinstance(new, CertificateRequest)
        and request.operation == "UPDATE"
        and request.sub_resource == "status"
        and approval_conditions_appeared(request.old_object, request.object)
    ):
        refusal = await _approval_refusal(request, new, access)
        if refusal is not None:
            return refusal
    return AdmissionResponse(request.uid, allowed=True)


def refusal_message(errors: Sequence[FieldError]) -> str:
    """Every problem, `path: message`, joined as `certpilot apply` joins them."""
    return "; ".join(str(error) for error in errors)


def _refused(request: AdmissionRequest, errors: Sequence[FieldError]) -> AdmissionResponse:
    return AdmissionResponse(request.uid, allowed=False, message=refusal_message(errors), code=422)


def _with_request_namespace(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The object with the namespace the apiserver filled in (a manifest may leave it out)."""
    metadata = obj.get("metadata")
    if not namespace or not isinstance(metadata, dict) or metadata.get("namespace"):
        return obj
    return {**obj, "metadata": {**metadata, "namespace": namespace}}


def _parse_old(request: AdmissionRequest) -> Resource | None:
    """The stored object as a model, or None when it no longer parses (it was written before the
    webhook, or by cert-manager with a field certpilot lacks)."""
    old = request.old_object
    if not isinstance(old, dict):
        return None
    try:
        model = registry.model_for(str(old.get("apiVersion")), str(old.get("kind")))
        return model.model_validate(old)
    except (registry.UnknownKind, ValidationError):
        return None


_IMMUTABLE_SPEC_KINDS = ("CertificateRequest", "Order", "Challenge")


def unparsed_update_errors(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[FieldError]:
    """validate_update's rules for a stored object that no longer parses, compared as JSON, so
    such an object is no way around them."""
    kind = old.get("kind")
    if kind in _IMMUTABLE_SPEC_KINDS:
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        for key in sorted(set(old_spec) | set(new_spec)):
            if old_spec.get(key) != new_spec.get(key):
                yield FieldError(f"spec.{key}", f"{kind} spec is immutable once created")
    if kind == CertificateRequest.KIND:
        for condition in (APPROVED, DENIED):
            before, after = _raw_condition(old, condition), _raw_condition(new, condition)
            if before is not None and (after is None or after.get("status") != before.get("status")):
                yield FieldError(
                    f"status.conditions[{condition}]",
                    f"the {condition} condition is final and may not be changed",
                )


def _raw_condition(obj: Mapping[str, Any] | None, kind: str) -> Mapping[str, Any] | None:
    status = (obj or {}).get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    for condition in conditions if isinstance(conditions, list) else ():
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return None


def identity_errors(request: AdmissionRequest, new: CertificateRequest) -> Iterator[FieldError]:
    """On CREATE the recorded identity must be the requester's (the mutating webhook set it);
    afterwards it may never change (the immutable spec already covers an UPDATE)."""
    if request.operation != "CREATE":
        return
    spec, user = new.spec, request.user
    if (spec.uid or "") != user.uid:
        yield FieldError("spec.uid", "uid identity must be that of the requester")
    if (spec.username or "") != user.username:
        yield FieldError("spec.username", "username identity must be that of the requester")
    if sorted(spec.groups or ()) != sorted(user.groups):
        yield FieldError("spec.groups", "groups identity must be that of the requester")
    extra = {key: sorted(values) for key, values in (spec.extra or {}).items()}
    if extra != {key: sorted(values) for key, values in user.extra.items()}:
        yield FieldError("spec.extra", "extra identity must be that of the requester")


def approval_conditions_appeared(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """True when the update adds an Approved or Denied condition (changing one is refused by
    validate_update: approvals are final). Read from the JSON, so a stored object that no longer
    parses is no way around the permission check."""
    return any(
        _raw_condition(old, kind) is None and _raw_condition(new, kind) is not None
        for kind in (APPROVED, DENIED)
    )


def signer_names(resource: SignerResource, issuer_name: str, namespace: str) -> list[str]:
    """The `signers` resource names whose `approve` permission covers this issuer: every issuer of
    the resource (`issuers.cert-manager.io/*`), or this one (`.../<namespace>.<name>`, or `.../<name>`
    for a cluster-scoped issuer)."""
    prefix = f"{resource.plural}.{resource.group}"
    own = f"{namespace}.{issuer_name}" if resource.namespaced else issuer_name
    return [f"{prefix}/*", f"{prefix}/{own}"]


async def _approval_refusal(
    request: AdmissionRequest, cr: CertificateRequest, access: SignerAccess
) -> AdmissionResponse | None:
    ref = cr.spec.issuer_ref
    group, kind = defaults.issuer_group(ref), defaults.issuer_kind(ref)
    described = f"{kind}.{group}/{ref.name}"
    resource = await access.resource_for(group, kind)
    if resource is None:
        message = f"spec.issuerRef: referenced signer resource does not exist: {described}"
        return AdmissionResponse(request.uid, allowed=False, message=message, code=403)
    for name in signer_names(resource, ref.name, cr.namespace or ""):
        if await access.may_approve(request.user, name):
            return None
    message = (
        f"status.conditions: user {request.user.username!r} does not have permissions to set "
        f"approved/denied conditions for issuer {described}"
    )
    return AdmissionResponse(request.uid, allowed=False, message=message, code=403)


# Mutation


def mutate_admission(request: AdmissionRequest) -> AdmissionResponse:
    """Defaults as cert-manager's: an unset issuerRef kind/group of a Certificate or
    CertificateRequest is written out, and a new CertificateRequest records its requester."""
    if not is_ours(request) or request.operation not in ("CREATE", "UPDATE") or request.sub_resource:
        return AdmissionResponse(request.uid, allowed=True)
    obj = request.object
    if not isinstance(obj, dict) or not isinstance(obj.get("spec"), dict):
        return AdmissionResponse(request.uid, allowed=True)
    patch = [*issuer_ref_defaults(obj)]
    if request.operation == "CREATE" and obj.get("kind") == CertificateRequest.KIND:
        patch.extend(requester_identity(obj["spec"], request.user))
    return AdmissionResponse(request.uid, allowed=True, patch=tuple(patch))


def issuer_ref_defaults(obj: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """JSONPatch operations that write out the defaulted issuerRef.kind and issuerRef.group."""
    if obj.get("kind") not in ("Certificate", CertificateRequest.KIND):
        return
    ref = obj["spec"].get("issuerRef")
    if not isinstance(ref, dict):
        return
    if not ref.get("kind"):
        yield {"op": "add", "path": "/spec/issuerRef/kind", "value": defaults.DEFAULT_ISSUER_KIND}
    if not ref.get("group"):
        yield {"op": "add", "path": "/spec/issuerRef/group", "value": defaults.DEFAULT_ISSUER_GROUP}


def requester_identity(spec: Mapping[str, Any], user: UserInfo) -> Iterator[dict[str, Any]]:
    """JSONPatch operations that record who creates a CertificateRequest, replacing whatever the
    manifest claimed."""
    yield {"op": "add", "path": "/spec/username", "value": user.username}
    yield {"op": "add", "path": "/spec/uid", "value": user.uid}
    yield {"op": "add", "path": "/spec/groups", "value": list(user.groups)}
    if "extra" in spec:
        yield {"op": "remove", "path": "/spec/extra"}
    if user.extra:
        yield {"op": "add", "path": "/spec/extra", "value": {k: list(v) for k, v in user.extra.items()}}
