"""Two answers to the same step, made comparable and compared.

Normalised away, because they must differ: B's ids of the run's calendars (mapped to A's, slot
by slot), the value of `created_at`/`updated_at` (only "present, in the API's date format" is
kept), the strings each side names its own way (`Naming.texts`: the run's name prefix of each
side; a replay's user), the group id when the sides work in different groups (in `group_id` and
as a number in a text), and the order of JSON keys. Everything else that differs is a
`Difference`; `false` and `0` differ. `calendar-contract replay` compares with these too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..http import Exchange
from .sides import Side

TIMESTAMP_KEYS = ("created_at", "updated_at")
API_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
A_TIMESTAMP = "<YYYY-MM-DD HH:MM:SS>"
# The kinds, in the order a step's report lists them.
KINDS = ("unpaired", "status", "header", "body", "keys", "value", "records", "order")


@dataclass
class Difference:
    """`kind` (one of KINDS) at `path`: what A answered and what B answered."""

    kind: str
    path: str
    a: Any
    b: Any
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "a": self.a, "b": self.b, "count": self.count}


@dataclass(frozen=True)
class Naming:
    """What one side names its own way: its group id, and strings of its own, each replaced by
    a token (in this order) wherever a text holds it."""

    group_id: int
    texts: tuple[tuple[str, str], ...] = ()


def normalise(value: Any, naming: Naming, ids: dict[int, Any], group: Any) -> Any:
    """`value` with this side's ids replaced by `ids`, its own strings by their tokens and its
    group id by `group` (when given); the group id and the ids also where a text holds them as
    a number of their own (a message, a deployment's own field such as `"calendar-106"`)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIMESTAMP_KEYS and isinstance(item, str) and API_DATE.fullmatch(item):
                out[key] = A_TIMESTAMP
            elif key == "id" and _is_int(item) and item in ids:
                out[key] = ids[item]
            elif key == "group_id" and group is not None and item == naming.group_id and _is_int(item):
                out[key] = group
            else:
                out[key] = normalise(item, naming, ids, group)
        return out
    if isinstance(value, list):
        return [normalise(item, naming, ids, group) for item in value]
    if isinstance(value, str):
        text = value
        for own, token in naming.texts:
            text = text.replace(own, token) if own else text
        # In a sentence ("does not exist in group 4"), the group id as a number of its own.
        if group is not None:
            text = re.sub(rf"(?<![\w.]){naming.group_id}(?![\w.])", group, text)
        if any(key != mapped for key, mapped in ids.items()):
            text = _NUMBER.sub(lambda found: str(ids.get(int(found[0]), found[0])), text)
        return text
    return value


_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def same(a: Any, b: Any) -> bool:
    """JSON equality: `false` is not `0`, `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def bodies(a_side: Side, b_side: Side, a: Exchange, b: Exchange) -> tuple[Any, Any]:
    """Both JSON bodies, normalised (None for a body that is not JSON)."""
    a_ids = {cid: cid for cid in a_side.ids.values()}
    b_ids = {cid: a_side.ids[slot] for slot, cid in b_side.ids.items() if slot in a_side.ids}
    return normalised_bodies((naming_of(a_side), a_ids, a), (naming_of(b_side), b_ids, b))


def naming_of(side: Side) -> Naming:
    """A diff side names its calendars with its run's prefix (also upper-cased)."""
    return Naming(side.group_id, ((side.prefix, "<prefix>"), (side.prefix.upper(), "<PREFIX>")))


def normalised_bodies(*sides: tuple[Naming, dict[int, Any], Exchange]) -> tuple[Any, Any]:
    """The JSON bodies of two answers (each with its side's naming and id mapping), normalised."""
    (a_naming, a_ids, a), (b_naming, b_ids, b) = sides
    group = "<group>" if a_naming.group_id != b_naming.group_id else None
    return (normalise(a.json(), a_naming, a_ids, group) if a.is_json() else None,
            normalise(b.json(), b_naming, b_ids, group) if b.is_json() else None)


def compare(a: Exchange, b: Exchange, left: Any, right: Any) -> list[Difference]:
    """Every difference between A's and B's answer to one step (`left`, `right`: `bodies`)."""
    if a.status != b.status:
        return [Difference("status", "status", a.status, b.status)]
    found = _headers(a, b)
    a_json, b_json = a.is_json(), b.is_json()
    if a_json != b_json:
        found.append(Difference("body", "$", _body_kind(a), _body_kind(b)))
    elif not a_json:
        if a.content.strip() != b.content.strip():
            found.append(Difference("body", "$", a.body_text(80), b.body_text(80)))
    else:
        _compare(left, right, "$", found)
    return merged(found)


def _body_kind(exchange: Exchange) -> str:
    return "JSON" if exchange.is_json() else f"not JSON: {exchange.body_text(60)!r}"


def _headers(a: Exchange, b: Exchange) -> list[Difference]:
    found = []
    a_type, b_type = (x.content_type.split(";")[0].strip().lower() for x in (a, b))
    if a_type != b_type:
        found.append(Difference("header", "content-type", a_type, b_type))
    a_allow, b_allow = (_methods(x.headers.get("allow")) for x in (a, b))
    if a_allow != b_allow:
        found.append(Difference("header", "allow", a_allow or "(none)", b_allow or "(none)"))
    return found


def _methods(allow: str | None) -> str:
    parts = (part.strip().upper() for part in (allow or "").split(","))
    return ", ".join(sorted(part for part in parts if part))


def _compare(a: Any, b: Any, path: str, found: list[Difference]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        if only_a or only_b:
            found.append(Difference("keys", path, only_a, only_b))
        for key in a:
            if key not in b:
                continue
            if key == "records" and isinstance(a[key], list) and isinstance(b[key], list):
                _records(a[key], b[key], f"{path}.records", found)
            else:
                _compare(a[key], b[key], f"{path}.{key}", found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(Difference("value", f"{path}.length", len(a), len(b)))
        for x, y in zip(a, b, strict=False):
            _compare(x, y, f"{path}[*]", found)
    elif not same(a, b):
        found.append(Difference("value", path, a, b))


def _records(a: list[Any], b: list[Any], path: str, found: list[Difference]) -> None:
    """A page of calendars: which ones, in which order, then each one held by both."""
    a_ids, b_ids = [_id(r) for r in a], [_id(r) for r in b]
    if a_ids != b_ids:
        kind = "order" if Counter(map(repr, a_ids)) == Counter(map(repr, b_ids)) else "records"
        found.append(Difference(kind, path, a_ids, b_ids))
    by_id = {repr(_id(r)): r for r in b}
    for record in a:
        if repr(_id(record)) in by_id:
            _compare(record, by_id[repr(_id(record))], f"{path}[*]", found)


def _id(record: Any) -> Any:
    return record.get("id") if isinstance(record, dict) else record


def merged(found: list[Difference]) -> list[Difference]:
    """The same difference seen on several records, once with its count; in KINDS order."""
    kept: dict[tuple[str, str, str, str], Difference] = {}
    for diff in found:
        key = (diff.kind, diff.path, repr(diff.a), repr(diff.b))
        if key in kept:
            kept[key].count += diff.count
        else:
            kept[key] = diff
    return sorted(kept.values(), key=lambda d: KINDS.index(d.kind))
