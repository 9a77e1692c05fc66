"""A bounded ring of the requests the mock answered, with secrets masked.

Recording costs a tuple append: the query string and body are kept raw and only parsed
and masked when somebody reads the journal, which is rare next to serving requests.
The proxy (mock_server.proxy) keeps its exchanges in the same ring: an entry is anything with
`method`, `path`, `status`, `violations` and `render(seq)`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..wsgi import query_pairs

MASK = "***"
SECRET_KEYS = frozenset({"apikey", "pro[password]", "password", "_session_id"})
MAX_BODY_CHARS = 4096
# A query is kept up to this many characters: a long filter list fits, a 250 KB query (which a
# server may accept) would make a full journal take gigabytes across namespaces.
MAX_QUERY_CHARS = 8192
CUT = "…"  # the key of the last query pair of a query kept in part: its value counts the rest


def is_secret(key: str) -> bool:
    """A key that holds a secret, however it is spelt (`APIKEY`, `apikey[]`, ` apikey`): a
    deployment may read it so, and masking too much costs nothing."""
    return key.strip().lower().removesuffix("[]") in SECRET_KEYS


def mask_pairs(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[key, MASK if is_secret(key) else value] for key, value in pairs]


def mask_body(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: MASK if is_secret(key) else mask_body(value) for key, value in body.items()}
    if isinstance(body, list):
        return [mask_body(item) for item in body]
    if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + "…"
    return body


# A secret in a body shown cut (no longer JSON or pairs to read): its value as JSON (a string,
# perhaps cut, or a bare value) or in a form (percent-encoded brackets too), up to what ends it.
_SECRET_NAME = r"(?:apikey|password|pro(?:\[|%5B)password(?:\]|%5D)|_session_id)(?:\[\]|%5B%5D)?"
_SECRET_IN_TEXT = re.compile(
    rf'("{_SECRET_NAME}"\s*:\s*)(?:"(?:[^"\\]|\\.)*"?|[^,}}\]\s]*)|((?:^|[&;\s]){_SECRET_NAME}=)[^&;\s]*',
    re.IGNORECASE)


def mask_text(text: str) -> str:
    """`text` with the values of secret keys masked, whatever is cut off around them."""
    return _SECRET_IN_TEXT.sub(
        lambda found: f'{found[1]}"{MASK}"' if found[1] is not None else f"{found[2]}{MASK}", text)


def render_body(raw: bytes | None, mimetype: str) -> Any:
    """What the journal shows of a body: JSON decoded, a form as pairs, else text; masked.
    A body over MAX_BODY_CHARS is shown cut, as text, its secrets masked all the same."""
    if not raw:
        return None
    if len(raw) > MAX_BODY_CHARS:
        return mask_text(raw[:MAX_BODY_CHARS].decode("utf-8", "replace")) + "…"
    try:
        return mask_body(json.loads(raw))
    except (ValueError, RecursionError):
        text = raw.decode("utf-8", "replace")
        if mimetype.endswith("form-urlencoded"):
            return dict(mask_pairs(query_pairs(text)))
        return mask_text(text)  # not JSON (broken, or another type): its secrets found as text


class Entry(NamedTuple):
    """One request as it was received; `render` turns it into the journal's JSON shape."""

    time: float
    method: str
    path: str
    query_string: str
    body: bytes | None
    mimetype: str
    status: int | None
    duration_ms: float
    fault: dict[str, Any] | None = None
    violations: tuple[Any, ...] = ()  # the mock answers as it says: it has none
    refusal: dict[str, Any] | None = None  # why the API refused it: status, message, errors

    def bounded(self) -> Entry:
        """The entry as the journal keeps it: a body only as far as it is shown (its JSON read
        whole below MAX_BODY_CHARS, cut beyond), a query as far as MAX_QUERY_CHARS."""
        query, body = self.query_string, self.body
        if len(query) <= MAX_QUERY_CHARS and (body is None or len(body) <= MAX_BODY_CHARS):
            return self
        if len(query) > MAX_QUERY_CHARS:
            query = f"{query[:MAX_QUERY_CHARS]}&{CUT}={len(query) - MAX_QUERY_CHARS}+more+characters"
        if body is not None and len(body) > MAX_BODY_CHARS:
            body = body[:MAX_BODY_CHARS + 1]  # still over the limit: rendered cut, with its mark
        return self._replace(query_string=query, body=body)

    def render(self, seq: int) -> dict[str, Any]:
        rendered = {
            "seq": seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": mask_pairs(query_pairs(self.query_string)),
            "body": render_body(self.body, self.mimetype),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
        }
        if self.fault is not None:
            rendered["fault"] = self.fault
        if self.refusal is not None:
            rendered["refusal"] = self.refusal
        return rendered


class Journal:
    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError("the journal holds at least one request")
        self._entries: deque[tuple[int, Entry]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: Entry) -> None:
        if isinstance(entry, Entry):
            entry = entry.bounded()
        with self._lock:
            self._sequence += 1
            self._entries.append((self._sequence, entry))

    def entries(self, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        filters = filters or {}
        method = filters.get("method", "").upper()
        path = filters.get("path", "")
        status = filters.get("status", "")
        violations = filters.get("violations", "").lower()
        wanted = {"yes": True, "true": True, "1": True,
                  "no": False, "false": False, "0": False}.get(violations)
        return [
            entry.render(seq) for seq, entry in entries
            if (not method or entry.method == method)
            and (not path or path in entry.path)
            and (not status or str(entry.status).startswith(status.rstrip("x")))
            and (wanted is None or bool(entry.violations) is wanted)
        ]

    def refused(self) -> list[dict[str, Any]]:
        """The requests the API refused as wrong (4xx: validation, auth, routing), each with
        its `refusal`; a 404 for a record the data does not hold is not one."""
        with self._lock:
            entries = list(self._entries)
        return [entry.render(seq) for seq, entry in entries if entry.refusal is not None]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
