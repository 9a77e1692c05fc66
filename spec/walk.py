"""Walking the spec: schema nodes, JSON pointers, flattened keywords and operations.

Shared by the CONTRACT-MAP generator and the traceability tests, so both read the spec
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CALENDAR = "/components/schemas/Calendar"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# The keywords that constrain an instance; each needs an `x-source` on its own node.
CONSTRAINT_KEYWORDS = ("type", "enum", "const", "minimum", "maximum", "minLength", "maxLength",
                       "pattern", "required", "maxItems", "additionalProperties", "default")

# Keywords under which a JSON Schema nests further schemas (2020-12 applicators).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_SCHEMA_ONE = frozenset({"items", "additionalProperties", "not", "if", "then", "else", "contains",
                         "propertyNames", "unevaluatedProperties", "unevaluatedItems"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
# Positions that hold instance data, not spec structure.
_DATA_KEYS = frozenset({"example", "examples", "value", "default", "enum", "const",
                        "x-contract-rules"})


# --- walking the document -------------------------------------------------------------------

def escape_token(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer ("/a/b") or a local $ref ("#/a/b"); KeyError/IndexError if none."""
    node = document
    for token in pointer.removeprefix("#").split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the document, data included, with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        children = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return
    for key, child in children:
        yield from walk(child, f"{pointer}/{escape_token(key)}")


def schema_nodes(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON Schema object of the spec: components/schemas, every `schema`, and their subschemas."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from subschemas(schema, f"/components/schemas/{escape_token(name)}")
    for pointer, node in _structure(spec, ""):
        if isinstance(node.get("schema"), dict):
            yield from subschemas(node["schema"], f"{pointer}/schema")


def _structure(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    # Like walk(), but skips data positions and component schemas (schema_nodes covers those).
    if isinstance(node, dict):
        yield pointer, node
        for key, child in node.items():
            inside = f"{pointer}/{escape_token(key)}"
            if key in _DATA_KEYS or key == "schema" or inside == "/components/schemas":
                continue
            yield from _structure(child, inside)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _structure(child, f"{pointer}/{index}")


def subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key, child in schema.items():
        inside = f"{pointer}/{escape_token(key)}"
        if key in _SCHEMA_MAPS and isinstance(child, dict):
            for name, sub in child.items():
                yield from subschemas(sub, f"{inside}/{escape_token(name)}")
        elif key in _SCHEMA_ONE:
            yield from subschemas(child, inside)
        elif key in _SCHEMA_LISTS:
            for index, sub in enumerate(child):
                yield from subschemas(sub, f"{inside}/{index}")


def is_assumed(node: dict[str, Any], keyword: str) -> bool:
    marker = node.get("x-assumed")
    return marker is True or (isinstance(marker, list) and keyword in marker)


@dataclass(frozen=True)
class Keyword:
    """One constraint of a flattened schema, and the node that states it."""

    value: Any
    pointer: str
    assumed: bool


def flatten(spec: dict[str, Any], pointer: str) -> dict[str, Keyword]:
    """The keywords that hold at `pointer`, following `$ref` and `allOf`; the outer node wins."""
    node = resolve_pointer(spec, pointer)
    merged = {
        key: Keyword(value, pointer, is_assumed(node, key))
        for key, value in node.items()
        if key not in ("$ref", "allOf") and not key.startswith("x-")
    }
    inner = [node["$ref"].removeprefix("#")] if "$ref" in node else []
    inner += [f"{pointer}/allOf/{index}" for index in range(len(node.get("allOf", [])))]
    for inner_pointer in inner:
        for key, keyword in flatten(spec, inner_pointer).items():
            merged.setdefault(key, keyword)
    return merged


def target(spec: dict[str, Any], pointer: str) -> tuple[str, dict[str, Any]]:
    """The node at `pointer` after following a chain of `$ref`s, and its own pointer."""
    node = resolve_pointer(spec, pointer)
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = resolve_pointer(spec, pointer)
    return pointer, node


def required_fields(spec: dict[str, Any], pointer: str) -> dict[str, bool]:
    """Property name -> whether its requirement is ours, from `required` here and in allOf."""
    pointer, node = target(spec, pointer)
    found = dict.fromkeys(node.get("required", []), is_assumed(node, "required"))
    for index in range(len(node.get("allOf", []))):
        for name, assumed in required_fields(spec, f"{pointer}/allOf/{index}").items():
            found[name] = found.get(name, True) and assumed
    return found


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def operation_parameters(spec: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    """The path's and the operation's parameters, $refs followed."""
    path_pointer = f"/paths/{escape_token(path)}"
    listed = [f"{path_pointer}/parameters/{i}"
              for i in range(len(spec["paths"][path].get("parameters", [])))]
    listed += [f"{path_pointer}/{method}/parameters/{i}"
               for i in range(len(spec["paths"][path][method].get("parameters", [])))]
    return [target(spec, pointer)[1] for pointer in listed]


def merged(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    """`node` with its `$ref`s followed and its `allOf` members folded in (shallow keywords;
    the node's own win)."""
    while isinstance(node, dict) and "$ref" in node:
        node = {**resolve_pointer(spec, node["$ref"]),
                **{key: value for key, value in node.items() if key != "$ref"}}
    result: dict[str, Any] = {}
    for member in node.get("allOf", []):
        result.update(merged(spec, member))
    result.update({key: value for key, value in node.items() if key != "allOf"})
    return result


# -- operations and their paths -------------------------------------------------------------------

def operations_by_id(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path template, operation)."""
    return {operation["operationId"]: (method.upper(), path, operation)
            for path, method, operation in operations(spec)}


def fill(template: str, **values: Any) -> str:
    """The path `template` (`/groups/{group_id}/calendars`) with its parameters filled in."""
    return re.sub(r"\{(\w+)\}", lambda found: str(values[found[1]]), template)


def path_pattern(template: str, suffixes: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A pattern for concrete paths of `template` (each parameter one segment, captured by
    name), with or without one of `suffixes`; use it with `fullmatch`."""
    body = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", re.escape(template))
    alternatives = "|".join(re.escape(suffix) for suffix in suffixes)
    return re.compile(f"{body}(?:{alternatives})?" if alternatives else body)


def path_suffixes(spec: dict[str, Any]) -> tuple[str, ...]:
    """The suffixes every path is also served with (`x-clicrdv-path-aliases`)."""
    return tuple(spec.get("x-clicrdv-path-aliases", {}).get("suffixes", ()))
