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

from collections.abc import Iterable
from typing import Any, NoReturn, SupportsIndex

from pydantic import BaseModel


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
    if is_frozen(model):
        return  # a part shared with an object frozen earlier
    values = model.__dict__
    for name, value in values.items():
        frozen = _frozen_value(value)
        if frozen is not value:
            values[name] = frozen
    if model.__pydantic_extra__:
        for name, value in model.__pydantic_extra__.items():
            model.__pydantic_extra__[name] = _frozen_value(value)
    object.__setattr__(model, "__pydantic_fields_set__", FrozenFieldsSet(model.__pydantic_fields_set__))


def _frozen_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        freeze(value)
        return value
    if type(value) is list:
        return FrozenList(_frozen_items(value))
    if type(value) is dict:
        return FrozenDict(zip(value.keys(), _frozen_items(value.values()), strict=True))
    return value


def _frozen_items(values: Iterable[Any]) -> list[Any]:
    return [_frozen_value(v) for v in values]
