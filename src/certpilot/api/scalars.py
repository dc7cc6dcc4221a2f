"""Strict scalar types: Kubernetes rejects "2048" for an integer and "yes" for a boolean, so do we."""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
