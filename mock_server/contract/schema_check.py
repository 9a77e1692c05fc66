"""Compiled JSON Schemas: a fast verdict from jsonschema-rs, an explanation from jsonschema.

Every request is judged by the Rust validator (hundreds of times faster); only a refused
value is run through the pure-Python `jsonschema`, whose errors say which keyword failed
where, to build the field-by-field error body. tests/test_schema_verdicts.py proves both
give the same verdict on the spec's schemas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class SchemaCheck:
    """One schema of the spec: `is_valid` is fast; `iter_errors` explains a refusal."""

    __slots__ = ("_explainer", "_fast", "_make_explainer")

    def __init__(self, fast: Any, make_explainer: Callable[[], Any]) -> None:
        self._fast = fast
        self._make_explainer = make_explainer
        self._explainer: Any = None

    def is_valid(self, instance: Any) -> bool:
        return self._fast.is_valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        """jsonschema ValidationErrors for `instance`; none at all when it is valid."""
        if self._fast.is_valid(instance):
            return iter(())
        return self.explainer().iter_errors(instance)

    def explainer(self) -> Any:
        """The pure-Python validator, built on first use (slow to import and to run)."""
        if self._explainer is None:
            self._explainer = self._make_explainer()
        return self._explainer
