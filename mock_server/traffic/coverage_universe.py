"""What a test suite could exercise against the mock, read from the spec: its operations, each
operation's responses and query parameters, the filters of its list (the `conditions` ops,
the values of its enumerated parameters, one or several ids in an array filter), the paging
positions, soft-deleted calendars, its security schemes and the kinds of fault.

An item is `(area, subject, key)`: `("statuses", "getCalendar", "404")`; the subject is an
operation, a filter parameter or a security scheme, or None. Nothing here is a hand-typed list of the API:
add an operation, a response or a parameter to the spec and it is an item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from calendar_spec.walk import merged, operation_parameters, operations

from .faults import KINDS

Item = tuple[str, str | None, str]
AREAS = ("operations", "statuses", "parameters", "filters", "paging", "soft_deleted", "auth", "faults")
# The paging vocabulary (CONTRACT.md: `results`, `startIndex`), and the positions of a page.
PAGING_PARAMS = ("startIndex", "results")
PAGING = ("first", "past_first", "past_end", "all")
# Soft-deleted calendars, met three ways: read one, see one in a list, restore one.
SOFT_DELETED = ("shown", "listed", "restored")
CONDITIONS = "conditions"
USER_MISSING = "user credentials"


@dataclass(frozen=True)
class Scheme:
    """A security scheme: where its credential goes (the name an error names it by)."""

    id: str
    kind: str  # "query", "cookie" or "basic"
    name: str  # the query key or cookie name; "Authorization" for Basic


@dataclass
class Universe:
    """Everything that can be covered, in the spec's order, and what the counter needs to
    recognise it in a request."""

    items: list[Item] = field(default_factory=list)
    query_params: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per operation
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # filter param -> values
    arrays: tuple[str, ...] = ()  # filter params that take several ids
    list_operations: tuple[str, ...] = ()  # operations that answer a page of records
    user_operations: frozenset[str] = frozenset()  # operations that identify a user
    schemes: tuple[Scheme, ...] = ()
    condition_ops: tuple[str, ...] = ()

    @property
    def apikey(self) -> Scheme | None:
        return next((s for s in self.schemes if s.kind == "query"), None)

    @property
    def cookie(self) -> Scheme | None:
        return next((s for s in self.schemes if s.kind == "cookie"), None)

    def area(self, name: str) -> list[Item]:
        return [item for item in self.items if item[0] == name]

    @classmethod
    def of(cls, spec: dict[str, Any], fault_kinds: Iterable[str] = KINDS) -> Universe:
        universe = cls()
        add = universe.items.append
        lists, users = [], set()
        schemes = _schemes(spec)
        user_schemes = {s.id for s in schemes if s.kind != "query"}
        for path, method, operation in operations(spec):
            op = operation["operationId"]
            add(("operations", op, op))
            for status in operation.get("responses", {}):
                add(("statuses", op, str(status)))
            params = [merged(spec, p) for p in operation_parameters(spec, path, method)]
            query = tuple(p["name"] for p in params if p.get("in") == "query")
            if "x-clicrdv-conditions" in operation:
                query += (CONDITIONS,)
                universe.condition_ops = _condition_ops(spec, operation["x-clicrdv-conditions"])
                own = {merged(spec, p)["name"] for p in operation.get("parameters", ())}
                universe.enums, universe.arrays = _filters(spec, params, own)
            universe.query_params[op] = query
            if all(name in query for name in PAGING_PARAMS):
                lists.append(op)
            security = operation.get("security", spec.get("security", []))
            if security and all(user_schemes & set(requirement) for requirement in security):
                users.add(op)
        for op in universe.query_params:
            for name in universe.query_params[op]:
                add(("parameters", op, name))
        for value in universe.condition_ops:
            add(("filters", CONDITIONS, value))
        for name, values in universe.enums.items():
            for value in values:
                add(("filters", name, value))
        for name in universe.arrays:
            add(("filters", name, "one"))
            add(("filters", name, "several"))
        if lists:
            universe.items += [("paging", None, position) for position in PAGING]
        if "deleted" in merged(spec, {"$ref": "#/components/schemas/Calendar"}).get("properties", {}):
            universe.items += [("soft_deleted", None, case) for case in SOFT_DELETED]
        for scheme in schemes:
            cases = ("accepted", "missing", "wrong") if scheme.kind == "query" else ("accepted", "wrong")
            universe.items += [("auth", scheme.id, case) for case in cases]
        if user_schemes:
            add(("auth", USER_MISSING, "missing"))
        universe.items += [("faults", None, kind) for kind in fault_kinds]
        universe.list_operations, universe.user_operations = tuple(lists), frozenset(users)
        universe.schemes = schemes
        return universe


def _schemes(spec: dict[str, Any]) -> tuple[Scheme, ...]:
    found = []
    for scheme_id, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "basic":
            found.append(Scheme(scheme_id, "basic", "Authorization"))
        elif scheme.get("type") == "apiKey" and scheme.get("in") in ("query", "cookie"):
            found.append(Scheme(scheme_id, scheme["in"], scheme["name"]))
    return tuple(found)


def _condition_ops(spec: dict[str, Any], conditions: dict[str, Any]) -> tuple[str, ...]:
    schema = merged(spec, conditions.get("schema", {}))
    return tuple(merged(spec, schema.get("properties", {}).get("op", {})).get("enum", ()))


def _filters(spec: dict[str, Any], params: list[dict[str, Any]], own: set[str]
             ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The list's own filter parameters (not paging, not the path's aliases such as `format`):
    the values of each enumerated one, and those that take several ids."""
    enums: dict[str, tuple[str, ...]] = {}
    arrays = []
    for param in params:
        name = param["name"]
        if param.get("in") != "query" or name not in own or name in PAGING_PARAMS:
            continue
        schema = merged(spec, param.get("schema", {}))
        if schema.get("type") == "array":
            arrays.append(name)
        elif schema.get("enum"):
            enums[name] = tuple(str(value) for value in schema["enum"])
    return enums, tuple(arrays)
