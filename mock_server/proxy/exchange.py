"""One exchange through the proxy, as the journal keeps it and the report counts it.

Kept raw (a tuple append per request), rendered with secrets masked only when read, as the
mock's own journal entries are (mock_server.traffic.journal).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..traffic.journal import MAX_BODY_CHARS, mask_pairs, render_body
from ..wsgi import query_pairs
from .findings import Violation


class Exchange(NamedTuple):
    time: float
    method: str
    path: str
    query_string: str
    body: bytes | None  # the request body's first bytes (the journal shows no more)
    mimetype: str
    status: int | None
    duration_ms: float
    violations: tuple[Violation, ...] = ()
    checked: frozenset[str] = frozenset()
    operation: str = ""
    request_problems: tuple[dict[str, Any], ...] = ()
    blocked: str | None = None  # the rule --block refused the request under
    upstream_error: str | None = None
    notes: tuple[str, ...] = ()

    def render(self, seq: int) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "seq": seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": mask_pairs(query_pairs(self.query_string)),
            "body": render_body(self.body[:MAX_BODY_CHARS + 1] if self.body else None, self.mimetype),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "operation": self.operation or None,
            "violations": [violation.as_dict() for violation in self.violations],
        }
        if self.request_problems:
            rendered["request_problems"] = list(self.request_problems)
        if self.blocked:
            rendered["blocked"] = self.blocked
        if self.upstream_error:
            rendered["upstream_error"] = self.upstream_error
        if self.notes:
            rendered["notes"] = list(self.notes)
        return rendered

    def summary_line(self) -> dict[str, Any]:
        """The NDJSON line of the report: no body, no query (they may hold secrets)."""
        line: dict[str, Any] = {
            "time": round(self.time, 3), "method": self.method, "path": self.path, "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "violations": [violation.as_dict() for violation in self.violations],
        }
        if self.blocked:
            line["blocked"] = self.blocked
        if self.upstream_error:
            line["upstream_error"] = self.upstream_error
        return line


def violations_header(violations: tuple[Violation, ...] | list[Violation], limit: int) -> str:
    """`<count>; <rule>, <rule>, …` (each rule once, in the order met), within `limit` characters:
    rules that do not fit are counted, never left out silently (`… +N more`)."""
    rules = list(dict.fromkeys(violation.rule for violation in violations))
    text = str(len(violations))
    if not rules:
        return text
    shown: list[str] = []
    for index, rule in enumerate(rules):
        candidate = f"{len(violations)}; {', '.join([*shown, rule])}"
        left = len(rules) - index - 1
        tail = f", … +{left} more" if left else ""
        if len(candidate) + len(tail) > limit:
            hidden = len(rules) - len(shown)
            return f"{len(violations)}; {', '.join(shown)}{', ' if shown else ''}… +{hidden} more"
        shown.append(rule)
    return f"{len(violations)}; {', '.join(shown)}"
