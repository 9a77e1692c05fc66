"""Every rule of the spec traces back to CONTRACT.md, and every CONTRACT.md row reaches the spec."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from calendar_spec import SOURCES_DIR, TAGS, load_spec, rules, source_tag
from calendar_spec.walk import (
    CALENDAR,
    CONSTRAINT_KEYWORDS,
    flatten,
    operations,
    resolve_pointer,
    schema_nodes,
    walk,
)
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

CONTRACT_TEXT = (SOURCES_DIR / "CONTRACT.md").read_text(encoding="utf-8")
# The team's shared copy of the sources, when this checkout sits next to it.
SHARED_DOCS = Path(__file__).resolve().parents[1].parent / "shared" / "docs"
SPEC_URI = "https://calendar-spec.invalid/openapi.json"


@pytest.fixture(scope="module")
def strict() -> dict[str, Any]:
    return load_spec("strict")


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    """The document as written, every marker in place (the mock's view)."""
    return load_spec("mock")


# --- CONTRACT.md tables <-> x-contract-rules -------------------------------------------------

@dataclass(frozen=True)
class ContractRow:
    section: str
    first_cell: str
    tag_cell: str  # the last column: "tag", or "source" for the client-habit table

    def tags(self) -> set[str]:
        return set(re.findall(r"\b(DOC|INF|ASM)\b", self.tag_cell))


def split_cells(line: str) -> list[str]:
    """The cells of a markdown table line; a `|` inside backticks or escaped stays in its cell."""
    cells, current, in_code, previous = [], "", False, ""
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code and previous != "\\":
            cells.append(current.strip())
            current = ""
        else:
            current += char
        previous = char
    return [*cells, current.strip()]


def contract_rows(text: str) -> list[ContractRow]:
    """The data rows of every markdown table (the line after a header is its --- separator)."""
    def is_separator(line: str) -> bool:
        return line.startswith("|") and set(line) <= set("|-: ")

    rows, section = [], ""
    lines = [*text.splitlines(), ""]
    for line, following in itertools.pairwise(lines):
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.startswith("|") and not is_separator(line) and not is_separator(following):
            cells = split_cells(line)
            rows.append(ContractRow(section, cells[0], cells[-1]))
    return rows


ROWS = contract_rows(CONTRACT_TEXT)


def test_every_contract_table_was_parsed():
    by_section = {row.section: 0 for row in ROWS}
    for row in ROWS:
        by_section[row.section] += 1
    assert by_section == {"Transport": 6, "Authentication": 4, "Operations": 17,
                          "What real clients send (the mock must accept it)": 6}


def test_contract_rows_are_distinct():
    cells = [row.first_cell for row in ROWS]
    assert len(cells) == len(set(cells)), "a rule's `row` must name one row"


def test_every_contract_row_is_cited_by_a_rule():
    cited = {rule["row"] for rule in rules("strict")}
    assert [row.first_cell for row in ROWS if row.first_cell not in cited] == []


def test_every_rule_cites_a_real_row():
    real = {row.first_cell for row in ROWS}
    assert [rule["id"] for rule in rules("strict") if rule["row"] not in real] == []


def test_rule_ids_are_unique():
    ids = [rule["id"] for rule in rules("strict")]
    assert sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1}) == []


def test_every_rule_has_a_known_tag_and_says_something():
    for rule in rules("strict"):
        assert rule["tag"] in TAGS, rule["id"]
        assert rule["source"].strip() and rule["says"].strip(), rule["id"]


def test_rule_operations_exist(strict):
    known = {operation["operationId"] for _path, _method, operation in operations(strict)}
    assert {(rule["id"], op) for rule in rules("strict") for op in rule["operations"]
            if op not in known} == set()


def _rule_tags_by_row() -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for rule in rules("strict"):
        tags.setdefault(rule["row"], set()).add(rule["tag"])
    return tags


# Rows whose last column names no tag (the client-habit table's "[C1]") are not judged here.
TAGGED_ROWS = [pytest.param(row, id=row.first_cell[:60]) for row in ROWS if row.tags()]


@pytest.mark.parametrize("row", TAGGED_ROWS)
def test_rule_tags_agree_with_the_row(row):
    rule_tags = _rule_tags_by_row().get(row.first_cell, set())
    if row.tags() == {"ASM"}:
        assert "DOC" not in rule_tags, "an ASM-only row cannot yield a documented rule"
    if row.tags() & {"DOC", "INF"}:
        assert rule_tags & {"DOC", "INF"}, "the documented level must check something of it"
    if "ASM" in row.tags():
        assert "ASM" in rule_tags, "the row's assumption must be a rule of its own"


# --- the "Calendar representation" paragraph <-> the Calendar schema -------------------------

_TYPE_WORDS = {"int": "integer", "string": "string", "boolean": "boolean"}
_NO_DEFAULT = object()


@dataclass(frozen=True)
class DocumentedField:
    name: str
    types: frozenset[str]
    limit: int | None
    default: Any
    timestamp: bool


def documented_fields(text: str) -> list[DocumentedField]:
    """Parse "`name` string ≤255; `address` ≤255, `zipcode` ≤16 (string or null); ..."."""
    section = text.split("## Calendar representation", 1)[1].split("\n## ", 1)[0]
    listing = section.split("Fields:", 1)[1].split("The four timing fields", 1)[0]
    fields = []
    for clause in " ".join(listing.split()).rstrip(".").split(";"):
        prose = re.sub(r"`[^`]*`", "", clause)
        timestamp = "date format" in prose
        types = {_TYPE_WORDS[word] for word in re.findall(r"[a-z]+", prose) if word in _TYPE_WORDS}
        types |= {"string"} if timestamp else set()
        assert len(types) == 1, f"no single type in {clause!r}"
        types |= {"null"} if "or null" in prose else set()
        # A limit or a default belongs to the field it follows: "`zipcode` ≤16, `city` ≤64".
        parts = re.split(r"`(\w+)`", clause)
        for name, after in zip(parts[1::2], parts[2::2], strict=True):
            limit = re.search(r"≤\s*(\d+)", after)
            default = re.search(r"\(default ([^)]+)\)", after)
            fields.append(DocumentedField(
                name, frozenset(types), int(limit.group(1)) if limit else None,
                json.loads(default.group(1)) if default else _NO_DEFAULT, timestamp))
    return fields


FIELDS = documented_fields(CONTRACT_TEXT)
FIELD_PARAMS = [pytest.param(field, id=field.name) for field in FIELDS]
READ_ONLY = {"id", "created_at", "updated_at"}


def test_representation_paragraph_was_parsed():
    by_name = {field.name: field for field in FIELDS}
    assert len(by_name) == len(FIELDS) == 16
    assert by_name["zipcode"].limit == 16 and by_name["zipcode"].types == {"string", "null"}
    assert by_name["maxrdv_period"].default == 131400
    assert by_name["deleted"].default is False
    assert by_name["updated_at"].timestamp


def test_representation_fields_are_the_calendar_and_readable_fields(strict):
    names = [field.name for field in FIELDS]
    assert list(resolve_pointer(strict, CALENDAR)["properties"]) == names
    assert strict["components"]["schemas"]["ReadableField"]["enum"] == names


def _types(keywords: dict[str, Any]) -> set[str]:
    kinds = keywords["type"].value if "type" in keywords else []
    return set(kinds) if isinstance(kinds, list) else {kinds}


@pytest.mark.parametrize("field", FIELD_PARAMS)
def test_calendar_schema_matches_the_paragraph(strict, field):
    keywords = flatten(strict, f"{CALENDAR}/properties/{field.name}")
    assert _types(keywords) == field.types
    assert (keywords["maxLength"].value if "maxLength" in keywords else None) == field.limit
    if field.default is not _NO_DEFAULT:
        assert "default" in keywords and keywords["default"].value == field.default
    elif "default" in keywords:
        assert keywords["default"].assumed, "a default the docs do not give must be x-assumed"
    if field.timestamp:
        pattern = keywords["pattern"].value
        assert re.search(pattern, "2010-03-15 17:50:22")
        assert not re.search(pattern, "2010-03-15T17:50:22+01:00")


@pytest.mark.parametrize("field", FIELD_PARAMS)
def test_documented_view_keeps_the_paragraphs_limits_and_defaults(field):
    keywords = flatten(load_spec("documented"), f"{CALENDAR}/properties/{field.name}")
    assert (keywords["maxLength"].value if "maxLength" in keywords else None) == field.limit
    if field.default is not _NO_DEFAULT:
        assert keywords["default"].value == field.default


def _errors(spec: dict[str, Any], pointer: str, instance: Any) -> list[str]:
    registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"},
                                     registry=registry)
    return [error.message for error in validator.iter_errors(instance)]


_SAMPLES = {"integer": 7, "string": "Agenda 2", "boolean": True}
WRITABLE = [pytest.param(field, id=field.name) for field in FIELDS if field.name not in READ_ONLY]


@pytest.mark.parametrize("body", ["CalendarCreateBody", "CalendarUpdateBody"])
@pytest.mark.parametrize("field", WRITABLE)
def test_bodies_accept_every_writable_field(strict, body, field):
    assert field.name in flatten(strict, "/components/schemas/CalendarWrite")["properties"].value
    sample = _SAMPLES[sorted(field.types - {"null"})[0]]
    instance = {"calendar": {"name": "Agenda", field.name: sample}}
    assert _errors(strict, f"/components/schemas/{body}", instance) == []


@pytest.mark.parametrize("body", ["CalendarCreateBody", "CalendarUpdateBody"])
def test_bodies_accept_and_ignore_read_only_keys(strict, body):
    instance = {"calendar": {"name": "Agenda", "id": 1, "created_at": "x", "updated_at": None}}
    assert _errors(strict, f"/components/schemas/{body}", instance) == []


# --- every constraint carries its source -----------------------------------------------------

def _constraints(node: dict[str, Any]) -> list[str]:
    return [key for key in CONSTRAINT_KEYWORDS
            if key in node and (key != "additionalProperties" or node[key] is False)]


def test_schema_walk_reaches_nested_schemas(full):
    pointers = {pointer for pointer, _node in schema_nodes(full)}
    assert {
        "/components/schemas/Error/properties/errors/additionalProperties/items",
        "/components/parameters/Results/schema/anyOf/1",
        "/components/schemas/Calendar/allOf/0",
        "/components/parameters/InterventionIds/schema/items",
        "/paths/~1api~1v1~1sessions~1login/post/responses/200/headers/Set-Cookie/schema",
    } <= pointers
    assert sum(bool(_constraints(node)) for _pointer, node in schema_nodes(full)) > 50


def test_every_constraint_node_names_its_source(full):
    assert [pointer for pointer, node in schema_nodes(full)
            if _constraints(node) and not node.get("x-source", "").strip()] == []


def test_asm_sourced_schema_nodes_are_wholly_assumed(full):
    assert [pointer for pointer, node in schema_nodes(full)
            if "x-source" in node and source_tag(node["x-source"]) == "ASM"
            and node.get("x-assumed") is not True and node.get("x-mock-only") is not True] == []


@pytest.mark.parametrize(("marker", "at_least"), [("x-assumed", 15), ("x-mock-only", 15)])
def test_markers_are_well_formed(full, marker, at_least):
    marked = [(pointer, node) for pointer, node in walk(full) if marker in node]
    assert len(marked) >= at_least
    for pointer, node in marked:
        value = node[marker]
        assert value is True or (isinstance(value, list) and value), pointer
        assert "x-source" in node, pointer
        if isinstance(value, list):
            assert [keyword for keyword in value if keyword not in node] == [], pointer


def test_no_keyword_is_marked_twice(full):
    for pointer, node in walk(full):
        both = {"x-assumed", "x-mock-only"} <= set(node)
        if both and isinstance(node["x-assumed"], list) and isinstance(node["x-mock-only"], list):
            assert not set(node["x-assumed"]) & set(node["x-mock-only"]), pointer


# --- the sources are the shared ones ---------------------------------------------------------

@pytest.mark.parametrize("name", sorted(path.name for path in SOURCES_DIR.iterdir()))
def test_source_matches_the_shared_copy(name):
    shared = SHARED_DOCS / name
    if not shared.exists():
        pytest.skip(f"no shared copy at {shared}")
    assert (SOURCES_DIR / name).read_bytes() == shared.read_bytes()


def test_all_three_sources_are_present():
    assert {path.name for path in SOURCES_DIR.iterdir()} >= {
        "CONTRACT.md", "calendar-api-seed.fr.txt", "clicrdv-api-research.md"}
