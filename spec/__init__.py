"""The ClicRDV Calendar contract: the OpenAPI 3.1 document and its two evidence levels.

`strict` is the document as written: every rule, ours included. `documented` drops each
constraint the document marks with `x-assumed` and every behaviour rule tagged ASM, so a
run against a real deployment holds it only to what the ClicRDV docs state or imply.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
SOURCES_DIR = Path(__file__).with_name("sources")
LEVELS = ("documented", "strict")
DOCUMENTED_TAGS = frozenset({"DOC", "INF"})
TAGS = frozenset({"DOC", "INF", "ASM"})

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=1)
def _load_raw() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # the C or pure-Python *safe* loader


def load_spec(level: str = "strict") -> dict[str, Any]:
    """A fresh copy of the spec at `level` ("strict" or "documented")."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    spec = copy.deepcopy(_load_raw())
    return documented_view(spec) if level == "documented" else spec


def source_tag(x_source: str) -> str:
    """The evidence tag an `x-source` string opens with: DOC, INF or ASM (client habits: ASM)."""
    head = x_source.split(maxsplit=1)[0].rstrip(",;") if x_source.strip() else ""
    return head if head in TAGS else "ASM"


def rules(level: str = "strict") -> list[dict[str, Any]]:
    """The behaviour rules (`x-contract-rules`) that hold at `level`."""
    return list(load_spec(level)["x-contract-rules"])


def rule_ids(level: str = "strict") -> set[str]:
    return {rule["id"] for rule in rules(level)}


def documented_view(spec: dict[str, Any]) -> dict[str, Any]:
    """Drop, in place, everything `x-assumed` marks, and the ASM behaviour rules."""
    spec["x-contract-rules"] = [
        rule for rule in spec.get("x-contract-rules", []) if rule["tag"] in DOCUMENTED_TAGS
    ]
    _drop_assumed(spec)
    return spec


def _drop_assumed(node: Any) -> Any:
    if isinstance(node, list):
        for index, item in enumerate(node):
            node[index] = _drop_assumed(item)
        return node
    if not isinstance(node, dict):
        return node
    assumed = node.get("x-assumed")
    if assumed is True:
        kept = {key: node[key] for key in ("description", "x-source") if key in node}
        return {**kept, "x-assumed-dropped": True}
    if isinstance(assumed, list):
        for keyword in assumed:
            node.pop(keyword, None)
        node["x-assumed-dropped"] = list(assumed)
        del node["x-assumed"]
    for key, value in list(node.items()):
        if key != "x-contract-rules":
            node[key] = _drop_assumed(value)
    return node
