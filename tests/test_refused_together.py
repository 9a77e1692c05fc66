"""Refused writes judged together (unchanged.refused_together): sent side by side inside one hold
of the group, between one snapshot before and one after. What matters is that the batch still
catches a refusal that changed something, names the request likeliest to have done it, keeps
other checks' writes out of the comparison, and leaves the per-write guard as it found it."""

from __future__ import annotations

import functools
import io
import json
import threading
import time
from typing import Any

import pytest
from suite_runs import options

from contract_tests.client import calendar_path
from contract_tests.context import SuiteContext
from contract_tests.gate import Gate
from contract_tests.http import Exchange, WsgiTransport
from contract_tests.model import CheckFailed
from contract_tests.runner import resolve_options
from contract_tests.unchanged import guard_refusals, refused_together
from mock_server import create_app

PLANTED = "refused but applied"  # the publicname that makes the faulty app apply a PUT it refuses


class _AppliesOneRefusedPut:
    """The mock, except that a PUT whose publicname is PLANTED is applied (its publicname changed) and
    then answered 400, like a deployment that validates after writing."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.planted = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "PUT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            try:
                sent = json.loads(body)
            except ValueError:
                sent = None
            calendar = sent.get("calendar") if isinstance(sent, dict) else None
            if isinstance(calendar, dict) and calendar.get("publicname") == PLANTED:
                self.planted += 1
                applied = json.dumps({"calendar": {"publicname": "changed by a refused PUT"}}).encode()
                self.app(_with_body(environ, applied), lambda *_: None)
                start_response("400 BAD REQUEST", [("Content-Type", "application/json")])
                return [b'{"error": "refused after writing"}']
            environ = _with_body(environ, body)
        return self.app(environ, start_response)


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    return {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}


def _context(app: Any, concurrency: int = 4) -> SuiteContext:
    return SuiteContext(resolve_options(options(app, layers=("semantic",), concurrency=concurrency)),
                        WsgiTransport(app))


def _invalid_put(ctx: SuiteContext, calendar_id: int, calendar: dict[str, Any]) -> Exchange:
    return ctx.api.request("PUT", calendar_path(ctx.group_id, calendar_id), json_body={"calendar": calendar})


def _invalid_puts(ctx: SuiteContext, calendar_id: int, planted_at: int | None = None,
                  count: int = 6) -> list[Any]:
    bodies: list[dict[str, Any]] = [{"name": ["not", "a", "string"]} for _ in range(count)]
    if planted_at is not None:
        bodies[planted_at] = {"name": 12, "publicname": PLANTED}
    return [functools.partial(_invalid_put, ctx, calendar_id, body) for body in bodies]


def _note_status(judged: list[tuple[int, int]], position: int, exchange: Exchange) -> None:
    judged.append((position, exchange.status))


def test_refusals_sent_together_are_judged_in_order_and_the_guard_is_left_as_it_was():
    ctx = _context(create_app())
    target = ctx.new_calendar("target")["id"]
    for guarded in (True, False):
        guard_refusals(ctx, guarded)
        judged: list[tuple[int, int]] = []
        exchanges = refused_together(ctx, _invalid_puts(ctx, target), "a PUT with a list as name",
                                     functools.partial(_note_status, judged))
        assert judged == [(position, 400) for position in range(6)]
        assert [exchange.status for exchange in exchanges] == [400] * 6
        assert (ctx.api.guard is not None) is guarded


def test_a_refusal_that_changed_the_calendar_is_caught_and_named_among_the_others():
    faulty = _AppliesOneRefusedPut(create_app())
    ctx = _context(faulty)
    target = ctx.new_calendar("target")["id"]
    guard_refusals(ctx, True)
    with pytest.raises(CheckFailed) as failed:
        refused_together(ctx, _invalid_puts(ctx, target, planted_at=3), "a PUT with a wrong name",
                         lambda *_: None)
    assert faulty.planted == 1
    assert "calendar" in failed.value.message and "is as before" in failed.value.message
    assert "one of 6 refused requests sent together" in failed.value.actual
    # Of six PUTs to the same calendar, the one that sent the field that changed is named.
    assert PLANTED in (failed.value.exchange.request_body or b"").decode()
    assert ctx.api.guard is not None  # restored even though the judgement failed


def test_a_refusal_that_changed_a_calendar_is_caught_at_one_request_at_a_time_too():
    faulty = _AppliesOneRefusedPut(create_app())
    ctx = _context(faulty, concurrency=1)
    target = ctx.new_calendar("target")["id"]
    with pytest.raises(CheckFailed) as failed:
        refused_together(ctx, _invalid_puts(ctx, target, planted_at=0, count=3), "a PUT", lambda *_: None)
    assert PLANTED in (failed.value.exchange.request_body or b"").decode()


def test_nothing_to_send_sends_nothing():
    ctx = _context(create_app())
    sent = len(ctx.journal)
    assert refused_together(ctx, [], "nothing", lambda *_: pytest.fail("judged nothing")) == []
    assert len(ctx.journal) == sent


def test_another_checks_write_waits_for_the_batch_and_is_not_judged_with_it():
    """A write of another thread started while the batch is in flight must not land between its
    snapshots: it would read as a refusal's change."""
    app = create_app()
    ctx = _context(app)
    target = ctx.new_calendar("target")["id"]
    other = ctx.new_calendar("other")["id"]
    started = threading.Event()

    def slow_invalid_put() -> Exchange:
        started.set()
        time.sleep(0.2)  # the other thread's write is sent meanwhile, were it let through
        return _invalid_put(ctx, target, {"name": ["x"]})

    def other_write() -> None:
        started.wait(5)
        ctx.expect_2xx(ctx.api.update(other, {"name": ctx.name("moved")}), "the other check's write")

    writer = threading.Thread(target=other_write)
    writer.start()
    try:
        sends = [slow_invalid_put, *_invalid_puts(ctx, target, count=3)]
        refused_together(ctx, sends, "a PUT with a list as name", lambda *_: None, [other])
    finally:
        writer.join(10)
    assert not writer.is_alive()


def test_writes_side_by_side_need_the_hold_and_reads_lent_to_it_still_may_not_write():
    ctx = _context(create_app())
    with pytest.raises(RuntimeError):
        ctx.side_by_side([lambda: None], writes=True)
    gate = Gate()
    outcomes: dict[str, Any] = {}

    def write_inside(name: str) -> None:
        try:
            with gate.alone():
                outcomes[name] = "wrote"
        except RuntimeError as refused:
            outcomes[name] = str(refused)

    with gate.alone():
        lent_write = gate.lend([functools.partial(write_inside, "lent write")], writes=True)[0]
        lent_read = gate.lend([functools.partial(write_inside, "lent read")])[0]
        for job in (lent_write, lent_read):
            thread = threading.Thread(target=job)
            thread.start()
            thread.join(5)
            assert not thread.is_alive()  # neither waited for the hold it is lent to
    assert outcomes == {"lent write": "wrote", "lent read": "a read lent to a hold may not write"}


def test_logins_side_by_side_are_each_guarded(monkeypatch: pytest.MonkeyPatch):
    """Logins hold the gate shared, so two go at once. Each refused one is bracketed by snapshots
    of its own: the guard of one (reading its snapshot) must not leave the other unguarded."""
    import contract_tests.unchanged as unchanged

    ctx = _context(create_app())
    real_snapshot = unchanged.snapshot
    taken: list[int] = []
    lock = threading.Lock()

    def slow_snapshot(*args: Any, **kwargs: Any) -> Any:
        with lock:
            taken.append(threading.get_ident())
        time.sleep(0.1)  # the other login is sent meanwhile
        return real_snapshot(*args, **kwargs)

    monkeypatch.setattr(unchanged, "snapshot", slow_snapshot)
    guard_refusals(ctx, True)
    together = threading.Barrier(2)
    statuses: list[int] = []

    def refused_login() -> None:
        together.wait(5)
        statuses.append(ctx.api.login(password_sha1="0" * 40).status)

    threads = [threading.Thread(target=refused_login) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(statuses) == 2 and all(status >= 400 for status in statuses)
    # A snapshot before and one after each refused login, each in its own thread.
    assert len(taken) == 4 and len(set(taken)) == 2
    assert ctx.api.guard is not None
