"""Turn JSON Schema validation errors into `{field: [problem]}` a client can act on."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import ValidationError

_ARTICLES = {"integer": "an integer", "object": "an object", "array": "an array"}


# A refusal explains this many problems at most: explaining one costs far more than finding
# it (jsonschema builds an error object), and a request may hold thousands.
MAX_PROBLEMS = 20
MORE = "more"  # the errors key that counts the problems left unexplained


def field_problems(
    errors: Iterable[ValidationError], root: str, *, nested_in_root: bool = True
) -> dict[str, list[str]]:
    """Problems keyed by field path (`calendar.name`, `ids[][2]`); `root` names the whole value.
    At most MAX_PROBLEMS errors are explained (`errors` is read no further), and at most
    MAX_PROBLEMS fields listed: one error may name thousands (unknown keys), the rest counted.

    With `nested_in_root` false, paths inside the value leave the root out (a body's fields
    are `calendar.name`, not `body.calendar.name`).
    """
    explained = list(itertools.islice(errors, MAX_PROBLEMS))
    if not explained:  # the common case, on every parameter of every request
        return {}
    problems = Problems()
    for error in sorted(explained, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))):
        for field, problem in _explain(error, root, nested_in_root):
            problems.add({field: [problem]})
    return problems.listed()


def summary(problems: dict[str, list[str]]) -> str:
    return "; ".join(f"{field} {problem}" if field != MORE else problem
                     for field, items in problems.items() for problem in items)


class Problems(dict[str, list[str]]):
    """Problems keyed by field, at most MAX_PROBLEMS fields listed; the rest only counted."""

    def __init__(self) -> None:
        super().__init__()
        self.unlisted = 0

    @property
    def full(self) -> bool:
        return len(self) >= MAX_PROBLEMS

    def add(self, found: dict[str, list[str]]) -> None:
        for field, items in found.items():
            if field in self or not self.full:
                self.setdefault(field, []).extend(item for item in items if item not in self.get(field, ()))
            else:
                self.unlisted += 1

    def listed(self) -> dict[str, list[str]]:
        """The problems, with a last entry counting the unlisted ones."""
        if not self.unlisted:
            return dict(self)
        return {**self, MORE: [f"and {self.unlisted:,} more problems"]}


def _path(root: str, parts: Iterable[Any]) -> str:
    text = root
    for part in parts:
        text = f"{text}[{part}]" if isinstance(part, int) else (f"{text}.{part}" if text else part)
    return text or root


def _explain(error: ValidationError, root: str, nested_in_root: bool) -> list[tuple[str, str]]:
    inside = error.absolute_path
    where = _path(root if nested_in_root else "", inside) if inside else root
    keyword, expected, schema = error.validator, error.validator_value, error.schema
    container = where if inside else (root if nested_in_root else "")
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(expected)
        return [(f"{container}.{missing}" if container else missing, "is required")]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties", {}))
        extra = sorted(key for key in error.instance if key not in known)
        prefix = container
        return [(f"{prefix}.{key}" if prefix else key, "is not a known field") for key in extra]
    return [(where, _describe(keyword, expected, error))]


def _describe(keyword: str, expected: Any, error: ValidationError) -> str:
    if keyword == "type":
        kinds = [expected] if isinstance(expected, str) else list(expected)
        return "must be " + " or ".join(_ARTICLES.get(kind, f"a {kind}") for kind in kinds)
    if keyword == "maxLength":
        return f"is longer than {expected} characters"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"is shorter than {expected} characters"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "maxItems":
        return f"has more than {expected} items"
    if keyword == "enum":
        return "must be one of " + ", ".join(str(value) for value in expected)
    if keyword == "const":
        return f"must be {expected!r}"
    if keyword == "pattern":
        described = error.schema.get("description")
        return f"has an invalid format ({described.rstrip('.')})" if described else "has an invalid format"
    if keyword in ("anyOf", "oneOf"):
        return "must be " + " or ".join(_alternative(branch) for branch in expected)
    return error.message


def _alternative(branch: dict[str, Any]) -> str:
    if "const" in branch:
        return repr(branch["const"])
    kind = branch.get("type", "value")
    text = _ARTICLES.get(kind, f"a {kind}") if isinstance(kind, str) else "a value"
    bounds = [f"at least {branch['minimum']}"] if "minimum" in branch else []
    bounds += [f"at most {branch['maximum']}"] if "maximum" in branch else []
    return f"{text} {' and '.join(bounds)}".strip()
