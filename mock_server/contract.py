"""Everything the mock takes from spec/, compiled once at start-up.

Routes, parameter and body validators, the writable and read-only fields, their defaults
and types, and the resource limits all come from the OpenAPI document; nothing here
restates a rule of the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import jsonschema_rs
from calendar_spec import load_spec

from .schema_check import SchemaCheck

SPEC_URI = "urn:calendar-contract-kit:spec"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter with its resolved schema and compiled validator."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    validator: SchemaCheck

    @property
    def is_array(self) -> bool:
        return self.schema.get("type") == "array"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    body_validators: dict[str, SchemaCheck]
    success_status: int
    security: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Route:
    """A path template of the spec, matched with and without its aliases' suffixes."""

    template: str
    pattern: re.Pattern[str]
    operations: dict[str, Operation] = field(default_factory=dict)

    @property
    def allowed_methods(self) -> list[str]:
        return sorted(method.upper() for method in self.operations)


class Contract:
    """The compiled spec (strict level: the mock enforces every rule, ours included)."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else load_spec("mock")
        self.registry = jsonschema_rs.Registry([(SPEC_URI, self.spec)])
        self._python_registry: Any = None
        aliases = self.spec.get("x-clicrdv-path-aliases", {})
        self.suffixes: tuple[str, ...] = tuple(aliases.get("suffixes", ()))
        self.limits: dict[str, int] = {
            key: value
            for key, value in self.spec.get("x-clicrdv-limits", {}).items()
            if isinstance(value, int)
        }
        self.routes: list[Route] = [
            self._compile_route(path, item) for path, item in self.spec["paths"].items()
        ]
        self.operations: dict[str, Operation] = {
            op.operation_id: op for route in self.routes for op in route.operations.values()
        }
        self.open_questions: dict[str, dict[str, Any]] = {
            question["id"]: question
            for question in self.spec.get("x-open-questions", {}).get("questions", ())
        }
        self.condition_validator = self.validator_for("#/components/schemas/Condition")
        self.calendar_validator = self.validator_for("#/components/schemas/Calendar")
        self._describe_calendar_fields()

    # -- schema access -----------------------------------------------------------------
    def validator_for(self, pointer: str) -> SchemaCheck:
        pointer = quote(pointer, safe="#/~")  # path templates put braces into pointers
        fast = jsonschema_rs.validator_for({"$ref": SPEC_URI + pointer}, registry=self.registry)
        return SchemaCheck(fast, lambda: self._explainer_for(pointer))

    def _explainer_for(self, pointer: str) -> Any:
        """jsonschema's validator for `pointer`: imported and built only to explain a refusal."""
        from jsonschema import Draft202012Validator

        if self._python_registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
            self._python_registry = Registry().with_resource(SPEC_URI, resource)
        return Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=self._python_registry)

    def resolve(self, node: Any) -> Any:
        """Follow `$ref`s (and single-member `allOf`s) down to a concrete node."""
        while isinstance(node, dict) and "$ref" in node:
            node = self._lookup(node["$ref"])
        return node

    def _lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, not {ref!r}")
        node: Any = self.spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema with its `$ref` and `allOf` members folded in (shallow keywords)."""
        schema = self.resolve(schema)
        result: dict[str, Any] = {}
        for member in schema.get("allOf", []):
            result.update(self.merged(member))
        result.update({key: value for key, value in schema.items() if key != "allOf"})
        return result

    # -- compilation -------------------------------------------------------------------
    def _compile_route(self, template: str, item: dict[str, Any]) -> Route:
        suffixes = "|".join(re.escape(suffix) for suffix in self.suffixes)
        body = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", re.escape(template))
        pattern = re.compile(f"{body}(?:{suffixes})?" if suffixes else body)
        route = Route(template, pattern)
        pointer = "#/paths/" + template.replace("~", "~0").replace("/", "~1")
        for method in HTTP_METHODS:
            if method in item:
                route.operations[method] = self._compile_operation(
                    template, method, item, f"{pointer}/{method}"
                )
        return route

    def _compile_operation(
        self, template: str, method: str, item: dict[str, Any], pointer: str
    ) -> Operation:
        operation = item[method]
        params = self._parameters(item.get("parameters", []), f"{pointer[: pointer.rfind('/')]}")
        params.update(self._parameters(operation.get("parameters", []), pointer))
        content = (operation.get("requestBody") or {}).get("content", {})
        body_validators = {
            media_type: self.validator_for(
                f"{pointer}/requestBody/content/{media_type.replace('/', '~1')}/schema"
            )
            for media_type in content
        }
        statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
        security = operation.get("security", self.spec.get("security", []))
        return Operation(
            operation_id=operation["operationId"],
            method=method,
            path=template,
            path_params=tuple(p for p in params.values() if p.location == "path"),
            query_params=tuple(p for p in params.values() if p.location == "query"),
            body_validators=body_validators,
            success_status=statuses[0],
            security=tuple(frozenset(requirement) for requirement in security),
        )

    def _parameters(self, declared: list[Any], pointer: str) -> dict[tuple[str, str], Parameter]:
        compiled = {}
        for index, entry in enumerate(declared):
            if "$ref" in entry:
                param_pointer, param = entry["$ref"], self.resolve(entry)
            else:
                param_pointer, param = f"{pointer}/parameters/{index}", entry
            compiled[(param["in"], param["name"])] = Parameter(
                name=param["name"],
                location=param["in"],
                required=bool(param.get("required")),
                schema=self.merged(param["schema"]),
                validator=self.validator_for(f"{param_pointer}/schema"),
            )
        return compiled

    def _describe_calendar_fields(self) -> None:
        calendar = self.merged({"$ref": "#/components/schemas/Calendar"})
        writable = self.merged({"$ref": "#/components/schemas/CalendarWrite"})
        self.calendar_fields: tuple[str, ...] = tuple(calendar["properties"])
        self.field_types: dict[str, str] = {}
        self.defaults: dict[str, Any] = {}
        self.maximums: dict[str, int] = {}
        for name, prop in calendar["properties"].items():
            merged = self.merged(prop)
            kinds = merged.get("type", "string")
            kinds = [kinds] if isinstance(kinds, str) else kinds
            self.field_types[name] = next(kind for kind in kinds if kind != "null")
            if "default" in merged:
                self.defaults[name] = merged["default"]
            if "maximum" in merged:
                self.maximums[name] = merged["maximum"]
        self.ignored_fields = frozenset(
            name
            for name, prop in writable["properties"].items()
            if prop.get("$ref", "").endswith("/Ignored")
        )
        self.writable_fields: tuple[str, ...] = tuple(
            name for name in writable["properties"] if name not in self.ignored_fields
        )
        readable = self.merged({"$ref": "#/components/schemas/ReadableField"})
        self.readable_fields: tuple[str, ...] = tuple(readable["enum"])

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.fullmatch(path)  # not `$`: it would accept a trailing newline
            if found:
                return route, found.groupdict()
        return None
