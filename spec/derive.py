"""What the spec says once and OpenAPI needs said again, written into openapi.yaml.

- `x-enum-from: <pointer>` on a schema: its `enum` is the keys of the object there (the
  readable fields are the Calendar's fields).
- `x-properties-from: {schema, read-only}` on an object schema: its `properties` are those
  of `schema`, each field's own schema (or its `x-write-schema`), a `readOnly` one as the
  `read-only` schema (the request bodies take the Calendar's fields).

The derived keys are written into the file itself, right after the key they come from, so
that every OpenAPI tool (Prism, schemathesis, an editor) reads a complete document:

    python -m calendar_spec.derive           # rewrite them after editing what they come from
    python -m calendar_spec.derive --check   # exit 1 when they are stale (a test runs it)
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import yaml

from .walk import resolve_pointer, walk

MARKER = "# derived by `python -m calendar_spec.derive`: edit what it comes from, not this"
SOURCES = {"x-enum-from": "enum", "x-properties-from": "properties"}


def derived(spec: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """For each `x-enum-from` / `x-properties-from` line's value, the key it derives and the
    value that key must hold."""
    found: dict[str, tuple[str, Any]] = {}
    for _, node in walk(spec):
        if "x-enum-from" in node:
            keys = list(resolve_pointer(spec, node["x-enum-from"]))
            found[_source_line("x-enum-from", node)] = ("enum", keys)
        if "x-properties-from" in node:
            properties = _written(spec, node["x-properties-from"])
            found[_source_line("x-properties-from", node)] = ("properties", properties)
    return found


def _source_line(key: str, node: dict[str, Any]) -> str:
    return f"{key}: {yaml.safe_dump(node[key], default_flow_style=True, width=10**6).strip()}"


def _written(spec: dict[str, Any], source: dict[str, str]) -> dict[str, Any]:
    fields = resolve_pointer(spec, source["schema"])["properties"]
    written = {}
    for name, schema in fields.items():
        if schema.get("readOnly"):
            written[name] = {"$ref": source["read-only"]}
        else:
            written[name] = dict(schema.get("x-write-schema") or {"$ref": schema["$ref"]})
    return written


def rewrite(text: str) -> str:
    """`text` (openapi.yaml) with every derived key written anew after its source key."""
    spec = yaml.safe_load(text)
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    plan = derived(spec)
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        stripped = line.strip()
        key = stripped.split(":", 1)[0]
        if key not in SOURCES:
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if index < len(lines) and lines[index].strip() == MARKER:  # the old derived block
            index += 1
            index = _skip_key(lines, index, indent)
        match = next((source for source in plan if _same_source(stripped, source)), None)
        if match is None:
            raise ValueError(f"cannot read {stripped!r} as written by YAML: put it on one line")
        derived_key, value = plan[match]
        out.append(indent + MARKER)
        out.extend(_block(derived_key, value, indent))
    return "\n".join(out) + "\n"


def _same_source(line: str, source: str) -> bool:
    key, _, value = line.partition(":")
    wanted_key, _, wanted_value = source.partition(":")
    return key == wanted_key and yaml.safe_load(value) == yaml.safe_load(wanted_value)


def _skip_key(lines: list[str], index: int, indent: str) -> int:
    """The index after the key at `index` and everything nested under it."""
    index += 1
    while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > len(indent)
                                  or re.match(r"\s*[\]}]", lines[index])):
        index += 1
    return index


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block(key: str, value: Any, indent: str) -> list[str]:
    if key == "enum":
        return _wrapped(f"{indent}enum: [", list(value), "]", indent + " " * len("enum: ["))
    return [f"{indent}properties:"] + [f"{indent}  {name}: {_flow(schema)}" for name, schema in value.items()]


def _wrapped(opening: str, items: list[str], closing: str, continuation: str, width: int = 100) -> list[str]:
    lines, current = [], opening
    for position, item in enumerate(items):
        piece = item + (", " if position < len(items) - 1 else closing)
        if len(current) + len(piece.rstrip()) > width and current.strip() != opening.strip():
            lines.append(current.rstrip())
            current = continuation
        current += piece
    return [*lines, current]


def _flow(schema: dict[str, Any]) -> str:
    """`{$ref: "#/…"}`, as the rest of the file writes a small schema."""
    if all(isinstance(value, str) for value in schema.values()):
        return "{" + ", ".join(f"{name}: {json.dumps(value)}" for name, value in schema.items()) + "}"
    return yaml.safe_dump(schema, default_flow_style=True, width=10**6).strip()


def main(argv: list[str] | None = None) -> int:
    from . import SPEC_PATH

    args = sys.argv[1:] if argv is None else argv
    text = SPEC_PATH.read_text(encoding="utf-8")
    fresh = rewrite(text)
    if "--check" in args:
        if fresh != text:
            print(f"{SPEC_PATH} has stale derived keys: run `python -m calendar_spec.derive`",
                  file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        SPEC_PATH.write_text(fresh, encoding="utf-8")
        print(f"rewrote the derived keys of {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
