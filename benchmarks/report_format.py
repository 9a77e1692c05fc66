"""Names and number formats the report's tables share."""

from __future__ import annotations

from typing import Any

PEERS = ("mock", "mock-waitress", "prism", "prism-quiet", "json-server")
OTHERS = PEERS[1:]
EXTERNAL = ("prism", "prism-quiet", "json-server")  # the tools a user would pick instead
OPERATIONS = ("list", "show", "create", "update")
OP_NAMES = {"list": "filtered list", "show": "show", "create": "create", "update": "update"}


def num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:.2f}×"


def load_cell(results: dict, peer: str, operation: str, connections: int) -> dict:
    load = results.get("load", {})
    return (load.get(peer, {}).get("operations", {}).get(operation, {})
            .get("by_connections", {}).get(str(connections), {}))


def peak_under_load(results: dict, peer: str) -> float | None:
    cells = [load_cell(results, peer, op, c) for op in OPERATIONS for c in (1, 16)]
    peaks = [c["peak_rss_mb"] for c in cells if "peak_rss_mb" in c]
    return max(peaks) if peaks else None
