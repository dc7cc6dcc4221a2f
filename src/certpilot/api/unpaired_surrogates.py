"""Finding text that is not Unicode: unpaired UTF-16 surrogates, which YAML (`"\\ud800"`) and JSON
escapes can spell. Such a string cannot be encoded as UTF-8, so a stored body holding one would
no longer parse, and every later read of its kind would fail: it is refused at the door."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def unpaired_surrogate_path(value: Any, path: str = "") -> str | None:
    """The field path of the first key or string in value that holds a surrogate, or None."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SURROGATE.search(key):
                return child_path
            found = unpaired_surrogate_path(child, child_path)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found = unpaired_surrogate_path(child, f"{path}[{index}]")
            if found is not None:
                return found
    return None
