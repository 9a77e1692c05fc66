"""Everything the mock takes from spec/, compiled once at start-up.

Routes, parameter and body validators, which operations identify a user, their success
statuses, the writable and read-only fields, their defaults and types, the open questions
and the resource limits all come from the OpenAPI document; nothing here restates a rule of
the contract.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import jsonschema_rs
from calendar_spec import load_spec
from calendar_spec.walk import HTTP_METHODS, escape_token, merged, path_pattern, path_suffixes

from ..errors import MethodNotAllowed, NoSuchPath
from .schema_check import SchemaCheck
from .seed_shape import seed_schema

SPEC_URI = "urn:calendar-contract-kit:spec"
FORM_TYPE = "application/x-www-form-urlencoded"
# The security schemes that identify a user (an operation that needs one of them needs a user).
USER_SCHEMES = frozenset({"basicAuth", "sessionCookie"})
# The resources calendars refer to (seed key -> schema), read-only in the API.
REFERENCED_SCHEMAS = {"interventions": "Intervention", "calendarsets": "Calendarset"}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter with its resolved schema and compiled validator."""

    name: str
    location: str
    schema: dict[str, Any]
    validator: SchemaCheck

    @property
    def is_array(self) -> bool:
        return self.schema.get("type") == "array"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    body_validators: MappingProxyType[str, SchemaCheck]  # read-only: a Contract is shared
    success_status: int
    identifies_user: bool  # its security asks for Basic auth or the session cookie
    has_conditions: bool  # it takes `conditions[i][field|op|value]` (x-clicrdv-conditions)
    form_fields: frozenset[str] = frozenset()  # the fields of a form-encoded body
    query_defaults: dict[str, Any] = field(default_factory=dict)  # the spec's defaults of its query

    @property
    def takes_json(self) -> bool:
        return "application/json" in self.body_validators


@dataclass(frozen=True)
class Route:
    """A path template of the spec, matched with and without its aliases' suffixes."""

    pattern: re.Pattern[str]
    operations: dict[str, Operation] = field(default_factory=dict)

    @property
    def allowed_methods(self) -> list[str]:
        return sorted(method.upper() for method in self.operations)


class Contract:
    """The compiled spec (the mock's view: it enforces every rule, ours included).

    Nothing writes to a Contract once it is built (its validators are thread-safe, and the
    explainers it builds on first use are the same whoever builds them), so one is shared by
    every mock that does not bring its own: `Contract.default()`."""

    @classmethod
    def default(cls) -> Contract:
        """The contract compiled from spec/ as shipped, compiled once per process: compiling
        costs milliseconds, which a test that builds a fresh mock should not pay each time."""
        return _default_contract()

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else load_spec("mock")
        self.registry = jsonschema_rs.Registry([(SPEC_URI, self.spec)])
        self._python_registry: Any = None
        self.limits: dict[str, int] = {
            key: value
            for key, value in self.spec.get("x-clicrdv-limits", {}).items()
            if isinstance(value, int)
        }
        suffixes = path_suffixes(self.spec)
        self.routes: list[Route] = [
            self._compile_route(path, item, suffixes) for path, item in self.spec["paths"].items()
        ]
        self.operations: dict[str, Operation] = {
            op.operation_id: op for route in self.routes for op in route.operations.values()
        }
        self.open_questions: dict[str, dict[str, Any]] = {
            question["id"]: question
            for question in self.spec.get("x-open-questions", {}).get("questions", ())
        }
        schemes = self.spec.get("components", {}).get("securitySchemes", {})
        self.apikey_name: str = schemes["apikey"]["name"]  # where the application's key goes
        self.condition_validator = self.validator_for("#/components/schemas/Condition")
        self.calendar_validator = self.validator_for("#/components/schemas/Calendar")
        self._describe_calendar_fields()
        # What calendars refer to, as answered: each field of the spec's schema, at its default
        # (null without one), under what the store holds of a record.
        self.reference_shapes: dict[str, dict[str, Any]] = {
            kind: self._shape(schema) for kind, schema in REFERENCED_SCHEMAS.items()}

    # -- schema access -----------------------------------------------------------------
    def validator_for(self, pointer: str) -> SchemaCheck:
        pointer = quote(pointer, safe="#/~")  # path templates put braces into pointers
        return self.validator_of({"$ref": SPEC_URI + pointer})

    @functools.cached_property
    def seed_validator(self) -> SchemaCheck:
        """A seed's records besides its calendars (built when a seed is first checked)."""
        return self.validator_of(seed_schema(self.spec, SPEC_URI))

    def validator_of(self, schema: dict[str, Any]) -> SchemaCheck:
        """A schema that may refer to the spec's (`$ref` under SPEC_URI)."""
        fast = jsonschema_rs.validator_for(schema, registry=self.registry)
        return SchemaCheck(fast, lambda: self._explainer_for(schema))

    def _explainer_for(self, schema: dict[str, Any]) -> Any:
        """jsonschema's validator for `schema`: imported and built only to explain a refusal."""
        from jsonschema import Draft202012Validator

        if self._python_registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
            self._python_registry = Registry().with_resource(SPEC_URI, resource)
        return Draft202012Validator(schema, registry=self._python_registry)

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema with its `$ref` and `allOf` members folded in (shallow keywords)."""
        return merged(self.spec, schema)

    # -- routing -------------------------------------------------------------------------
    def route(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for this method and path, and the path's raw parameters; NotFound
        (NoSuchPath) for a path the spec does not serve, MethodNotAllowed (with the path's methods) for a
        method it does not serve there. HEAD is GET without a body."""
        for route in self.routes:
            found = route.pattern.fullmatch(path)  # not `$`: it would accept a trailing newline
            if found:
                operation = route.operations.get("get" if method == "HEAD" else method.lower())
                if operation is None:
                    raise MethodNotAllowed(method, route.allowed_methods)
                return operation, found.groupdict()
        raise NoSuchPath(f"there is no resource at {path}")

    # -- compilation -------------------------------------------------------------------
    def _compile_route(self, template: str, item: dict[str, Any], suffixes: tuple[str, ...]) -> Route:
        route = Route(path_pattern(template, suffixes))
        pointer = "#/paths/" + escape_token(template)
        for method in HTTP_METHODS:
            if method in item:
                route.operations[method] = self._compile_operation(method, item, f"{pointer}/{method}")
        return route

    def _compile_operation(self, method: str, item: dict[str, Any], pointer: str) -> Operation:
        operation = item[method]
        params = self._parameters(item.get("parameters", []), f"{pointer[: pointer.rfind('/')]}")
        params.update(self._parameters(operation.get("parameters", []), pointer))
        content = (operation.get("requestBody") or {}).get("content", {})
        body_validators = MappingProxyType({
            media_type: self.validator_for(
                f"{pointer}/requestBody/content/{escape_token(media_type)}/schema"
            )
            for media_type in content
        })
        statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
        security = operation.get("security", self.spec.get("security", []))
        return Operation(
            operation_id=operation["operationId"],
            path_params=tuple(p for p in params.values() if p.location == "path"),
            query_params=tuple(p for p in params.values() if p.location == "query"),
            query_defaults={p.name: p.schema["default"] for p in params.values()
                            if p.location == "query" and "default" in p.schema},
            body_validators=body_validators,
            success_status=statuses[0],
            identifies_user=bool(security) and all(USER_SCHEMES & set(req) for req in security),
            has_conditions="x-clicrdv-conditions" in operation,
            form_fields=frozenset(self.merged(content[FORM_TYPE]["schema"]).get("properties", {}))
            if FORM_TYPE in content else frozenset(),
        )

    def _parameters(self, declared: list[Any], pointer: str) -> dict[tuple[str, str], Parameter]:
        compiled = {}
        for index, entry in enumerate(declared):
            param_pointer = entry.get("$ref") or f"{pointer}/parameters/{index}"
            param = self.merged(entry)
            compiled[(param["in"], param["name"])] = Parameter(
                name=param["name"],
                location=param["in"],
                schema=self.merged(param["schema"]),
                validator=self.validator_for(f"{param_pointer}/schema"),
            )
        return compiled

    def _shape(self, schema: str) -> dict[str, Any]:
        # A view without the kit's assumptions (the proxy's documented view) may drop the schema.
        properties = self.merged({"$ref": f"#/components/schemas/{schema}"}).get("properties", {})
        return {name: self.merged(prop).get("default") for name, prop in properties.items()}

    def _describe_calendar_fields(self) -> None:
        calendar = self.merged({"$ref": "#/components/schemas/Calendar"})
        self.calendar_fields: tuple[str, ...] = tuple(calendar["properties"])
        self.field_types: dict[str, str] = {}
        self.defaults: dict[str, Any] = {}
        self.maximums: dict[str, int] = {}
        ignored = []
        for name, prop in calendar["properties"].items():
            described = self.merged(prop)
            kinds = described.get("type", "string")
            kinds = [kinds] if isinstance(kinds, str) else kinds
            self.field_types[name] = next(kind for kind in kinds if kind != "null")
            if "default" in described:
                self.defaults[name] = described["default"]
            if "maximum" in described:
                self.maximums[name] = described["maximum"]
            if described.get("readOnly"):
                ignored.append(name)
        # Read-only keys in a body are accepted and ignored; every other field is written.
        self.ignored_fields = frozenset(ignored)
        self.writable_fields: tuple[str, ...] = tuple(
            name for name in self.calendar_fields if name not in self.ignored_fields)
        self.readable_fields: tuple[str, ...] = self.calendar_fields


@functools.cache
def _default_contract() -> Contract:
    return Contract()
