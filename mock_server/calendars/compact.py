"""Compact records: dicts that share their key table, and strings stored once.

A seed of 100,000 calendars parsed into plain dicts costs about 470 bytes a calendar before
its strings; a key-sharing dict (PEP 412, the dicts of instances of one class) costs half
that and is still a dict to every reader. Records of one key layout share one table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

MAX_LAYOUTS = 64  # beyond this many distinct key layouts, dicts are made plain


class KeySharing:
    """Makes key-sharing dicts: one holder class per key layout (the keys, in order)."""

    def __init__(self) -> None:
        self._holders: dict[tuple[str, ...], type] = {}
        self._lock = threading.Lock()

    def dict(self, values: dict[str, Any]) -> dict[str, Any]:
        """A key-sharing dict equal to `values`, with its keys in the same order."""
        layout = tuple(values)
        holder = self._holders.get(layout)
        if holder is None:
            with self._lock:
                if len(self._holders) >= MAX_LAYOUTS:
                    return dict(values)
                holder = self._holders.setdefault(layout, type("SharedKeys", (), {}))
        instance = holder()
        for key, value in values.items():
            setattr(instance, key, value)
        return instance.__dict__

    def seed_hook(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """A `json.load` object_hook: every object of a seed made compact, equal strings kept once
        (seeds repeat cities, zip codes and dates a lot)."""
        strings: dict[str, str] = {}

        def hook(parsed: dict[str, Any]) -> dict[str, Any]:
            return self.dict({key: shared(value, strings) for key, value in parsed.items()})

        return hook


def shared(value: Any, strings: dict[str, str]) -> Any:
    """`value`, or the equal string already in `strings` (where a new one is kept)."""
    return strings.setdefault(value, value) if isinstance(value, str) else value
