"""A coverage tally against the spec's universe: what was exercised, and what never was, in
plain sentences ("never saw a 404 from getCalendar", "never listed past the first page").

`report` gives the JSON the control plane answers and the pytest plugin writes; `text` the
lines the plugin prints; coverage_html draws the same report.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .coverage import Tally
from .coverage_universe import AREAS, CONDITIONS, USER_MISSING, Item, Universe

TITLES = {"operations": "operations", "statuses": "statuses", "parameters": "query parameters",
          "filters": "filters", "paging": "paging positions", "soft_deleted": "soft-deleted calendars",
          "auth": "authentication", "faults": "fault kinds"}
PAGING_NEVER = {"first": "never listed a first page", "past_first": "never listed past the first page",
                "past_end": "never paged past the end", "all": "never asked for results=all"}
DELETED_NEVER = {"shown": "never read a soft-deleted calendar",
                 "listed": "never met a soft-deleted calendar in a list",
                 "restored": "never restored a soft-deleted calendar"}
AUTH_NEVER = {("query", "accepted"): "never had the {name} accepted",
              ("query", "missing"): "never sent a request without the {name}",
              ("query", "wrong"): "never had a wrong {name} refused",
              ("basic", "accepted"): "never authenticated with HTTP Basic",
              ("basic", "wrong"): "never had wrong HTTP Basic credentials refused",
              ("cookie", "accepted"): "never authenticated with the session cookie {name}",
              ("cookie", "wrong"): "never had an unknown or expired session cookie refused",
              ("user", "missing"): "never sent a request without user credentials"}
# Wording for a filter parameter's values; any other parameter reads "never sent NAME=...".
VALUE_NEVER = {"sort": "never sorted by {values}", "dir": "never sent dir={values}"}
BAR_WIDTH = 12


def report(universe: Universe, tally: Tally) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    facts = tally.facts
    areas = []
    for area in AREAS:
        items = universe.area(area)
        if not items:
            continue
        rows = [{"subject": subject, "key": key, "count": facts.get((area, subject, key), 0)}
                for _, subject, key in items]
        areas.append({"area": area, "title": TITLES[area], "total": len(rows),
                      "covered": sum(1 for row in rows if row["count"]), "items": rows})
    per_operation = []
    for _, op, _ in universe.area("operations"):
        statuses = _counts(universe, facts, "statuses", op)
        parameters = _counts(universe, facts, "parameters", op)
        keys = [*statuses.values(), *parameters.values()]
        per_operation.append({"operation": op, "calls": facts.get(("operations", op, op), 0),
                              "statuses": statuses, "parameters": parameters,
                              "covered": sum(1 for count in keys if count), "total": len(keys)})
    return {
        "requests": tally.requests,
        "covered": sum(area["covered"] for area in areas),
        "total": sum(area["total"] for area in areas),
        "areas": areas,
        "operations": per_operation,
        "never": never(universe, tally),
    }


def _counts(universe: Universe, facts: Any, area: str, op: str) -> dict[str, int]:
    return {key: facts.get((area, op, key), 0) for _, subject, key in universe.area(area) if subject == op}


def never(universe: Universe, tally: Tally) -> list[str]:
    """One sentence per thing never exercised, grouped so that a gap reads once."""
    facts = tally.facts
    missed = [item for item in universe.items if not facts.get(item)]
    called = {op for _, op, _ in universe.area("operations") if facts.get(("operations", op, op))}
    sentences = []
    ops_missed = [op for area, op, _ in missed if area == "operations"]
    if ops_missed:
        sentences.append("never called " + _either(ops_missed))
    for area, verb, preposition in (("statuses", "never saw a {key}", "from"),
                                    ("parameters", "never sent {key}", "to")):
        sentences += _grouped_by_key(universe, missed, area, called, verb, preposition)
    sentences += _filters(universe, missed, facts, called)
    lists_called = any(op in called for op in universe.list_operations)
    if lists_called:
        sentences += [PAGING_NEVER[key] for area, _, key in missed if area == "paging"]
    deleted = [key for area, _, key in missed if area == "soft_deleted"]
    if deleted and len(deleted) == len(universe.area("soft_deleted")):
        sentences.append("never met a soft-deleted calendar")
    else:
        sentences += [DELETED_NEVER[key] for key in deleted]
    kinds = {scheme.id: (scheme.kind, scheme.name) for scheme in universe.schemes}
    kinds[USER_MISSING] = ("user", "")
    for area, subject, key in missed:
        if area == "auth":
            kind, name = kinds[subject or ""]
            sentences.append(AUTH_NEVER[kind, key].format(name=name))
    faults = [key for area, _, key in missed if area == "faults"]
    if faults and len(faults) == len(universe.area("faults")):
        sentences.append("never had a fault hit a request")
    elif faults:
        sentences.append(f"never had a {_either(faults)} fault hit a request")
    return sentences


def _grouped_by_key(universe: Universe, missed: list[Item], area: str, called: set[str], verb: str,
                    preposition: str) -> list[str]:
    """`never saw a 404` when no operation that answers 404 ever did; `... from X or Y` when
    some did. Operations never called are left out: "never called X" says it all."""
    offered: dict[str, list[str]] = defaultdict(list)
    for _, op, key in universe.area(area):
        offered[key].append(op or "")
    lacking: dict[str, list[str]] = defaultdict(list)
    for item_area, op, key in missed:
        if item_area == area and op in called:
            lacking[key].append(op)
    sentences = []
    for key, ops in lacking.items():
        anywhere = [op for op in offered[key] if op in called]
        text = verb.format(key=key)
        sentences.append(text if len(ops) == len(anywhere) else f"{text} {preposition} {_either(ops)}")
    return sentences


def _filters(universe: Universe, missed: list[Item], facts: Any, called: set[str]) -> list[str]:
    if not any(op in called for op in universe.list_operations):
        return []
    by_subject: dict[str, list[str]] = defaultdict(list)
    for area, subject, key in missed:
        if area == "filters":
            by_subject[subject or ""].append(key)
    sentences = []
    for subject, keys in by_subject.items():
        if subject == CONDITIONS:
            if len(keys) < len(universe.condition_ops):  # none used: "never sent conditions" says it
                sentences.append(f"never used the conditions op{'s' if len(keys) > 1 else ''} {_and(keys)}")
        elif subject in universe.arrays:
            sentences += [f"never filtered by {'a single' if key == 'one' else 'several'} {subject} "
                          f"{'id' if key == 'one' else 'ids at once'}" for key in keys
                          if any(facts.get(("filters", subject, other)) for other in ("one", "several"))]
        elif len(keys) < len(universe.enums.get(subject, ())):  # all missed: "never sent X" says it
            wording = VALUE_NEVER.get(subject, f"never sent {subject}={{values}}")
            sentences.append(wording.format(values=_either(keys)))
    return sentences


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def bar(covered: int, total: int, width: int = BAR_WIDTH) -> str:
    """`covered` of `total` as a bar of block characters, `width` wide."""
    filled = round(width * covered / total) if total else 0
    filled = max(filled, 1) if covered else filled  # anything exercised shows
    return "█" * filled + "░" * (width - filled)


def text(data: dict[str, Any]) -> list[str]:
    """The report as the plugin prints it: a bar per area (and what was exercised), a bar per
    operation (its statuses and query parameters), then the gaps."""
    lines = [f"{data['requests']} API requests; {data['covered']} of {data['total']} things exercised "
             f"{bar(data['covered'], data['total'])}"]
    for area in data["areas"]:
        seen = _seen(area)
        counted = (f"  {bar(area['covered'], area['total'])} {area['title']}: "
                   f"{area['covered']} of {area['total']}")
        lines.append(f"{counted} - {seen}" if seen else counted)
    lines.append("  per operation, of its statuses and query parameters:")
    width = max((len(op["operation"]) for op in data["operations"]), default=0)
    for op in data["operations"]:
        calls = f"{op['calls']} call{'s' if op['calls'] != 1 else ''}" if op["calls"] else "never called"
        lines.append(f"    {bar(op['covered'], op['total'])} {op['operation']:<{width}} "
                     f"{op['covered']} of {op['total']} ({calls})")
    lines += [f"  {sentence}" for sentence in data["never"]]
    return lines


def _seen(area: dict[str, Any]) -> str:
    by_subject: dict[str, list[str]] = defaultdict(list)
    for row in area["items"]:
        if row["count"]:
            by_subject[row["subject"] or ""].append(row["key"])
    if area["area"] == "operations":
        return ", ".join(by_subject)
    return "; ".join(f"{subject} {' '.join(keys)}" if subject else " ".join(keys)
                     for subject, keys in by_subject.items())
