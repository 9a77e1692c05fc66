"""The OpenAPI document itself: valid, self-consistent, and looser at the documented level."""

from __future__ import annotations

import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from calendar_spec import LEVELS, SPEC_PATH, load_spec, rules
from calendar_spec.report import MAP_PATH, main, render
from calendar_spec.walk import (
    operations,
    resolve_pointer,
    schema_nodes,
    target,
    walk,
)
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# An http-like base: relative "#/..." refs inside the document resolve against it (urn: would not).
SPEC_URI = "https://calendar-spec.invalid/openapi.json"
CALENDAR_OPERATIONS = {"listCalendars": "200", "getCalendar": "200", "createCalendar": "201",
                       "updateCalendar": "200", "deleteCalendar": "200"}
# What calendars refer to, read-only: the docs make no write of them plain enough to describe.
REFERENCED_OPERATIONS = {"listInterventions": "200", "getIntervention": "200",
                         "listCalendarsets": "200", "getCalendarset": "200"}
DOCUMENTED_STATUSES = {"200", "201", "400", "401", "403", "404", "405", "500"}
# The docs' own calendar (S6), completed with every field the strict level requires.
DOCS_CALENDAR = {
    "id": 6189, "group_id": 4, "calendarset_id": None, "name": "michel", "publicname": "",
    "address": None, "zipcode": None, "city": None, "sort": 5, "generate_interval": 15,
    "mintime_rdv": 0, "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False,
    "created_at": "2010-03-15 17:50:22", "updated_at": "2010-03-15 17:50:22",
}


def validator(spec: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A 2020-12 validator for the schema at `pointer`, with every $ref of `spec` resolvable."""
    registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
    return Draft202012Validator({"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"},
                                registry=registry)


def errors(spec: dict[str, Any], pointer: str, instance: Any) -> list[str]:
    return [error.message for error in validator(spec, pointer).iter_errors(instance)]


def operations_by_id(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {operation["operationId"]: operation for _path, _method, operation in operations(spec)}


@pytest.fixture(scope="module")
def strict() -> dict[str, Any]:
    return load_spec("strict")


# --- the document is valid OpenAPI and self-consistent ---------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_spec_is_valid_openapi_31(level):
    validate(load_spec(level), cls=OpenAPIV31SpecValidator)


@pytest.mark.parametrize("level", LEVELS)
def test_every_ref_resolves(level):
    spec = load_spec(level)
    refs = [(pointer, node["$ref"]) for pointer, node in walk(spec)
            if isinstance(node.get("$ref"), str)]
    assert len(refs) > 30, "the walk should find the spec's many $refs"
    assert any("/x-" in pointer for pointer, _ref in refs), "refs inside x- extensions count too"
    assert [(pointer, ref) for pointer, ref in refs if not _resolves(spec, ref)] == []


def _resolves(spec: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False  # the spec is one self-contained file
    try:
        resolve_pointer(spec, ref)
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return True


def test_operation_ids_are_the_calendars_the_login_and_what_calendars_refer_to(strict):
    ids = [operation["operationId"] for _path, _method, operation in operations(strict)]
    assert sorted(ids) == sorted([*CALENDAR_OPERATIONS, *REFERENCED_OPERATIONS, "login"])


def test_the_documented_level_keeps_interventions_and_drops_the_assumed_calendarsets():
    ids = {operation["operationId"] for _path, _method, operation in operations(load_spec("documented"))}
    assert {"listInterventions", "getIntervention"} <= ids
    assert not {"listCalendarsets", "getCalendarset"} & ids


@pytest.mark.parametrize(("operation_id", "success"),
                         {**CALENDAR_OPERATIONS, **REFERENCED_OPERATIONS}.items())
def test_calendar_operation_declares_errors_and_its_success(strict, operation_id, success):
    statuses = set(operations_by_id(strict)[operation_id]["responses"])
    assert {success, "400", "401", "403", "404"} <= statuses
    assert {status for status in statuses if status.startswith("2")} == {success}


def test_no_operation_declares_an_undocumented_status(strict):
    declared = {(operation["operationId"], status)
                for _path, _method, operation in operations(strict)
                for status in operation["responses"]}
    assert {pair for pair in declared if pair[1] not in DOCUMENTED_STATUSES} == set()


def test_created_calendar_links_to_show_update_and_delete(strict):
    links = operations_by_id(strict)["createCalendar"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert targets >= {"getCalendar", "updateCalendar", "deleteCalendar"}


def test_every_link_targets_an_existing_operation(strict):
    known = set(operations_by_id(strict))
    targets = [node["operationId"] for pointer, node in walk(strict)
               if "/links/" in pointer and "operationId" in node]
    assert targets, "the spec declares links"
    assert set(targets) <= known


# --- security --------------------------------------------------------------------------------

def test_security_schemes(strict):
    schemes = strict["components"]["securitySchemes"]
    assert schemes["apikey"].items() >= {"type": "apiKey", "in": "query",
                                         "name": "apikey"}.items()
    assert schemes["basicAuth"].items() >= {"type": "http", "scheme": "basic"}.items()
    assert schemes["sessionCookie"].items() >= {"type": "apiKey", "in": "cookie",
                                                "name": "_session_id"}.items()


@pytest.mark.parametrize("operation_id", CALENDAR_OPERATIONS)
def test_calendar_operations_need_apikey_and_a_user(strict, operation_id):
    operation = operations_by_id(strict)[operation_id]
    requirements = operation.get("security", strict["security"])
    assert {frozenset(requirement) for requirement in requirements} == {
        frozenset({"apikey", "basicAuth"}), frozenset({"apikey", "sessionCookie"})}


def test_login_requires_only_the_apikey(strict):
    assert operations_by_id(strict)["login"]["security"] == [{"apikey": []}]


# --- request and response schemas are separate -----------------------------------------------

def test_bodies_and_responses_use_different_schemas(strict):
    by_id = operations_by_id(strict)
    for operation_id in ("createCalendar", "updateCalendar"):
        body = by_id[operation_id]["requestBody"]["content"]["application/json"]["schema"]
        response = by_id[operation_id]["responses"][CALENDAR_OPERATIONS[operation_id]]
        response_schema = response["content"]["application/json"]["schema"]
        assert target(strict, body["$ref"])[0] != target(strict, response_schema["$ref"])[0]
        assert response_schema["$ref"] == "#/components/schemas/Calendar"


def test_calendar_response_allows_fields_a_deployment_adds(strict):
    calendar = strict["components"]["schemas"]["Calendar"]
    assert calendar.get("additionalProperties", True) is not False
    extended = DOCS_CALENDAR | {"color": "#ff0000", "intervention_ids": [21]}
    assert errors(strict, "/components/schemas/Calendar", extended) == []


@pytest.mark.parametrize("body", ["CalendarCreateBody", "CalendarUpdateBody"])
def test_request_bodies_are_strict(strict, body):
    pointer = f"/components/schemas/{body}"
    assert resolve_pointer(strict, "/components/schemas/CalendarWrite")["additionalProperties"] is False
    assert errors(strict, pointer, {"calendar": {"name": "A"}}) == []
    assert errors(strict, pointer, {"calendar": {"name": "A", "color": "red"}}) != []
    assert errors(strict, pointer, {"name": "A"}) != []  # the wrapper is required
    # Top-level keys next to `calendar` are left open by CONTRACT.md: only the mock refuses them.
    assert errors(strict, pointer, {"calendar": {"name": "A"}, "other": 1}) == []
    assert errors(load_spec("mock"), pointer, {"calendar": {"name": "A"}, "other": 1}) != []


# --- every example validates against its schema, at both levels -----------------------------

def _examples(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(schema pointer, where the example is, example value) for every example of the spec."""
    found = []
    for pointer, node in walk(spec):
        if not isinstance(node.get("schema"), dict):
            continue
        if "example" in node:
            found.append((f"{pointer}/schema", f"{pointer}/example", node["example"]))
        for name, example in node.get("examples", {}).items():
            example = target(spec, f"{pointer}/examples/{name}")[1] if "$ref" in example else example
            if "value" in example:
                found.append((f"{pointer}/schema", f"{pointer}/examples/{name}", example["value"]))
    for pointer, schema in schema_nodes(spec):
        for index, value in enumerate(schema.get("examples", [])):
            found.append((pointer, f"{pointer}/examples/{index}", value))
    return found


EXAMPLES = [pytest.param(level, schema, value, id=f"{level}:{where}")
            for level in LEVELS for schema, where, value in _examples(load_spec(level))]


@pytest.mark.parametrize(("level", "schema_pointer", "value"), EXAMPLES)
def test_example_matches_its_schema(level, schema_pointer, value):
    assert errors(load_spec(level), schema_pointer, value) == []


def test_examples_cover_bodies_responses_and_parameters(strict):
    # Guards the parametrized test above against a collector that finds nothing.
    places = [where for _schema, where, _value in _examples(strict)]
    assert sum("calendars/post/requestBody/" in where for where in places) >= 2
    assert sum("/put/requestBody/" in where for where in places) >= 3
    assert sum("calendars/post/responses/201/" in where for where in places) >= 1
    assert sum("calendars/get/responses/200/" in where for where in places) >= 1
    assert sum("login/post/responses/200/" in where for where in places) >= 1
    assert sum(where.startswith("/components/parameters/") for where in places) >= 2


def test_a_wrong_example_would_be_caught(strict):
    # Guards the example test against a validator that accepts everything or stops at $refs.
    assert errors(strict, "/components/schemas/CalendarList", {"records": "none"}) != []
    bad_record = DOCS_CALENDAR | {"name": "n" * 256}
    listing = {"records": [bad_record], "totalRecords": 1, "startIndex": 0, "recordsReturned": 1,
               "pageSize": 25, "sort": None, "dir": None}
    assert errors(strict, "/components/schemas/CalendarList", listing) != []
    assert errors(strict, "/components/schemas/CalendarList",
                  listing | {"records": [DOCS_CALENDAR]}) == []


# --- the documented view ---------------------------------------------------------------------

def test_documented_view_has_no_assumed_marker():
    assert [pointer for pointer, node in walk(load_spec("documented")) if "x-assumed" in node] == []


def test_documented_view_drops_exactly_the_assumed_keywords(strict):
    documented = load_spec("documented")
    for pointer, node in walk(strict):
        if isinstance(node.get("x-assumed"), list):
            kept = resolve_pointer(documented, pointer)
            assert not set(node["x-assumed"]) & set(kept), pointer
            assert set(node) - set(node["x-assumed"]) - {"x-assumed"} <= set(kept), pointer


def test_documented_view_keeps_only_doc_and_inf_rules():
    documented = rules("documented")
    assert {rule["tag"] for rule in documented} <= {"DOC", "INF"}
    assert documented == [rule for rule in rules("strict") if rule["tag"] in {"DOC", "INF"}]
    assert len(documented) < len(rules("strict"))


CALENDAR = "/components/schemas/Calendar"
CREATE_BODY = "/components/schemas/CalendarCreateBody"
UPDATE_BODY = "/components/schemas/CalendarUpdateBody"
RESULTS = "/components/parameters/Results/schema"
ERROR = "/components/schemas/Error"
WITHOUT_DELETED = {key: value for key, value in DOCS_CALENDAR.items() if key != "deleted"}
WITHOUT_NAME = {key: value for key, value in DOCS_CALENDAR.items() if key != "name"}

# (schema, instance, strict accepts, documented accepts)
LEVEL_CASES = {
    "name-256-chars": (CREATE_BODY, {"calendar": {"name": "n" * 256}}, False, False),
    "name-not-a-string": (CREATE_BODY, {"calendar": {"name": 5}}, False, False),
    "empty-name": (CREATE_BODY, {"calendar": {"name": ""}}, False, True),
    "unknown-key": (CREATE_BODY, {"calendar": {"name": "A", "colour": "red"}}, False, True),
    "negative-timing": (CREATE_BODY, {"calendar": {"name": "A", "mintime_rdv": -1}}, False, True),
    # Refusing a body without its wrapper is invalid.rules (ASM): sixth_server.py accepts one, and a
    # documented run judged its 200 to a PUT of {} "schema-violating request accepted".
    "create-without-wrapper": (CREATE_BODY, {}, False, True),
    "update-without-wrapper": (UPDATE_BODY, {"name": "A"}, False, True),
    "calendar-not-an-object": (UPDATE_BODY, {"calendar": ["A"]}, False, False),
    "results-0": (RESULTS, 0, False, False),
    "results-all": (RESULTS, "all", True, True),
    "calendar-as-documented": (CALENDAR, DOCS_CALENDAR, True, True),
    "calendar-without-name": (CALENDAR, WITHOUT_NAME, False, False),
    "calendar-without-deleted": (CALENDAR, WITHOUT_DELETED, False, True),
    "deleted-as-0-or-1": (CALENDAR, DOCS_CALENDAR | {"deleted": 1}, False, True),
    "error-with-error": (ERROR, {"error": "Not found"}, True, True),
}


@pytest.mark.parametrize(("schema", "instance", "strict_accepts", "documented_accepts"),
                         LEVEL_CASES.values(), ids=LEVEL_CASES)
def test_documented_is_looser_only_where_we_assumed(schema, instance, strict_accepts,
                                                    documented_accepts):
    assert (errors(load_spec("strict"), schema, instance) == []) is strict_accepts
    assert (errors(load_spec("documented"), schema, instance) == []) is documented_accepts


# (schema, instance): the mock refuses these, no contract view does - CONTRACT.md does not decide
MOCK_ONLY_CASES = {
    "deleted-as-1-in-a-request": (CREATE_BODY, {"calendar": {"name": "A", "deleted": 1}}),
    "error-without-error": (ERROR, {"message": "Not found"}),
    "sort-past-64-bits": (CREATE_BODY, {"calendar": {"name": "A", "sort": 2**63}}),
    "top-level-extra-key": (CREATE_BODY, {"calendar": {"name": "A"}, "other": 1}),
}


@pytest.mark.parametrize(("schema", "instance"), MOCK_ONLY_CASES.values(), ids=MOCK_ONLY_CASES)
def test_the_mocks_own_bounds_bind_no_deployment(schema, instance):
    assert errors(load_spec("mock"), schema, instance) != []
    assert errors(load_spec("strict"), schema, instance) == []
    assert errors(load_spec("documented"), schema, instance) == []


# --- spec/CONTRACT-MAP.md cannot rot ---------------------------------------------------------

def test_contract_map_is_current():
    assert MAP_PATH.read_text(encoding="utf-8") == render(), (
        "spec/CONTRACT-MAP.md is stale: run `python -m calendar_spec.report`")


def test_report_check_flag_fails_on_a_stale_map(tmp_path):
    stale = tmp_path / "CONTRACT-MAP.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == render()


def test_report_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "calendar_spec.report", "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --- the derived keys of spec/openapi.yaml cannot rot ------------------------------------------
def test_the_derived_keys_are_current():
    result = subprocess.run([sys.executable, "-m", "calendar_spec.derive", "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_new_calendar_field_reaches_the_readable_fields_and_the_write_body():
    """Said once: a field added to Calendar shows up in ReadableField and CalendarWrite."""
    from calendar_spec.derive import rewrite

    text = SPEC_PATH.read_text(encoding="utf-8")
    edited = text.replace("        city: {$ref: \"#/components/schemas/City\"}\n",
                          "        city: {$ref: \"#/components/schemas/City\"}\n"
                          "        country: {$ref: \"#/components/schemas/City\"}\n", 1)
    assert edited != text
    spec = yaml.safe_load(rewrite(edited))
    schemas = spec["components"]["schemas"]
    assert "country" in schemas["ReadableField"]["enum"]
    assert schemas["CalendarWrite"]["properties"]["country"] == {"$ref": "#/components/schemas/City"}
    assert rewrite(rewrite(edited)) == rewrite(edited)


def test_every_asm_rule_is_a_question_or_says_why_not():
    """Each ASM rule is answered by an `assumed` question (so the mock can answer it otherwise
    and the documented level leaves it out), or says why its other answer is not correct."""
    spec = load_spec("strict")
    asm = {rule["id"] for rule in spec["x-contract-rules"] if rule["tag"] == "ASM"}
    questions = spec["x-open-questions"]["questions"]
    by_question = [rule for q in questions for rule in q.get("rules", ())]
    settled = [item["rule"] for item in spec["x-open-questions"]["not-questions"]]
    assert all(q["kind"] == "assumed" for q in questions if q.get("rules"))
    assert all(q.get("rules") for q in questions if q["kind"] == "assumed")
    assert len(set(settled)) == len(settled) and not set(settled) & set(by_question)
    assert set(by_question) | set(settled) == asm
