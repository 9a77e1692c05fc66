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


# The longest text each field takes (spec/openapi.yaml: Name, PublicName, Address, Zipcode, City).
MAX_LENGTHS = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}


def _cut(text: str, field: str) -> str:
    """`text` cut to, or padded with `a` up to, the field's longest length."""
    size = MAX_LENGTHS[field]
    return text[:size].ljust(size, "a")


def worst_calendar(calendar_id: int, sort: int) -> dict[str, Any]:
    """A calendar of group 4 whose every text is as long as the spec allows: half of them the
    worst case of a backtracking `like` (`a…ab`), half a long common prefix and a number at the
    end (what a sort or a search must read to the last character to tell apart)."""
    record = calendar(calendar_id, sort)
    if calendar_id % 2:
        texts = {field: "a" * (size - 1) + "b" for field, size in MAX_LENGTHS.items()}
    else:
        digits = f"{calendar_id:08d}"
        texts = {
            "name": _cut("Agenda " + "a" * 240 + digits, "name"),
            "publicname": _cut("Agenda public " + "a" * 233 + digits, "publicname"),
            "address": _cut(f"{calendar_id} rue " + "a" * 255, "address")[:-8] + digits,
            "zipcode": _cut(f"{75000 + calendar_id % 20:05d}" + "0" * 16, "zipcode")[:-8] + digits,
            "city": _cut("Paris " + "a" * 64, "city")[:-8] + digits,
        }
    return {**record, **texts}


def worst_seed(group_calendars: int) -> dict[str, Any]:
    """`seed_with(group_calendars)` with every text of group 4 at its longest (`worst_calendar`):
    the worst data a client could create through the API. Ids, calendarsets, interventions and
    the other groups stay as in `seed_with`."""
    seed = seed_with(group_calendars)
    seed["calendars"] = [worst_calendar(c["id"], c["sort"]) if c["group_id"] == GROUP_ID else c
                         for c in seed["calendars"]]
    seed["description"] = (f"Benchmark seed: the demo data with {group_calendars} calendars in group 4, "
                           "every text at its longest.")
    return seed


def write_worst_seed(group_calendars: int, directory: Path) -> Path:
    path = directory / f"seed-worst-{group_calendars}.json"
    if not path.exists():
        path.write_text(json.dumps(worst_seed(group_calendars)), encoding="utf-8")
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
