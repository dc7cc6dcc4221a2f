"""Read-only API objects: what the informer cache hands out cannot be changed in place.

The cache shares its objects with every controller, and equal nested parts between objects
(runtime/memory/shared_parts.py), so one in-place edit would silently change other objects.
`freeze(obj)` makes an object and everything in it refuse edits:

- a frozen model's fields set is a `FrozenFieldsSet`, which `ApiModel.__setattr__` checks (the
  marker costs no memory: pydantic keeps a fields set per model anyway);
- its lists and dicts become `FrozenList` / `FrozenDict`, whose mutating methods raise.

Copies are writable: `model_copy()`, `copy.copy` and `copy.deepcopy` of a frozen model give a model
with a plain fields set. A shallow copy still holds the frozen nested parts, so changing one means
replacing it with a new part (copy-on-write); a deep copy holds plain lists, dicts and models.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import cache
from typing import Any, NoReturn, SupportsIndex

from pydantic import BaseModel

# Field types whose values cannot be changed in place: freezing skips them.
_ATOMIC_TYPES = (str, bytes, int, float, bool, Enum, type(None), datetime, date, time, timedelta)
# The exact types most values in an API object have (the strings of a Secret's data, labels, names):
# checked by exact type before any isinstance, here and when cached objects share their parts.
PLAIN_VALUE_TYPES = frozenset((str, int, float, bool, type(None)))


class ReadOnlyObjectError(TypeError):
    """Code changed an object it only may read (from the informer cache). Copy it first."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is read-only: it belongs to the informer cache, which shares it with every "
            "controller. Change a copy (obj.model_copy(), deep=True for nested parts) and write that."
        )


class FrozenFieldsSet(set[str]):
    """The fields set of a frozen model: its type is the frozen marker. Copies are plain sets, so
    pydantic's model copies come out writable."""

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> set[str]:
        return set(self)

    def _refuse(self, *_: object) -> NoReturn:
        raise ReadOnlyObjectError("this model")

    add = discard = remove = update = clear = pop = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse


class FrozenList(list[Any]):
    """A list that refuses changes; its copies are plain lists."""

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        from copy import deepcopy

        return [deepcopy(item, memo) for item in self]

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (list, (list(self),))

    def _refuse(self, *_: object) -> NoReturn:
        raise ReadOnlyObjectError("this list")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


class FrozenDict(dict[Any, Any]):
    """A dict that refuses changes; its copies are plain dicts."""

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        from copy import deepcopy

        return {key: deepcopy(value, memo) for key, value in self.items()}

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (dict, (dict(self),))

    def _refuse(self, *_: object, **__: object) -> NoReturn:
        raise ReadOnlyObjectError("this mapping")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = setdefault = pop = popitem = clear = _refuse


def is_frozen(model: BaseModel) -> bool:
    return type(model.__pydantic_fields_set__) is FrozenFieldsSet


def freeze(model: BaseModel) -> None:
    """Make `model` and everything it holds read-only, in place (once, before anyone reads it)."""
    if type(model.__pydantic_fields_set__) is FrozenFieldsSet:
        return  # a part shared with an object frozen earlier
    values = model.__dict__
    for name in _container_fields(type(model)):
        value = values.get(name)
        if value is not None:
            frozen = _frozen_value(value)
            if frozen is not value:
                values[name] = frozen
    extra = model.__pydantic_extra__
    if extra:
        for name, value in extra.items():
            extra[name] = _frozen_value(value)
    object.__setattr__(model, "__pydantic_fields_set__", FrozenFieldsSet(model.__pydantic_fields_set__))


@cache
def _container_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `cls` that can hold a model, list or dict: the only ones freezing visits (a
    Certificate's strings, numbers and times are immutable already)."""
    return tuple(name for name, field in cls.model_fields.items() if not _atomic(field.annotation))


def _atomic(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _atomic(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return all(_atomic(arg) for arg in typing.get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, _ATOMIC_TYPES)


def _frozen_value(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return FrozenList([_frozen_value(v) for v in value])
    if kind is dict:
        return FrozenDict({key: _frozen_value(v) for key, v in value.items()})
    # Most values are the strings of a Secret's data, labels and annotations: answered by type
    # before the isinstance check (BaseModel's is an ABC's, several times slower).
    if kind in PLAIN_VALUE_TYPES:
        return value
    if isinstance(value, BaseModel):
        freeze(value)
    return value
