"""Finding extensions by class without cryptography's slow path.

cryptography's extension classes are ABCs: an isinstance test that fails goes through
ABCMeta.__instancecheck__, and get_extension_for_class makes one for every extension before the
one it finds. The comparisons of a certificate with its spec look up several extensions of every
certificate, so values of cryptography's own extension classes are told apart by their exact
type; anything else (a subclass, a registered class) still gets the isinstance test."""

from __future__ import annotations

from typing import Any, TypeGuard, TypeVar

from cryptography import x509

ExtensionValue = TypeVar("ExtensionValue", bound=x509.ExtensionType)


def cryptography_classes(base: type[Any]) -> frozenset[type[Any]]:
    """The concrete classes cryptography defines for one of its ABCs (the direct subclasses in the
    ABC's own module). None of them derives from another (tested), so a value of one of these
    exact types is an instance of another of them only when its type is that class."""
    subclasses: list[type[Any]] = base.__subclasses__()
    return frozenset(cls for cls in subclasses if cls.__module__ == base.__module__)


CRYPTOGRAPHY_EXTENSION_TYPES: frozenset[type[x509.ExtensionType]] = cryptography_classes(x509.ExtensionType)


def is_extension(
    value: x509.ExtensionType, extension_class: type[ExtensionValue]
) -> TypeGuard[ExtensionValue]:
    """isinstance(value, extension_class), answered from the types alone when both are
    cryptography's concrete extension classes."""
    value_type = type(value)
    if value_type is extension_class:
        return True
    if value_type in CRYPTOGRAPHY_EXTENSION_TYPES and extension_class in CRYPTOGRAPHY_EXTENSION_TYPES:
        return False
    return isinstance(value, extension_class)


def extension_value(
    extensions: x509.Extensions, extension_class: type[ExtensionValue]
) -> ExtensionValue | None:
    """The value of the first extension that is an extension_class (the one
    get_extension_for_class finds), or None when there is none."""
    for extension in extensions:
        value = extension.value
        if is_extension(value, extension_class):
            return value
    return None
