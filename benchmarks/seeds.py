"""Seed files: the mock's fixtures with N calendars in group 4, and json-server's db and routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calendar_fixtures import DEMO_PATH

GROUP_ID = 4
CALENDARSETS = (8, 12, None)


def demo_seed() -> dict[str, Any]:
    return json.loads(DEMO_PATH.read_text(encoding="utf-8"))


def calendar(calendar_id: int, sort: int) -> dict[str, Any]:
    """A valid Calendar of group 4, with a little variety for filters and sorting."""
    stamp = f"2024-{1 + calendar_id % 12:02d}-{1 + calendar_id % 28:02d} {calendar_id % 24:02d}:00:00"
    return {
        "id": calendar_id,
        "group_id": GROUP_ID,
        "calendarset_id": CALENDARSETS[calendar_id % len(CALENDARSETS)],
        "name": f"Agenda {calendar_id:06d}",
        "publicname": f"Agenda public {(calendar_id * 7919) % 100_003:06d}",
        "address": None,
        "zipcode": f"{75000 + calendar_id % 20:05d}",
        "city": "Paris",
        "sort": sort,
        "generate_interval": 15,
        "mintime_rdv": 0,
        "maxrdv_period": 131400,
        "mintime_annulation": 2880,
        "deleted": calendar_id % 50 == 0,
        "created_at": stamp,
        "updated_at": stamp,
    }


def seed_with(group_calendars: int) -> dict[str, Any]:
    """The demo seed with `group_calendars` calendars in group 4 (its own 8 kept first)."""
    seed = demo_seed()
    own = [c for c in seed["calendars"] if c["group_id"] == GROUP_ID]
    next_id = max(c["id"] for c in seed["calendars"]) + 1
    extra = [calendar(next_id + i, len(own) + i + 1) for i in range(max(0, group_calendars - len(own)))]
    seed["calendars"] = seed["calendars"] + extra
    seed["description"] = f"Benchmark seed: the demo data with {group_calendars} calendars in group 4."
    return seed


def write_seed(group_calendars: int, directory: Path) -> Path:
    path = directory / f"seed-{group_calendars}.json"
    if not path.exists():
        path.write_text(json.dumps(seed_with(group_calendars)), encoding="utf-8")
    return path


def write_json_server_files(directory: Path) -> tuple[Path, Path]:
    """A fresh db.json with the demo's group-4 calendars, and routes onto the mock's paths."""
    calendars = [c for c in demo_seed()["calendars"] if c["group_id"] == GROUP_ID]
    db = directory / "json-server-db.json"
    db.write_text(json.dumps({"calendars": calendars}, indent=2), encoding="utf-8")
    routes = directory / "json-server-routes.json"
    # One wildcard rule: express-urlrewrite matches the whole URL, query string included.
    routes.write_text(json.dumps({f"/api/v1/groups/{GROUP_ID}/calendars*": "/calendars$1"}, indent=2),
                      encoding="utf-8")
    return db, routes
