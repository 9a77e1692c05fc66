"""Generate spec/CONTRACT-MAP.md, the human map of openapi.yaml, from the spec alone.

    python -m calendar_spec.report            # rewrite spec/CONTRACT-MAP.md
    python -m calendar_spec.report --check    # exit 1 when the committed map is stale
    python -m calendar_spec.report --stdout   # print instead of writing

"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from calendar_spec import load_spec
from calendar_spec.walk import (
    CALENDAR,
    CONSTRAINT_KEYWORDS,
    escape_token,
    flatten,
    operation_parameters,
    operations,
    required_fields,
    resolve_pointer,
    subschemas,
    target,
    walk,
)

MAP_PATH = Path(__file__).with_name("CONTRACT-MAP.md")
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
    for pointer, node in subschemas(schema, ""):
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


def _questions_section(spec: dict[str, Any]) -> list[str]:
    open_questions = spec.get("x-open-questions", {})
    questions = open_questions.get("questions", [])
    rows = [[f"`{q['id']}`", q["kind"], q["question"], ", ".join(f"`{a}`" for a in q["answers"]),
             f"`{q['default']}`", ", ".join(f"`{r}`" for r in q.get("rules", ())) or "-", q["source"]]
            for q in questions]
    settled = [[f"`{item['rule']}`", item["why"]] for item in open_questions.get("not-questions", [])]
    return ["## Open questions (`x-open-questions`)", "",
            "Where a correct deployment may answer more than one way. `open`: the contract suite "
            "accepts every answer at both levels (one answer, held throughout a run); `assumed`: "
            "CONTRACT.md picks the default as an ASM rule, so the other answer fails `--level strict` "
            "only. The mock answers each as its profile says (`calendar-mock serve --profile`, "
            "`PUT /_mock/profile`, `PUT /_mock/settings`); `calendar-contract calibrate` learns a "
            "deployment's answers.", "",
            *_table(["id", "kind", "question", "answers", "mock default", "ASM rules", "source"], rows),
            "### ASM rules that are not questions", "",
            "Every other ASM rule stands for a question above; these do not, because the other "
            "answer would break a documented rule or a real client.", "",
            *_table(["rule", "why the other answer is not correct"], settled)]


def render(spec: dict[str, Any] | None = None) -> str:
    spec = spec if spec is not None else load_spec("strict")
    lines = ["# Contract map of `spec/openapi.yaml`", "",
             "Generated by `python -m calendar_spec.report`; do not edit by hand "
             "(`tests/test_spec.py` fails when this file is stale).", "",
             "Tags: DOC = the ClicRDV docs say it; INF = follows from them; ASM = ours "
             "(an `x-source` naming only a client, e.g. `C1`, counts as ASM).", ""]
    for section in (_calendar_section, _parameter_section, _operation_section,
                    _rules_section, _questions_section, _assumption_section):
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
