"""Equal parts of cached objects, held once.

At 10,000 Certificates most of the cache's memory is not the data but pydantic's bookkeeping:
every model instance has its own `__pydantic_fields_set__` (728 bytes once it names five fields
or more) and its own copy of small nested structs that are the same in every object
(`issuerRef: {name: ca}`, `privateKey: {algorithm: ECDSA, size: 256}`). The informer hands each
object it stores to `SharedParts.share`, which replaces those with one shared instance.

Sound because cached objects cannot be changed in place: the informer freezes each object
(api/read_only.py) before sharing its parts, and copies are independent: pydantic's `copy`/`deepcopy`
give each copied model its own plain fields set, and `deepcopy` copies shared nested models like any
other. One object never holds the same shared model twice, so a deep copy never ends up with two
fields aliasing one struct. Sharing itself writes into the frozen lists and maps of an object no one
has seen yet, through the plain `list` / `dict` methods.

A shared instance stays remembered after the objects holding it are deleted; most distinct structs
are held by one object only (an ownerReference names one owner). `forget_unused` drops those no
object holds any more: 2,000 deleted CertificateRequests left 1,024 ownerReferences (2 MB, spread
over the heap's arenas) otherwise.
"""

from __future__ import annotations

import sys
import types
import typing
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from certpilot.api.core import CA_CERT_KEY
from certpilot.api.read_only import PLAIN_VALUE_TYPES

# Distinct values remembered per model type and for fields sets: enough for the few shapes real
# objects have, bounded whatever the objects hold (values past the bound are simply not shared).
MAX_DISTINCT = 1024

# Values under these keys of any string map (a Secret's data) are shared with the last equal value
# seen: `ca.crt`, the issuing CA's certificate, is the same in every Secret one issuer signed (700
# bytes each). Only public values are listed, so no secret is remembered past its Secret.
SHARED_MAP_KEYS = (CA_CERT_KEY,)

_ATOMIC_TYPES = (str, int, float, bool, Enum, type(None))

_ONLY_THE_TABLE = 2

_StructKey = tuple[frozenset[str], tuple[Any, ...], tuple[type, ...]]


class SharedParts:
    def __init__(self, max_distinct: int = MAX_DISTINCT) -> None:
        self._max = max_distinct
        self._fields_sets: dict[frozenset[str], set[str]] = {}
        self._structs: dict[type[BaseModel], dict[_StructKey, BaseModel]] = {}
        self._last_map_values: dict[str, str] = {}

    def share(self, obj: BaseModel) -> None:
        """Point obj's nested models and fields sets at shared equal instances, in place. `obj` is
        frozen and not yet published."""
        self._share_within(obj, set())

    def forget_unused(self) -> None:
        """Drop remembered instances that only this table still refers to."""
        for known in self._structs.values():
            # Two references: the table's, and getrefcount's own argument.
            unused = [key for key in known if sys.getrefcount(known[key]) <= _ONLY_THE_TABLE]
            for key in unused:
                del known[key]

    def _share_within(self, model: BaseModel, used: set[int]) -> None:
        values = model.__dict__
        shape = _shape_of(type(model))
        for name in shape.map_fields:
            mapping = values.get(name)
            if mapping:
                self._share_map_values(mapping)
        for name in shape.model_fields:
            value = values.get(name)
            if value is None:  # most optional parts are unset: skip them before any type check
                continue
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        list.__setitem__(value, index, self._shared_model(item, used))
            elif isinstance(value, BaseModel):
                values[name] = self._shared_model(value, used)
        self._share_fields_set(model, frozenset(model.__pydantic_fields_set__))

    def _share_fields_set(self, model: BaseModel, fields: frozenset[str]) -> None:
        shared = self._fields_sets.get(fields)
        if shared is None:
            if len(self._fields_sets) < self._max:
                self._fields_sets[fields] = model.__pydantic_fields_set__
        else:
            object.__setattr__(model, "__pydantic_fields_set__", shared)

    def _share_map_values(self, mapping: dict[str, Any]) -> None:
        for key in SHARED_MAP_KEYS:
            value = mapping.get(key)
            if isinstance(value, str):
                last = self._last_map_values.get(key)
                if last == value:
                    dict.__setitem__(mapping, key, last)
                else:
                    self._last_map_values[key] = value

    def _shared_model(self, model: BaseModel, used: set[int]) -> BaseModel:
        if not _shape_of(type(model)).atomic:
            self._share_within(model, used)
            return model
        # An atomic model holds no models or maps: its own parts are only its fields set, so when
        # an equal shared instance replaces it there is nothing else to share in it.
        fields = frozenset(model.__pydantic_fields_set__)
        key = _struct_key(model, fields)
        if key is None:
            self._share_fields_set(model, fields)
            return model
        known = self._structs.setdefault(type(model), {})
        shared = known.get(key)
        if shared is not None and id(shared) not in used:
            used.add(id(shared))
            return shared
        self._share_fields_set(model, fields)
        if shared is None and len(known) < self._max:
            known[key] = model
            used.add(id(model))
        return model


@dataclass(frozen=True)
class _Shape:
    """What a model class's annotations allow: the fields that can hold models (alone or in a
    list), those that hold maps, and whether every field holds only atomic values (then equal
    instances can be shared)."""

    model_fields: tuple[str, ...]
    map_fields: tuple[str, ...]
    atomic: bool


@cache
def _shape_of(cls: type[BaseModel]) -> _Shape:
    fields = cls.model_fields.items()
    return _Shape(
        model_fields=tuple(
            name for name, field in fields if any(map(_is_model, _leaf_types(field.annotation, True)))
        ),
        map_fields=tuple(name for name, field in fields if dict in _leaf_types(field.annotation, False)),
        atomic=cls.model_config.get("extra") != "allow"
        and all(_is_atomic(t) for _, field in fields for t in _leaf_types(field.annotation, False)),
    )


def _leaf_types(annotation: Any, through_lists: bool) -> list[Any]:
    """The types an annotation can hold: through unions and Annotated, and lists when asked (any
    other container counts as itself, so it is neither atomic nor walked)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaf_types(typing.get_args(annotation)[0], through_lists)
    if origin is typing.Union or origin is types.UnionType or (through_lists and origin is list):
        return [leaf for arg in typing.get_args(annotation) for leaf in _leaf_types(arg, through_lists)]
    return [origin or annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_atomic(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, _ATOMIC_TYPES)


def _struct_key(model: BaseModel, fields: frozenset[str]) -> _StructKey | None:
    """What makes two models of one type interchangeable: the same fields set and the same atomic
    values of the same types; None for models holding anything else."""
    if model.__pydantic_extra__ or model.__pydantic_private__:
        return None
    values = tuple(model.__dict__.values())
    value_types = tuple(map(type, values))
    if not PLAIN_VALUE_TYPES.issuperset(value_types) and not all(
        issubclass(t, _ATOMIC_TYPES) for t in value_types
    ):
        return None
    return (fields, values, value_types)
