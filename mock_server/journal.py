"""A bounded ring of the requests the mock answered, with secrets masked."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SECRET_KEYS = frozenset({"apikey", "pro[password]", "password", "_session_id"})
MAX_BODY_CHARS = 4096


def mask_pairs(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[key, MASK if key in SECRET_KEYS else value] for key, value in pairs]


def mask_body(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: MASK if key in SECRET_KEYS else mask_body(value) for key, value in body.items()}
    if isinstance(body, list):
        return [mask_body(item) for item in body]
    if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + "…"
    return body


class Journal:
    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError("the journal holds at least one request")
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._sequence += 1
            self._entries.append({"seq": self._sequence, **entry})

    def entries(self, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        filters = filters or {}
        method = filters.get("method", "").upper()
        path = filters.get("path", "")
        status = filters.get("status", "")
        return [
            entry for entry in entries
            if (not method or entry["method"] == method)
            and (not path or path in entry["path"])
            and (not status or str(entry["status"]).startswith(status.rstrip("x")))
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
