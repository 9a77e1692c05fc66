"""A bounded mapping of what was computed lately: the oldest entry goes when it is full."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` entries; reads take no lock, writes do (any thread may judge)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            entries = self._entries
            if len(entries) >= self.size and key not in entries:
                del entries[next(iter(entries))]  # dicts keep insertion order: the oldest
            entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
