"""Generate spec/CONTRACT-MAP.md, the human map of openapi.yaml, from the spec alone.

    python -m calendar_spec.report            # rewrite spec/CONTRACT-MAP.md
    python -m calendar_spec.report --check    # exit 1 when the committed map is stale
    python -m calendar_spec.report --stdout   # print instead of writing

The walking helpers below are public because the traceability tests walk the spec the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calendar_spec import load_spec

MAP_PATH = Path(__file__).with_name("CONTRACT-MAP.md")
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
        yield from _subschemas(schema, f"/components/schemas/{escape_token(name)}")
    for pointer, node in _structure(spec, ""):
        if isinstance(node.get("schema"), dict):
            yield from _subschemas(node["schema"], f"{pointer}/schema")


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


def _subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key, child in schema.items():
        inside = f"{pointer}/{escape_token(key)}"
        if key in _SCHEMA_MAPS and isinstance(child, dict):
            for name, sub in child.items():
                yield from _subschemas(sub, f"{inside}/{escape_token(name)}")
        elif key in _SCHEMA_ONE:
            yield from _subschemas(child, inside)
        elif key in _SCHEMA_LISTS:
            for index, sub in enumerate(child):
                yield from _subschemas(sub, f"{inside}/{index}")


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


# --- rendering ------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _component_name(pointer: str) -> str:
    return pointer.rsplit("/", 1)[-1]


def summarize(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    """A one-line reading of a schema, for the parameter table."""
    if "$ref" in schema:
        pointer, node = target(spec, schema["$ref"])
        return f"`{_component_name(pointer)}`: {summarize(spec, node)}"
    parts = []
    if "anyOf" in schema:
        parts.append(" or ".join(summarize(spec, member) for member in schema["anyOf"]))
    if "type" in schema:
        kinds = schema["type"]
        parts.append(" or ".join(kinds) if isinstance(kinds, list) else kinds)
    if "const" in schema:
        parts.append(f"`{schema['const']}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
    parts += _bounds(schema)
    if "pattern" in schema:
        parts.append(f"pattern `{schema['pattern']}`")
    if "items" in schema:
        parts.append("of " + summarize(spec, schema["items"]))
    if "default" in schema:
        parts.append(f"default {json.dumps(schema['default'])}")
    return ", ".join(parts)


def _bounds(schema: dict[str, Any]) -> list[str]:
    bounds = []
    if "minimum" in schema and "maximum" in schema:
        bounds.append(f"{schema['minimum']} … {schema['maximum']}")
    elif "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    elif "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    if "minLength" in schema:
        bounds.append(f"length ≥ {schema['minLength']}")
    if "maxLength" in schema:
        bounds.append(f"length ≤ {schema['maxLength']}")
    if "maxItems" in schema:
        bounds.append(f"≤ {schema['maxItems']} items")
    return bounds


def _field_row(spec: dict[str, Any], name: str, required: dict[str, bool]) -> list[Any]:
    field_pointer = f"{CALENDAR}/properties/{escape_token(name)}"
    own_pointer, own = target(spec, field_pointer)
    keywords = flatten(spec, field_pointer)
    values = {key: keyword.value for key, keyword in keywords.items()}
    kinds = values.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    limits = _bounds(values)
    if "pattern" in keywords:
        source = keywords["pattern"].pointer
        limits.append(f"pattern `{values['pattern']}`" if source == own_pointer
                      else f"pattern of `{_component_name(source)}`")
    assumed = [key if keyword.pointer == own_pointer
               else f"{key} (via `{_component_name(keyword.pointer)}`)"
               for key, keyword in keywords.items()
               if keyword.assumed and key in CONSTRAINT_KEYWORDS]
    if required.get(name):
        assumed.append("required")
    return [
        f"`{name}`",
        " or ".join(kind for kind in kinds if kind != "null"),
        "; ".join(limits) or "—",
        json.dumps(values["default"], ensure_ascii=False) if "default" in values else "—",
        "yes" if "null" in kinds else "no",
        {None: "no", False: "yes", True: "yes (assumed)"}[required.get(name)],
        own.get("x-source", "—"),
        "; ".join(assumed) or "—",
    ]


def _calendar_section(spec: dict[str, Any]) -> list[str]:
    required = required_fields(spec, CALENDAR)
    names = resolve_pointer(spec, CALENDAR)["properties"]
    header = ["field", "type", "limit", "default", "nullable", "required in responses",
              "x-source", "assumed (ours)"]
    return ["## Calendar fields", "",
            "The response representation (`#/components/schemas/Calendar`); request bodies use "
            "the same field schemas.", "",
            *_table(header, [_field_row(spec, name, required) for name in names])]


def _parameter_section(spec: dict[str, Any]) -> list[str]:
    seen: dict[str, list[Any]] = {}
    for path, method, operation in operations(spec):
        for parameter in operation_parameters(spec, path, method):
            if parameter["in"] != "query":
                continue
            row = seen.setdefault(parameter["name"], [
                f"`{parameter['name']}`", [], summarize(spec, parameter["schema"]),
                parameter.get("x-source", "—"), _assumed_inside(parameter["schema"])])
            row[1].append(operation["operationId"])
        conditions = operation.get("x-clicrdv-conditions")
        if conditions:
            seen["conditions"] = ["`conditions[i][field|op|value]`", [operation["operationId"]],
                                  summarize(spec, conditions["schema"]), conditions["x-source"],
                                  _assumed_inside(target(spec, conditions["schema"]["$ref"])[1])]
    rows = [[name, ", ".join(ops), schema, source, assumed]
            for name, ops, schema, source, assumed in seen.values()]
    header = ["parameter", "operations", "schema", "x-source", "assumed (ours)"]
    return ["## Query parameters", "", *_table(header, rows)]


def _assumed_inside(schema: dict[str, Any]) -> str:
    """The x-assumed keywords of a schema and its inline subschemas ($refs are not followed)."""
    found = []
    for pointer, node in _subschemas(schema, ""):
        marker = node.get("x-assumed")
        if marker is None:
            continue
        where = f" at `{pointer}`" if pointer else ""
        found.append(("all" if marker is True else ", ".join(marker)) + where)
    return "; ".join(found) or "—"


def _security_text(requirements: list[dict[str, Any]]) -> str:
    return ", or ".join(" + ".join(requirement) for requirement in requirements)


def _operation_section(spec: dict[str, Any]) -> list[str]:
    rows = []
    for path, method, operation in operations(spec):
        statuses = list(operation["responses"])
        rows.append([
            f"`{operation['operationId']}`", f"{method.upper()} `{path}`",
            ", ".join(status for status in statuses if status.startswith("2")),
            ", ".join(statuses),
            _security_text(operation.get("security", spec.get("security", []))),
            operation.get("x-source", "—"),
        ])
    header = ["operationId", "request", "success", "statuses", "security", "x-source"]
    return ["## Operations", "", *_table(header, rows)]


def _rules_section(spec: dict[str, Any]) -> list[str]:
    rows = [[f"`{rule['id']}`", rule["tag"], rule["source"],
             ", ".join(rule["operations"]) or "—", rule["says"]]
            for rule in spec["x-contract-rules"]]
    return ["## Behaviour rules (`x-contract-rules`)", "",
            "`--level documented` keeps the DOC and INF rules only.", "",
            *_table(["id", "tag", "source", "operations", "says"], rows)]


def _assumption_section(spec: dict[str, Any]) -> list[str]:
    nodes = [[f"`{pointer}`",
              "all" if node["x-assumed"] is True else ", ".join(node["x-assumed"]),
              node.get("x-source", "—")]
             for pointer, node in walk(spec) if "x-assumed" in node]
    asm_rules = [[f"`{rule['id']}`", rule["source"], rule["says"]]
                 for rule in spec["x-contract-rules"] if rule["tag"] == "ASM"]
    return ["## Assumptions", "",
            "Everything below is the kit's decision, not ClicRDV's; the documented view "
            "(`load_spec(\"documented\")`) drops all of it.", "",
            "### Assumed spec nodes (`x-assumed`)", "",
            *_table(["JSON pointer", "keywords", "x-source"], nodes),
            "### ASM rules", "",
            *_table(["id", "source", "says"], asm_rules)]


def render(spec: dict[str, Any] | None = None) -> str:
    spec = spec if spec is not None else load_spec("strict")
    lines = ["# Contract map of `spec/openapi.yaml`", "",
             "Generated by `python -m calendar_spec.report`; do not edit by hand "
             "(`tests/test_spec.py` fails when this file is stale).", "",
             "Tags: DOC = the ClicRDV docs say it; INF = follows from them; ASM = ours "
             "(an `x-source` naming only a client, e.g. `C1`, counts as ASM).", ""]
    for section in (_calendar_section, _parameter_section, _operation_section,
                    _rules_section, _assumption_section):
        lines += section(spec)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calendar_spec.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the map is stale")
    parser.add_argument("--stdout", action="store_true", help="print the map, write nothing")
    parser.add_argument("--output", type=Path, default=MAP_PATH, help="the map's path")
    args = parser.parse_args(argv)
    text = render()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is stale; run: python -m calendar_spec.report", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
