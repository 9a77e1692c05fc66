"""Update: partial (only the keys sent change), the whole calendar answered, `updated_at` moves."""

from __future__ import annotations

from typing import Any

from ...context import SuiteContext, short
from ...registry import rule
from ...spec_facts import WRITABLE_FIELDS, sample_value

LAYER = "semantic"


def _changes(ctx: SuiteContext) -> list[dict[str, Any]]:
    """One PUT per writable field of the spec, then two fields at once, then another calendarset,
    then none."""
    fields = {field: schema for field, schema in WRITABLE_FIELDS.items()
              if field not in ("group_id", "calendarset_id", "deleted", "name")}
    changes: list[dict[str, Any]] = [{"name": ctx.name("renamed")}]
    changes += [{field: sample_value(schema, f"renamed {field}", 12)} for field, schema in fields.items()]
    names = list(fields)
    first, last = names[0], names[-1]
    changes.append({first: sample_value(fields[first], f"again {first}", 13),
                    last: sample_value(fields[last], f"again {last}", 13)})
    if len(ctx.calendarsets) >= 2:
        changes.append({"calendarset_id": ctx.calendarsets[1]})
    if ctx.calendarsets:
        # int or null (CONTRACT.md): out of its calendarset. Generated PUTs send null too, but in
        # some runs never (the full independent-faults run missed a server refusing it).
        changes.append({"calendarset_id": None})
    return changes


@rule("update.partial", layer=LAYER, writes=True)
def partial(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("partial", ctx.full_fields("partial"))
    # A second after the create: a PUT that moves created_at to "now" then shows at every pace
    # (in the create's second it hides, so a finding here depended on how fast the run went).
    ctx.wait_after_change(calendar["id"])
    before = ctx.show_body(calendar["id"])
    for change in _changes(ctx):
        # Every PUT must answer 200 (checked right after): a refusal fails the rule as it is, so
        # none takes the refusal guard's snapshot, a round trip inside the group's hold.
        with ctx.must_succeed():
            exchange = ctx.api.update(calendar["id"], change)
        ctx.expect_status(exchange, 200, what="a partial PUT answers 200")
        body = ctx.calendar_body(exchange)
        missing = sorted(set(ctx.contract_fields(before)) - set(body))
        ctx.expect(
            not missing,
            "PUT answers the whole calendar",
            expected=f"every field of {sorted(before)}",
            actual=f"missing {missing}",
            exchange=exchange,
        )
        differs = ctx.differences({**before, **change}, body, ignore=("updated_at",))
        ctx.expect(
            not differs,
            f"PUT {change} changes only the keys sent",
            expected=f"{short(change)} changed, every other field as before",
            actual=f"(expected, got): {short(differs, 400)}",
            exchange=exchange,
        )
        shown = ctx.show_body(calendar["id"])
        differs = ctx.differences(body, shown)
        ctx.expect(
            not differs,
            "show after the PUT returns what the PUT answered",
            expected="the same calendar",
            actual=f"(PUT answer, shown): {short(differs, 400)}",
        )
        before = shown


@rule("update.updated-at", layer=LAYER, writes=True)
def updated_at(ctx: SuiteContext) -> None:
    # A calendar of its own, which no refused-write probe aims at: a deployment that applies a
    # refused write would move its updated_at under it, at a moment that depends on timing (on
    # the calendar those probes share, this rule had to run alone, 1.3 s at 50 ms a round trip).
    calendar = ctx.new_calendar("updated-at")
    # The baseline is a PUT's own updated_at, not the create's: the two PUTs are the moments
    # compared, a second apart.
    with ctx.must_succeed():
        first = ctx.api.update(calendar["id"], {"city": "Before " + ctx.name("city")[-12:]})
    ctx.touched(calendar["id"])
    ctx.expect_status(first, 200)
    before = ctx.calendar_body(first)
    # Timestamps have one-second resolution: the PUT goes a second after the first one, so a
    # change we did not make (another check's, or a refused write applied anyway) cannot share
    # the PUT's second, whenever it came.
    ctx.wait_after_change(calendar["id"])
    new_city = "Updated " + ctx.name("city")[-12:]
    with ctx.must_succeed():
        exchange = ctx.api.update(calendar["id"], {"city": new_city})
    ctx.touched(calendar["id"])
    ctx.expect_status(exchange, 200)
    body = ctx.calendar_body(exchange)
    ctx.expect(
        isinstance(body.get("updated_at"), str) and isinstance(before.get("updated_at"), str)
        and body["updated_at"] > before["updated_at"],
        "a PUT that changes a value moves updated_at forward (compared after a second)",
        expected=f"updated_at after {before.get('updated_at')!r} (the PUT a second before)",
        actual=f"updated_at {body.get('updated_at')!r}",
        exchange=exchange,
    )
    # Here, a second after the PUT before, a PUT that moves created_at too shows it (a PUT in the
    # second of the create would hide it).
    ctx.expect(
        body.get("created_at") == before.get("created_at"),
        "a PUT leaves created_at as it was (compared a second after the PUT before)",
        expected=f"created_at {before.get('created_at')!r}",
        actual=f"created_at {body.get('created_at')!r}",
        exchange=exchange,
        rule="update.partial",
    )
    shown = ctx.show_body(calendar["id"])
    ctx.expect(
        shown.get("updated_at") == body.get("updated_at"),
        "show agrees with the PUT's updated_at",
        expected=f"updated_at {body.get('updated_at')!r}",
        actual=f"updated_at {shown.get('updated_at')!r}",
    )
