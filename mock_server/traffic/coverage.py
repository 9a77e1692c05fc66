"""Which parts of the API a test suite exercised, counted where the journal is fed.

On the request path a request costs one tuple and one dict update: its shape (operation,
status, query string, the credential it presented, the fields its refusal named, what its
answer showed). Shapes are folded into facts - the items of `coverage_universe` - only when
somebody reads the coverage, or when MAX_SHAPES different shapes are waiting, so the API does
not pay for parsing what it already parsed. A counter outlives resets (a test suite resets
the mock before every test); `take` empties it.
"""

from __future__ import annotations

import operator
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..wsgi import query_pairs
from .coverage_universe import CONDITIONS, USER_MISSING, Item, Universe

MAX_SHAPES = 1024  # different shapes kept waiting before they are folded
LONG_QUERY = 1024  # a query longer than this is folded at once rather than kept
_CONDITION_KEY = re.compile(r"conditions\[[0-9]+\]\[(field|op|value)\]")
Shape = tuple[Any, ...]
_DELETED = operator.itemgetter("deleted")


@dataclass
class Tally:
    """Requests counted and the facts they established; tallies of several mocks add up."""

    requests: int = 0
    facts: Counter[Item] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.facts.update(other.facts)


class CoverageCounter:
    """One mock's tally; thread-safe. The universe (from the spec) is built on first fold."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec
        self._universe: Universe | None = None
        self._lock = threading.Lock()
        self._shapes: dict[Shape, int] = {}
        self._tally = Tally()
        self._deleted_listed = False  # once a list showed one, lists need not be scanned again
        schemes = spec.get("components", {}).get("securitySchemes", {}).values()
        self._cookie = next((f"{s['name']}=" for s in schemes
                             if s.get("type") == "apiKey" and s.get("in") == "cookie"), None)

    @property
    def universe(self) -> Universe:
        if self._universe is None:
            self._universe = Universe.of(self._spec)
        return self._universe

    # -- the request path --------------------------------------------------------------------
    def count(self, request: Any, status: int, body: Any, error: Any) -> None:
        """One answered API request (an `ApiRequest`, after the pipeline named its operation)."""
        operation = request.operation_id
        shown = None
        if operation is not None and status < 300 and type(body) is dict:
            records = body.get("records")
            if records is not None:
                shown = (body.get("startIndex"), body.get("recordsReturned"), self._deleted_in(records))
            elif body.get("deleted") and request.method in ("GET", "HEAD"):
                shown = "deleted"
        environ = request.environ
        credential = ("basic" if environ.get("HTTP_AUTHORIZATION")
                      else "cookie" if self._cookie and self._cookie in environ.get("HTTP_COOKIE", "")
                      else None)
        refused = tuple(error.errors) if error is not None else ()
        shape = (operation, status, request.query_string, credential, refused, request.notes, shown)
        with self._lock:
            self._shapes[shape] = self._shapes.get(shape, 0) + 1
            if len(self._shapes) > MAX_SHAPES or len(request.query_string) > LONG_QUERY:
                self._fold()

    def _deleted_in(self, records: list[Any]) -> bool:
        """Whether a page shows a soft-deleted calendar; not looked for again once one did."""
        if self._deleted_listed:
            return False
        try:
            found = any(map(_DELETED, records))  # in C: ~25 ns a record
        except KeyError:  # a record without the field (a representation of a deployment's own)
            found = any(record.get("deleted") for record in records)
        if found:
            self._deleted_listed = True
        return found

    def fault_fired(self, kind: str) -> None:
        with self._lock:
            self._tally.facts["faults", None, kind] += 1

    # -- reading -----------------------------------------------------------------------------
    def tally(self) -> Tally:
        """A copy of what was counted so far."""
        with self._lock:
            self._fold()
            return Tally(self._tally.requests, Counter(self._tally.facts))

    def take(self) -> Tally:
        """What was counted so far, and a fresh start."""
        with self._lock:
            self._fold()
            taken, self._tally = self._tally, Tally()
            self._deleted_listed = False
            return taken

    def _fold(self) -> None:
        """Every waiting shape into facts; called with the lock held."""
        shapes, self._shapes = self._shapes, {}
        universe = self.universe
        for shape, times in shapes.items():
            self._tally.requests += times
            for fact in facts_of(shape, universe):
                self._tally.facts[fact] += times


def facts_of(shape: Shape, universe: Universe) -> set[Item]:
    """The items of the universe one request shape exercised."""
    operation, status, query_string, credential, refused, notes, shown = shape
    if operation is None:  # no such path or method: no operation was exercised
        return set()
    facts: set[Item] = {("operations", operation, operation), ("statuses", operation, str(status))}
    pairs = query_pairs(query_string)
    facts |= _auth_facts(universe, operation, credential, refused, {key for key, _ in pairs})
    if status >= 300:
        return facts
    declared = universe.query_params.get(operation, ())
    ids: Counter[str] = Counter()
    for key, value in pairs:
        condition = _CONDITION_KEY.fullmatch(key)
        if condition is not None:
            facts.add(("parameters", operation, CONDITIONS))
            if condition[1] == "op" and value in universe.condition_ops:
                facts.add(("filters", CONDITIONS, value))
            continue
        if key not in declared:
            continue
        facts.add(("parameters", operation, key))
        if value in universe.enums.get(key, ()):
            facts.add(("filters", key, value))
        if key in universe.arrays:
            ids[key] += 1
    facts |= {("filters", key, "one" if n == 1 else "several") for key, n in ids.items()}
    if isinstance(shown, tuple):
        facts |= _page_facts(shown, ("results", "all") in pairs)
    elif shown == "deleted":
        facts.add(("soft_deleted", None, "shown"))
    if "restored" in notes:
        facts.add(("soft_deleted", None, "restored"))
    return facts


def _page_facts(shown: tuple[Any, ...], everything: bool) -> set[Item]:
    start, returned, deleted = shown
    facts: set[Item] = {("soft_deleted", None, "listed")} if deleted else set()
    if everything:
        facts.add(("paging", None, "all"))
    if not start:
        if not everything:
            facts.add(("paging", None, "first"))
    else:
        facts.add(("paging", None, "past_end" if not returned else "past_first"))
    return facts


def _auth_facts(universe: Universe, operation: str, credential: str | None, refused: tuple[str, ...],
                keys: set[str]) -> set[Item]:
    """Which credential was accepted or refused, and how: by the fields a refusal names (the
    scheme's own name: `apikey`, `Authorization`, `_session_id`) and what the request sent."""
    facts: set[Item] = set()
    apikey, cookie = universe.apikey, universe.cookie
    basic = next((s for s in universe.schemes if s.kind == "basic"), None)
    if apikey is not None:
        if apikey.name in refused:
            return {("auth", apikey.id, "wrong" if apikey.name in keys else "missing")}
        facts.add(("auth", apikey.id, "accepted"))
    if basic is not None and basic.name in refused:
        facts.add(("auth", basic.id, "wrong") if credential == "basic" else ("auth", USER_MISSING, "missing"))
    elif cookie is not None and cookie.name in refused:
        facts.add(("auth", cookie.id, "wrong"))
    elif operation in universe.user_operations and credential is not None:
        scheme = basic if credential == "basic" else cookie
        if scheme is not None:
            facts.add(("auth", scheme.id, "accepted"))
    return facts
