"""The ClicRDV Calendar contract: the OpenAPI 3.1 document and its views.

- `mock`: the document as written, the kit's own resource bounds included (what the mock
  enforces);
- `strict`: drops what `x-mock-only` marks - every rule of CONTRACT.md, ours (ASM) included;
- `documented`: also drops what `x-assumed` marks and every behaviour rule tagged ASM, so a
  run against a real deployment holds it only to what the ClicRDV docs state or imply.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
SOURCES_DIR = Path(__file__).with_name("sources")
LEVELS = ("documented", "strict")  # what a contract run can hold a deployment to
VIEWS = (*LEVELS, "mock")
DOCUMENTED_TAGS = frozenset({"DOC", "INF"})
TAGS = frozenset({"DOC", "INF", "ASM"})

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=1)
def _load_raw() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # the C or pure-Python *safe* loader


def load_spec(level: str = "strict") -> dict[str, Any]:
    """A fresh copy of the spec viewed at `level` ("documented", "strict" or "mock")."""
    return _json_copy(_view(level))


@functools.lru_cache(maxsize=len(VIEWS))
def _view(level: str) -> dict[str, Any]:
    """The view, derived once per process: never handed out, only copies of it (every contract
    run and every app reads a view or two, and deriving one took 9-11 ms)."""
    if level not in VIEWS:
        raise ValueError(f"level must be one of {VIEWS}, not {level!r}")
    spec = _json_copy(_load_raw())
    if level == "mock":
        return spec
    spec = _drop_marked(spec, "x-mock-only")
    return documented_view(spec) if level == "documented" else spec


def _json_copy(node: Any) -> Any:
    """A deep copy of parsed YAML that holds only mappings, lists and scalars (2.4 ms for the
    spec; copy.deepcopy, which also tracks shared and cyclic objects, 6 ms)."""
    if isinstance(node, dict):
        return {key: _json_copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_copy(item) for item in node]
    return node


def source_tag(x_source: str) -> str:
    """The evidence tag an `x-source` string opens with: DOC, INF or ASM (client habits: ASM)."""
    head = x_source.split(maxsplit=1)[0].rstrip(",;") if x_source.strip() else ""
    return head if head in TAGS else "ASM"


def rules(level: str = "strict") -> list[dict[str, Any]]:
    """The behaviour rules (`x-contract-rules`) that hold at `level`."""
    return _json_copy(_view(level)["x-contract-rules"])


def rule_ids(level: str = "strict") -> set[str]:
    return {rule["id"] for rule in rules(level)}


def documented_view(spec: dict[str, Any]) -> dict[str, Any]:
    """Drop, in place, everything `x-assumed` marks, and the ASM behaviour rules."""
    spec["x-contract-rules"] = [
        rule for rule in spec.get("x-contract-rules", []) if rule["tag"] in DOCUMENTED_TAGS
    ]
    return _drop_marked(spec, "x-assumed")


def _drop_marked(node: Any, marker: str) -> Any:
    """Drop, in place, what `marker` marks: a whole node (true) or some of its keywords (a list)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            node[index] = _drop_marked(item, marker)
        return node
    if not isinstance(node, dict):
        return node
    marked = node.get(marker)
    if marked is True:
        kept = {key: node[key] for key in ("description", "x-source") if key in node}
        return {**kept, f"{marker}-dropped": True}
    if isinstance(marked, list):
        for keyword in marked:
            node.pop(keyword, None)
        node[f"{marker}-dropped"] = list(marked)
        del node[marker]
    for key, value in list(node.items()):
        if key != "x-contract-rules":
            node[key] = _drop_marked(value, marker)
    return node
