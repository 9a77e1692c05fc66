"""`conditions[i][field|op|value]`: every operator keeps exactly the matching records.

Expected sets are computed from the group's own `results=all` list. Integer fields give exact
answers; on strings the case and accent sensitivity of `=` (left open) and of `like` are
bounded: the answer must hold what the narrowest reading matches and nothing the widest reading
would not. That `like` ignores case is an assumption with a rule of its own
(list.like-ignores-case, ASM: checked at strict only, with letters of a name in the other case),
and so is that a pattern matches a whole value (list.like-wildcards, ASM).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import textmatch
from ...context import SuiteContext
from ...model import NO_DATA, READ_ONLY, Skip
from ...registry import rule

LAYER = "semantic"
Record = dict[str, Any]


def _query(conditions: list[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    params: list[tuple[str, Any]] = []
    for index, (field, op, value) in enumerate(conditions):
        params += [
            (f"conditions[{index}][field]", field),
            (f"conditions[{index}][op]", op),
            (f"conditions[{index}][value]", value),
        ]
    return params


def _int_cases(records: list[Record]) -> list[tuple[list[tuple[str, str, Any]], Callable[[Record], bool]]]:
    ids = sorted(r["id"] for r in records)
    mid, low, high = ids[len(ids) // 2], ids[0], ids[-1]
    cases: list[tuple[list[tuple[str, str, Any]], Callable[[Record], bool]]] = [
        ([("id", "=", mid)], lambda r: r["id"] == mid),
        ([("id", "!=", mid)], lambda r: r["id"] != mid),
        ([("id", ">", mid)], lambda r: r["id"] > mid),
        ([("id", ">=", mid)], lambda r: r["id"] >= mid),
        ([("id", "<", mid)], lambda r: r["id"] < mid),
        ([("id", "<=", mid)], lambda r: r["id"] <= mid),
        ([("id", "in", f"{low},{high}")], lambda r: r["id"] in (low, high)),
        ([("id", "not in", f"{low},{high}")], lambda r: r["id"] not in (low, high)),
        ([("id", ">=", low), ("id", "<=", mid)], lambda r: low <= r["id"] <= mid),
        # the same field and operator twice, two values: both hold, neither replaces the other
        ([("id", "!=", low), ("id", "!=", high)], lambda r: r["id"] not in (low, high)),
        ([("id", "in", f"{low},{mid}"), ("id", "in", f"{mid},{high}")], lambda r: r["id"] == mid),
    ]
    for field in ("sort", "generate_interval"):
        values = [r.get(field) for r in records]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            pivot = sorted(values)[len(values) // 2]
            cases.append(([(field, ">=", pivot)], lambda r, f=field, p=pivot: r[f] >= p))
            cases.append(([(field, "=", pivot)], lambda r, f=field, p=pivot: r[f] == p))
            cases.append(
                (
                    [(field, "!=", pivot), ("id", ">", low)],
                    lambda r, f=field, p=pivot, lo=low: r[f] != p and r["id"] > lo,
                )
            )
    return cases


def _like_word(records: list[Record]) -> str | None:
    """A word of 4 ASCII letters or more of some calendar's name, to look for with `like`."""
    return next((w for r in records for w in textmatch.ascii_words(r.get("name"), 4)), None)


def _text_cases(records: list[Record]):
    """(conditions, must-match predicate, may-match predicate) for string operators on `name`.
    `like` patterns are sent in the stored case: whether `like` ignores case is its own rule
    (list.like-ignores-case, ASM)."""
    cases = []
    word = _like_word(records)
    if word is not None:
        low = f"%{word[1:4]}%"

        def like_must(r, p=low):
            return textmatch.like_matches(r["name"], p, ignore_case=False)

        def like_may(r, p=low):
            return textmatch.like_matches(r["name"], p, ignore_case=True, loose=True)

        cases.append(([("name", "like", low)], like_must, like_may))
        cases.append(([("name", "not like", low)], lambda r, m=like_may: not m(r),
                      lambda r, m=like_must: not m(r)))
        underscore = f"%{word[0]}_{word[2:4]}%"

        def under_must(r, p=underscore):
            return textmatch.like_matches(r["name"], p, ignore_case=False)

        def under_may(r, p=underscore):
            return textmatch.like_matches(r["name"], p, ignore_case=True, loose=True)

        cases.append(([("name", "like", underscore)], under_must, under_may))
        # `like` twice on one field: both patterns hold, the wider one does not replace the other
        cases.append(([("name", "like", low), ("name", "like", "%")], like_must, like_may))
    name = next((r["name"] for r in records if isinstance(r.get("name"), str)), None)
    if name is not None:
        cases.append(
            (
                [("name", "=", name)],
                lambda r, n=name: textmatch.equals(r.get("name"), n),
                lambda r, n=name: textmatch.equals(r.get("name"), n, loose=True),
            )
        )
        single = name.replace(",", "")  # `in` splits its value on commas
        cases.append(
            (
                [("name", "in", single)],
                lambda r, n=single: textmatch.equals(r.get("name"), n),
                lambda r, n=single: textmatch.equals(r.get("name"), n, loose=True),
            )
        )
    return cases


NULLABLE_TEXT = ("city", "zipcode", "address", "publicname")
NULLABLE_INT = ("calendarset_id",)


def _mixed(records: list[Record], field: str, kind: type) -> Any:
    """A value of `field` when some records have it null and others a `kind`; else None."""
    values = [r.get(field) for r in records]
    if None not in values:
        return None
    return next((v for v in values if isinstance(v, kind) and not isinstance(v, bool)), None)


def _null_cases(records: list[Record]):
    """(conditions, must-match, may-match) on fields some records leave null. A null holds no
    `=`, `like`, `in`, `>=` (every condition must hold, DOC); whether it holds `!=`, `not like`,
    `not in` is left open, so there a null may be kept or not."""
    cases = []
    field = next((f for f in NULLABLE_TEXT if _mixed(records, f, str) not in (None, "")), None)
    if field is not None:
        value = _mixed(records, field, str).replace(",", "")  # `in` splits its value on commas
        part = next(iter(textmatch.ascii_words(value, 3)), "")[:3]

        def equal(r, f=field, v=value, loose=False):
            return textmatch.equals(r.get(f), v, loose=loose)

        def like(r, f=field, p=f"%{part}%", loose=False):
            v = r.get(f)
            return isinstance(v, str) and textmatch.like_matches(v, p, ignore_case=loose, loose=loose)

        tests = [("=", value, equal), ("in", value, equal)] + ([("like", f"%{part}%", like)] if part else [])
        for op, operand, holds in tests:
            cases.append(([(field, op, operand)], holds, lambda r, h=holds: h(r, loose=True)))
            negated = "!=" if op == "=" else f"not {op}"
            cases.append((
                [(field, negated, operand)],
                lambda r, f=field, h=holds: r.get(f) is not None and not h(r, loose=True),
                lambda r, f=field, h=holds: r.get(f) is None or not h(r),
            ))
    for field in NULLABLE_INT:
        pivot = _mixed(records, field, int)
        if pivot is None:
            continue
        for op, holds in (("=", lambda v, p=pivot: v == p), (">=", lambda v, p=pivot: v >= p),
                          ("<", lambda v, p=pivot: v < p)):
            def exact(r, f=field, h=holds):
                return r.get(f) is not None and h(r[f])
            cases.append(([(field, op, pivot)], exact, exact))
        cases.append(([(field, "!=", pivot)], lambda r, f=field, p=pivot: r.get(f) not in (None, p),
                      lambda r, f=field, p=pivot: r.get(f) != p))
    return cases


@rule("list.conditions", layer=LAYER, retry=True)
def conditions(ctx: SuiteContext) -> None:
    records = ctx.records()
    if not records:
        if ctx.read_only:
            raise Skip("the group has no calendar to filter", why=READ_ONLY)
        ctx.own_calendar()
        records = ctx.records()
    for conds, keep in _int_cases(records):
        got = sorted(r["id"] for r in ctx.records(_query(conds)))
        exchange = ctx.last_exchange()
        expected = sorted(r["id"] for r in records if keep(r))
        ctx.expect(
            got == expected,
            f"conditions {conds} keep exactly the matching records",
            expected=f"ids {expected}",
            actual=f"ids {got}",
            exchange=exchange,
        )
    for conds, must, may in _text_cases(records) + _null_cases(records):
        _expect_kept(ctx, records, conds, must, may)
    _negations_complement(ctx, records)


def _expect_kept(ctx: SuiteContext, records: list[Record], conds: list[tuple[str, str, Any]],
                 must: Callable[[Record], bool], may: Callable[[Record], bool]) -> None:
    """The list under `conds` keeps every record `must` holds for and none `may` does not."""
    got = {r["id"] for r in ctx.records(_query(conds))}
    exchange = ctx.last_exchange()
    low = {r["id"] for r in records if must(r)}
    high = {r["id"] for r in records if may(r)}
    ctx.expect(
        low <= got <= high,
        f"conditions {conds} keep exactly the matching records",
        expected=f"ids {sorted(low)}" + (f" (or up to {sorted(high)}, by collation)" if high != low else ""),
        actual=f"ids {sorted(got)}",
        exchange=exchange,
    )


@rule("list.like-ignores-case", layer=LAYER, retry=True)
def like_ignores_case(ctx: SuiteContext) -> None:
    """`like` and `not like` with letters of a name in the other case keep exactly the names they
    match in any case (accents may count or not: collation)."""
    records = ctx.records()
    if not records and not ctx.read_only:
        ctx.own_calendar()  # named by the run: a word to look for
        records = ctx.records()
    picks = textmatch.case_telling_parts([r.get("name") for r in records])
    if not picks:
        raise Skip("no calendar of the group has a name with an ASCII word of 4 letters whose letters "
                   "in the other case another name lacks", why=NO_DATA)
    pattern = f"%{picks[0][1]}%"  # three letters of a name, each in the other case

    def must(r: Record) -> bool:
        return textmatch.like_matches(r["name"], pattern, ignore_case=True)

    def may(r: Record) -> bool:
        return textmatch.like_matches(r["name"], pattern, ignore_case=True, loose=True)

    _expect_kept(ctx, records, [("name", "like", pattern)], must, may)
    _expect_kept(ctx, records, [("name", "not like", pattern)], lambda r: not may(r), lambda r: not must(r))


@rule("list.like-wildcards", layer=LAYER, retry=True)
def like_wildcards(ctx: SuiteContext) -> None:
    """A `like` pattern matches a whole name (`%` and `_` its only wildcards): three inner letters
    of a name alone, or followed by `%`, keep only the names equal to them, or beginning with
    them, not every name that contains them. Sent in the stored case: case is its own rule."""
    records = ctx.records()
    if not records and not ctx.read_only:
        ctx.own_calendar()  # named by the run: a word to look for
        records = ctx.records()
    word = _like_word(records)
    if word is None:
        raise Skip("no calendar of the group has a name with an ASCII word of 4 letters", why=NO_DATA)
    for pattern in (word[1:4], f"{word[1:4]}%"):
        def must(r: Record, p: str = pattern) -> bool:
            return textmatch.like_matches(r["name"], p, ignore_case=False)

        def may(r: Record, p: str = pattern) -> bool:
            return textmatch.like_matches(r["name"], p, ignore_case=True, loose=True)

        _expect_kept(ctx, records, [("name", "like", pattern)], must, may)
        _expect_kept(ctx, records, [("name", "not like", pattern)], lambda r, m=may: not m(r),
                     lambda r, m=must: not m(r))


def _negations_complement(ctx: SuiteContext, records: list[Record]) -> None:
    """`!=` keeps exactly what `=` leaves out, and `not in` what `in` leaves out, among records
    whose field is not null - whether equality ignores case or not (open), so also for the
    name in another case."""
    name = next((r["name"] for r in records if isinstance(r.get("name"), str) and "," not in r["name"]), None)
    if name is None:
        return
    present = {r["id"] for r in records if r.get("name") is not None}
    for value in dict.fromkeys((name, name.swapcase())):
        for op, negated in (("=", "!="), ("in", "not in")):
            kept = {r["id"] for r in ctx.records(_query([("name", op, value)]))}
            left = {r["id"] for r in ctx.records(_query([("name", negated, value)]))}
            ctx.expect(
                not kept & left and kept | left == present,
                f"name {negated} {value!r} keeps exactly what name {op} {value!r} leaves out",
                expected=f"the two disjoint, together ids {sorted(present)}",
                actual=f"{op}: {sorted(kept)}, {negated}: {sorted(left)}",
                exchange=ctx.last_exchange(),
            )

