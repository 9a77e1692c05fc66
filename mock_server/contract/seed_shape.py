"""The shape of a seed's records besides calendars (which are checked against the spec's Calendar
one by one): apikeys, groups, users, calendarsets and interventions, as JSON Schema over the
spec's own field schemas, so that a bad seed is refused naming the record and the field instead
of failing later, in a request (a string id, a `group_ids` of "45" read as groups 4 and 5).
"""

from __future__ import annotations

from typing import Any

SPEC_SCHEMAS = "#/components/schemas/"
# A seed's calendar ids stay within what JavaScript clients read exactly (2^53), which leaves
# the ids the mock's creates hand out after them below the largest a path may hold (2^63 - 1).
MAX_SEED_CALENDAR_ID = 2**53


def _spec(name: str, uri: str) -> dict[str, Any]:
    return {"$ref": f"{uri}{SPEC_SCHEMAS}{name}"}


def _records(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "required": required, "properties": properties}}


def seed_schema(spec: dict[str, Any], uri: str) -> dict[str, Any]:
    """The seed document's schema; `uri` is where the spec is registered for `$ref`."""
    schemas = spec["components"]["schemas"]
    ref = _spec("GroupRef", uri)  # an id of the spec's integer bounds
    timestamp = _spec("Timestamp", uri)

    def fields_of(name: str, **extra: Any) -> dict[str, Any]:
        """The spec schema's fields, each as the spec says, ids bounded like references."""
        return {field: {"$ref": f"{uri}{SPEC_SCHEMAS}{name}/properties/{field}"}
                for field in schemas[name].get("properties", {})} | {"id": ref, "group_id": ref} | extra

    text = {"type": "string", "minLength": 1}
    return {
        "type": "object",
        "properties": {
            "apikeys": _records(["key"], {"key": text}),
            "groups": _records(["id"], {"id": ref, "name": {"type": "string"}}),
            "users": _records(["id", "email", "password", "group_id"], {
                "id": ref, "email": text, "password": {"type": "string"}, "group_id": ref,
                "group_ids": {"type": "array", "items": ref}, "created_at": timestamp}),
            "calendarsets": _records(["id", "group_id"], fields_of("Calendarset")),
            "interventions": _records(["id", "group_id"], fields_of(
                "Intervention", calendar_ids={"type": "array", "items": ref})),
            # each calendar is checked whole against the spec's Calendar, naming its place and id
            "calendars": {"type": "array", "items": {"properties": {
                "id": {"type": "integer", "maximum": MAX_SEED_CALENDAR_ID}}}},
        },
    }
