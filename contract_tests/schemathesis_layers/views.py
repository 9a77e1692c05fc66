"""The views of the spec the generated cases come from.

Positive cases must be accepted by every correct deployment, so they carry only what the
contract guarantees to accept - narrower than any schema says:
- the mock's view (the narrowest: every assumption and bound of ours applies);
- read-only keys (`id`, `created_at`, `updated_at`) and a top-level `apikey` absent: what a
  deployment does with them is an assumption of ours;
- `calendarset_id` one the suite discovered in the group, or null: whether an unknown one is
  refused is left open;
- integers within 32 bits, text without control characters, names not blank: values any
  deployment can store (CONTRACT.md fixes no bound; the mock takes more). Not the ids in paths:
  they name records the deployment made, which may be larger (an id of 9000000017 steered into a
  case must stay valid, or schemathesis takes the case for invalid input accepted);
- ids of 1 and above in the query's id lists (`intervention_ids[]`, `calendarset_ids[]`,
  `calendar_ids[]`): an id of 0 or below names no record, and one deployment matches none while
  another refuses it;
- login with both credentials, in the query: a login without them may get 400 or 401;
- `deleted` false only: whether a PUT of `deleted: true` soft-deletes is an assumption.
A body `group_id` cannot be tied to the path's in a schema; the steering hook of
schemathesis_layers sets it to the path's group (in the spelling generated, 4 or 4.0).

Negative cases come from the level's view; at documented level, those whose only fault may
be a type a deployment coerces ("12" for an integer, 5 for a string: the JSON Schema reading of
types is ASM) are not sent (`coercible_type_case`).
"""

from __future__ import annotations

from typing import Any

import calendar_spec
from calendar_spec.walk import merged, schema_nodes

INT32 = (-(2**31), 2**31 - 1)
PRINTABLE = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
NOT_BLANK = "\\S"
TEXT_SCHEMAS = ("Name", "PublicName", "Address", "Zipcode", "City")
READ_ONLY = ("id", "created_at", "updated_at")
LOGIN = "/api/v1/sessions/login"


def positive_view(calendarsets: list[int]) -> dict[str, Any]:
    """The spec positive cases are generated from (see the module docstring)."""
    spec = calendar_spec.load_spec("mock")  # a fresh copy, changed below
    schemas = spec["components"]["schemas"]
    for key in READ_ONLY:
        schemas["CalendarWrite"]["properties"].pop(key, None)
    for body in ("CalendarCreateBody", "CalendarUpdateBody"):
        schemas[body]["properties"].pop("apikey", None)
    schemas["CalendarsetRef"] = {"type": ["integer", "null"], "enum": [*calendarsets, None],
                                 "x-source": "contract suite: a calendarset it discovered, or null"}
    for name in TEXT_SCHEMAS:
        schemas[name]["pattern"] = PRINTABLE
    schemas["Name"]["allOf"] = [{"pattern": NOT_BLANK}]
    # PUT deleted:true soft-deleting is ASM (a deployment may send you to DELETE): never sent.
    schemas["DeletedInput"] = {"type": "boolean", "enum": [False], "x-source": "contract suite"}
    parameters = spec["components"]["parameters"].values()
    path_ids = {id(parameter["schema"]) for parameter in parameters if parameter.get("in") == "path"}
    for items in _query_id_lists(parameters):
        items["minimum"] = max(items.get("minimum", 1), 1)
    for _, node in schema_nodes(spec):
        if id(node) in path_ids:
            continue
        kinds = node.get("type")
        if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds):
            node["minimum"] = max(node.get("minimum", INT32[0]), INT32[0])
            node["maximum"] = min(node.get("maximum", INT32[1]), INT32[1])
    login = spec["paths"][LOGIN]["post"]
    login.pop("requestBody", None)
    for parameter in login["parameters"]:
        parameter["required"] = True
        if parameter["name"] == "pro[email]":
            parameter["schema"] = {**parameter["schema"], "minLength": 1}
    return spec


def _query_id_lists(parameters: Any) -> list[dict[str, Any]]:
    """The item schemas of the query parameters that list ids (arrays of integers)."""
    return [parameter["schema"]["items"] for parameter in parameters
            if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "array"
            and parameter["schema"].get("items", {}).get("type") == "integer"]


def field_kinds() -> dict[str, str]:
    """Each writable field's JSON type (integer, string, boolean), from the spec."""
    spec = calendar_spec.load_spec("strict")
    kinds = {}
    for name, prop in merged(spec, {"$ref": "#/components/schemas/Calendar"})["properties"].items():
        kind = merged(spec, prop).get("type")
        kinds[name] = next((k for k in ([kind] if isinstance(kind, str) else kind or []) if k != "null"), "")
    return kinds


_KINDS = field_kinds()


def coercible_type_case(body: Any) -> bool:
    """Whether a body holds a scalar of another JSON type than its field's, one a deployment
    may coerce (a digit string, a number for a string, a boolean): refusing it is ASM."""
    calendar = body.get("calendar") if isinstance(body, dict) else None
    if not isinstance(calendar, dict):
        return False
    for name, value in calendar.items():
        kind = _KINDS.get(name)
        if value is None or isinstance(value, dict | list) or kind is None:
            continue
        if kind == "integer" and (isinstance(value, str | bool) or (isinstance(value, float)
                                                                  and not value.is_integer())):
            return True
        if kind == "string" and isinstance(value, int | float | bool):
            return True
        if kind == "boolean" and not isinstance(value, bool):
            return True
    return False
