"""Request patterns over the journal: which requests match, and, when none does as expected,
which came closest and what differs (WireMock's near misses).

A pattern has a method, a path (a template such as `/api/v1/groups/{group_id}/calendars`, a
placeholder matching one segment and the path matching with or without its `.json` suffix;
or, starting with `^`, an RE2 regular expression searched in the path), query `params` (a
subset: each key given must be there, a value equal to one of its values, a list equal to
all of them in order) and a JSON `body` (a subset: each key given must be there with a
matching value; lists match item by item). Secrets are masked in the journal: a pattern
cannot ask for them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

from ..errors import BadRequest

ANY = object()  # a body the pattern does not look at
NEAR_MISSES = 3
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")
PATTERN_KEYS = frozenset({"method", "path", "params", "body"})


@dataclass(frozen=True)
class RequestPattern:
    method: str | None = None
    path: str | None = None
    params: Mapping[str, Any] | None = None
    body: Any = ANY
    _path_matcher: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, method: Any = None, path: Any = None, params: Any = None, body: Any = ANY) -> RequestPattern:
        """A pattern from its parts; BadRequest naming the part that cannot be one."""
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise BadRequest.field("method", "must be an HTTP method name such as GET")
        if params is not None and not isinstance(params, Mapping):
            raise BadRequest.field("params", "must be an object of query parameter names to values")
        for name, value in (params or {}).items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(item, dict | list) for item in values):
                raise BadRequest.field(f"params.{name}", "must be a value or a list of values")
        text = path.pattern if isinstance(path, re.Pattern) else path
        return cls(method.upper() if method else None, text, params, body, _path_matcher(path))

    @classmethod
    def from_json(cls, document: Any) -> RequestPattern:
        """A pattern sent to the control plane: `{method, path, params, body}`, each optional."""
        if not isinstance(document, dict):
            raise BadRequest.field("pattern", "must be a JSON object with method, path, params, body")
        unknown = set(document) - PATTERN_KEYS
        if unknown:
            raise BadRequest.field(sorted(unknown)[0], "is not a pattern key (method, path, params, body)")
        return cls.of(document.get("method"), document.get("path"), document.get("params"),
                      document.get("body", ANY))

    def matches(self, entry: dict[str, Any]) -> bool:
        return not self.differences(entry)

    def differences(self, entry: dict[str, Any]) -> list[str]:
        """What keeps a journal entry from matching, one readable line per difference."""
        found = []
        if self.method is not None and entry["method"] != self.method:
            found.append(f"method is {entry['method']}, expected {self.method}")
        if self._path_matcher is not None and not self._path_matcher(entry["path"]):
            found.append(f"path {entry['path']} does not match {self.path}")
        found += _params_differences(self.params or {}, entry["query"])
        if self.body is not ANY and entry["body"] is None and self.body is not None:
            found.append(f"body: none was sent, expected {_shown(self.body)}")
        elif self.body is not ANY:
            found += _body_differences(self.body, entry["body"], "body")
        return found

    def score(self, entry: dict[str, Any]) -> float:
        """How close an entry comes (higher is closer): the path weighs most, then the body."""
        score = 0.0
        if self.method is None or entry["method"] == self.method:
            score += 1
        if self._path_matcher is None or self._path_matcher(entry["path"]):
            score += 3
        else:
            score += 2 * difflib.SequenceMatcher(None, self.path or "", entry["path"]).ratio()
        checks = len(self.params or {}) + (0 if self.body is ANY else _leaves(self.body))
        if checks:
            missed = len(_params_differences(self.params or {}, entry["query"]))
            if self.body is not ANY:
                missed += len(_body_differences(self.body, entry["body"], "body"))
            score += 2 * max(0, checks - missed) / checks
        return score

    def describe(self) -> str:
        parts = [self.method or "any method", self.path or "any path"]
        if self.params:
            parts.append(f"params {json.dumps(self.params, ensure_ascii=False)}")
        if self.body is not ANY:
            parts.append(f"body {json.dumps(self.body, ensure_ascii=False)}")
        return " ".join(parts)

    # -- over a journal ------------------------------------------------------------------
    def find(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [entry for entry in entries if self.matches(entry)]

    def near_misses(self, entries: list[dict[str, Any]], count: int = NEAR_MISSES) -> list[dict[str, Any]]:
        """The `count` entries that do not match but come closest, the latest first among
        equals, each with what differs."""
        misses = [entry for entry in entries if not self.matches(entry)]
        misses.sort(key=lambda entry: (self.score(entry), entry["seq"]), reverse=True)
        return [{"request": entry, "differences": self.differences(entry)} for entry in misses[:count]]

    def verify(self, entries: list[dict[str, Any]], times: int | None = None,
               capacity: int | None = None) -> str | None:
        """None when the journal holds as many matching requests as expected (`times`, or at
        least one); else why not, with the matches and the closest misses."""
        matching = self.find(entries)
        if (len(matching) == times) if times is not None else matching:
            return None
        expected = f"exactly {times}" if times is not None else "at least 1"
        lines = [f"expected {expected} request(s) matching {self.describe()}; "
                 f"the journal holds {len(matching)} of {len(entries)} request(s)"]
        if capacity is not None and len(entries) >= capacity:
            lines[0] += f" (it keeps the last {capacity} only)"
        if matching:
            lines.append("matching:")
            lines += [f"  {request_line(entry)}" for entry in matching]
        misses = self.near_misses(entries)
        if misses:
            lines.append("closest requests that do not match:")
            for miss in misses:
                lines.append(f"  {request_line(miss['request'])}")
                lines += [f"      {difference}" for difference in miss["differences"]]
        return "\n".join(lines)


def request_line(entry: dict[str, Any]) -> str:
    """`#3 POST /api/v1/groups/4/calendars?apikey=*** -> 400` (secrets stay masked)."""
    query = "&".join(f"{key}={value}" for key, value in entry["query"])
    target = entry["path"] + ("?" + query if query else "")
    return f"#{entry['seq']} {entry['method']} {target} -> {entry['status']}"


def _path_matcher(path: Any) -> Any:
    if path is None:
        return None
    if isinstance(path, re.Pattern):
        return lambda text: path.search(text) is not None
    if not isinstance(path, str) or not path.startswith(("/", "^")):
        raise BadRequest.field("path", "must be a path template starting with / or an RE2 expression "
                                        "starting with ^")
    if path.startswith("^"):
        try:
            compiled = re2.compile(path, _RE2_OPTIONS)
        except re2.error as error:
            raise BadRequest.field("path", f"is not a valid (RE2) regular expression: {error}") from None
        return lambda text: compiled.search(text) is not None
    pieces = _PLACEHOLDER.split(path.removesuffix(".json"))
    template = re.compile("[^/]+".join(map(re.escape, pieces)) + r"(?:\.json)?")
    return lambda text: template.fullmatch(text) is not None


def _params_differences(expected: Mapping[str, Any], query: list[list[str]]) -> list[str]:
    given: dict[str, list[str]] = {}
    for key, value in query:
        given.setdefault(key, []).append(value)
    found = []
    for name, value in expected.items():
        values = given.get(name)
        if values is None:
            found.append(f"params: {name} missing")
        elif isinstance(value, list):
            if values != [_text(item) for item in value]:
                found.append(f"params: {name} is {values}, expected {[_text(item) for item in value]}")
        elif _text(value) not in values:
            shown = values[0] if len(values) == 1 else values
            found.append(f"params: {name} is {shown!r}, expected {_text(value)!r}")
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body_differences(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where} is {_shown(actual)}, expected an object"]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key} missing")
            else:
                found += _body_differences(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where} is {_shown(actual)}, expected {_shown(expected)}"]
        return [line for index, item in enumerate(expected)
                for line in _body_differences(item, actual[index], f"{where}[{index}]")]
    if not _same(expected, actual):
        return [f"{where} is {_shown(actual)}, expected {_shown(expected)}"]
    return []


def _same(expected: Any, actual: Any) -> bool:
    """JSON equality: 1 equals 1.0, but true is not 1."""
    return isinstance(expected, bool) == isinstance(actual, bool) and expected == actual


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(item) for item in value.values()) or 1
    if isinstance(value, list):
        return sum(_leaves(item) for item in value) or 1
    return 1


def _shown(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
