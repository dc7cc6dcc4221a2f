"""Structure-aware manifest fuzzing: a valid document of every kind with one field broken (replaced
by a value of another shape, deleted, or joined by an unknown sibling), through the path of
`certpilot apply`: the loader, then apply into a SQLite store."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from certpilot.api.loader import ManifestError, dump_yaml, load_manifests
from certpilot.store.apply import apply_objects
from certpilot.store.errors import StoreError
from certpilot.store.protocol import Store
from tests.fuzz.fuzz_outcomes import Outcome, Tally, each_line_names

MANIFESTS = Path(__file__).resolve().parents[1] / "unit" / "api" / "manifests"
BASE_FILES = ("certificate.yaml", "certificaterequest.yaml", "issuers.yaml", "clusterissuer.yaml")

Path_ = tuple[str | int, ...]


def base_documents() -> list[dict[str, Any]]:
    """Every kind and every issuer type, valid, without status; each Issuer also as a ClusterIssuer."""
    documents: list[dict[str, Any]] = []
    for name in BASE_FILES:
        for document in load_manifests((MANIFESTS / name).read_text(encoding="utf-8"), name):
            body = document.to_dict()
            body.pop("status", None)
            documents.append(body)
            if body["kind"] == "Issuer":
                cluster = copy.deepcopy(body)
                cluster["kind"] = "ClusterIssuer"
                cluster["metadata"].pop("namespace", None)
                documents.append(cluster)
    return documents


BASES = base_documents()


def field_paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """The path of every value below the document root."""
    children: Iterator[tuple[str | int, Any]]
    if isinstance(value, dict):
        children = iter(value.items())
    elif isinstance(value, list):
        children = iter(enumerate(value))
    else:
        return
    for key, child in children:
        yield (*prefix, key)
        yield from field_paths(child, (*prefix, key))


def field_name(path: Path_) -> str:
    """The camelCase field path as errors print it: spec.acme.solvers[0].dns01."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


BROKEN_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Lo"]), max_size=5),  # "Cs": surrogates
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1h",
            "-5m",
            "*",
            "..",
            "a" * 300,
            "http://",
            "://x",
            "10.0.0.1:99999",
            "Ed25519",
            "rsa",
            "9999999999999h",
            "\x00",
            "💥",
            "CN=,,",
            "@",
            "-----BEGIN-----",
            "a;touch x",
        ]
    ),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=5), max_size=3),
)


@dataclass(frozen=True)
class BrokenManifest:
    text: str
    path: Path_
    how: str

    def __repr__(self) -> str:
        return f"BrokenManifest({self.how} {field_name(self.path)}: {self.text[:300]!r})"


@st.composite
def broken_manifests(draw: st.DrawFn) -> BrokenManifest:
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    path = draw(st.sampled_from(list(field_paths(document))))
    *parents, last = path
    parent: Any = document
    for part in parents:
        parent = parent[part]
    how = draw(st.sampled_from(["replace", "delete", "unknown sibling"]))
    if how == "replace":
        parent[last] = draw(BROKEN_VALUES)
    elif how == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"{last}Typo"] = parent[last]
        path = (*parents, f"{last}Typo")
    else:
        parent.append(draw(BROKEN_VALUES))
        path = (*parents, len(parent) - 1)
    as_json = draw(st.booleans())
    text = json.dumps(document) if as_json else dump_yaml(document)
    return BrokenManifest(text, path, how)


def names_for(path: Path_) -> tuple[str, ...]:
    """What a clear refusal may name: the broken field, or a field that holds it (for a union or a
    list judged as a whole); a broken apiVersion may be reported as its kind."""
    names = [field_name(path[:end]) for end in range(len(path), 0, -1) if isinstance(path[end - 1], str)]
    if path[:1] == ("apiVersion",):
        names.append("kind")
    return tuple(names)


async def apply_broken_manifest(case: BrokenManifest, store: Store, tally: Tally) -> None:
    """Load and apply case as `certpilot apply` does, and tally how it ended."""
    try:
        objects = load_manifests(case.text, "fuzz.yaml")
        await apply_objects(store, objects)
    except ManifestError as error:
        clear = each_line_names([str(line) for line in error.errors], names_for(case.path))
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{case!r}\n-> {error}")
    except StoreError as error:
        tally.add(Outcome.REFUSED, f"{case!r}\n-> {error}")
    except Exception as error:
        tally.crashed(case, error)
    else:
        tally.add(Outcome.ACCEPTED)
