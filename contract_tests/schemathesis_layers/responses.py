"""Bodies judged against a view of the spec: the answers against the run's level view, and
the documented view's own verdicts (which of a strict view's findings are assumptions of ours)."""

from __future__ import annotations

import functools
from typing import Any

import calendar_spec
from calendar_spec.walk import escape_token, resolve_pointer
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


class DocumentedResponses:
    """Response bodies (and JSON request bodies) validated against a level view of the spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        uri = "urn:calendar-contract-kit:level-view"
        self.registry = Registry().with_resource(
            uri, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self.uri = uri
        self._validators: dict[tuple[str, str, str], Any] = {}

    def validator(self, path: str, method: str, status: int) -> Any:
        operation = self.spec["paths"].get(path, {}).get(method.lower())
        if operation is None:
            return None
        responses = operation.get("responses", {})
        code = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        if code not in responses:
            code = "default" if "default" in responses else ""
        if not code:
            return None
        key = (path, method.lower(), code)
        if key not in self._validators:
            response = responses[code]
            ref = response.get("$ref")
            pointer = ref or f"#/paths/{escape_token(path)}/{method.lower()}/responses/{code}"
            resolved = resolve_pointer(self.spec, ref) if ref else response
            content = resolved.get("content", {}).get("application/json")
            if content is None or "schema" not in content:
                self._validators[key] = None
            else:
                schema = {"$ref": f"{self.uri}{pointer}/content/application~1json/schema"}
                self._validators[key] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def request_body(self, path: str, method: str) -> Any:
        """The validator of the operation's JSON request body; None where it takes none."""
        key = (path, method.lower(), "request")
        if key not in self._validators:
            operation = self.spec["paths"].get(path, {}).get(method.lower()) or {}
            body = operation.get("requestBody", {})
            ref = body.get("$ref")
            pointer = ref or f"#/paths/{escape_token(path)}/{method.lower()}/requestBody"
            resolved = resolve_pointer(self.spec, ref) if ref else body
            content = resolved.get("content", {}).get("application/json")
            schema = {"$ref": f"{self.uri}{pointer}/content/application~1json/schema"}
            self._validators[key] = (Draft202012Validator(schema, registry=self.registry)
                                     if content is not None and "schema" in content else None)
        return self._validators[key]


@functools.cache
def documented_view() -> DocumentedResponses:
    """The documented view's validators, made once: the spec does not change while a run goes."""
    return DocumentedResponses(calendar_spec.load_spec("documented"))


@functools.cache
def strict_view() -> DocumentedResponses:
    """The strict view's validators (the spec's every assumption), made once."""
    return DocumentedResponses(calendar_spec.load_spec("strict"))
