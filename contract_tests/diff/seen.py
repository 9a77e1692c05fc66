"""What a predicate of the difference -> open question table (`questions.py`) reads: `Seen`,
one difference with its step and both answers, and the facts of the spec it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calendar_spec.walk import merged

from ..http import Exchange
from ..spec_facts import SPEC
from .compare import Difference, same
from .steps import Step

_READABLE = merged(SPEC, {"$ref": "#/components/schemas/Calendar"})["properties"]
_TYPES = {name: merged(SPEC, schema).get("type") for name, schema in _READABLE.items()}
NULLABLE = frozenset(name for name, kind in _TYPES.items() if isinstance(kind, list) and "null" in kind)
# The texts a create without them fills with null or "" (`omitted_texts`). The scenario never
# sends "" for them, so a "" in one of them is that answer.
OMITTED_TEXTS = ("address", "zipcode", "city")


@dataclass(frozen=True)
class Seen:
    """What a predicate reads: the step, one difference, both answers and both bodies as
    compared (normalised: B's ids are A's)."""

    step: Step
    diff: Difference
    a: Exchange
    b: Exchange
    a_body: Any
    b_body: Any
    deleted: int = 0  # how many of the run's calendars were soft-deleted (on either side) before the step

    def calendar(self) -> dict[str, Any]:
        """The `calendar` object of the step's body ({} when there is none)."""
        body = self.step.body
        return body["calendar"] if isinstance(body, dict) and isinstance(body.get("calendar"), dict) else {}

    def pages(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Both list envelopes, when both are."""
        pair = (self.a_body, self.b_body)
        ok = all(isinstance(body, dict) and isinstance(body.get("records"), list) for body in pair)
        return pair if ok else None  # type: ignore[return-value]

    def same_total(self) -> bool:
        pages = self.pages()
        return pages is not None and same(pages[0].get("totalRecords"), pages[1].get("totalRecords"))

    def _ordered(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(the page of the side with more matches, the other page)."""
        pages = self.pages()
        if pages is None:
            return None
        a, b = ((int_or_0(page.get("totalRecords")), len(page["records"])) for page in pages)
        return pages if a >= b else (pages[1], pages[0])

    def smaller_page(self) -> list[Any]:
        ordered = self._ordered()
        return ordered[1]["records"] if ordered else []

    def extra_records(self) -> list[dict[str, Any]]:
        """The calendars on the page of the side with more matches that the other page lacks."""
        ordered = self._ordered()
        if ordered is None:
            return []
        known = {repr(field_of(record, "id")) for record in ordered[1]["records"]}
        return [r for r in ordered[0]["records"] if isinstance(r, dict) and repr(r.get("id")) not in known]


def int_or_0(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def field_of(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else None
