"""Servers written apart from the kit (tests/independent/), each started in its own process on
127.0.0.1, and the contract suite run against one as QA runs it against a staging."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite_runs import describe, failed_rules, options

from contract_tests.model import NOT_SERVED
from contract_tests.report import SuiteResult
from contract_tests.runner import run_suite

SERVERS = Path(__file__).parent / "independent"
CREDENTIALS = dict(apikey="indep-key-7", user="qa@indep.test", password="qa-pass-1", group_id=40,
                   other_user="other@indep.test", other_password="other-pass-2", other_group_id=77)
SIX_CREDENTIALS = dict(apikey="six-key-2f9c", user="qa6@indep.test", password="six-pass-6!", group_id=271828,
                       other_user="rival6@indep.test", other_password="rival-pass-6?", other_group_id=161803)


@dataclass(frozen=True)
class Expected:
    """What a correct run against one of the servers says: documented passes; strict fails
    exactly `strict_fails`, the ASM rules the server answers otherwise (README.md there)."""

    strict_fails: frozenset[str] = frozenset()
    credentials: dict[str, Any] = field(default_factory=lambda: dict(CREDENTIALS))
    extra: dict[str, Any] = field(default_factory=dict)  # more SuiteOptions (run_suite's names)


EXPECTED = {
    "strict_server.py": Expected(),
    "busy_staging_server.py": Expected(),
    # Its interventions are above the 1..100 the suite probes.
    "capped_pages_server.py": Expected(frozenset({"invalid.strict-types"}),
                                       extra=dict(intervention_ids=[501, 502, 503])),
    "assumptions_otherwise_server.py": Expected(frozenset({
        "auth.missing-apikey-401", "auth.unknown-apikey-401", "list.intervention-all",
        "list.deleted-listed", "show.assumed-representation", "invalid.rules"})),
    "other_assumptions_server.py": Expected(frozenset({
        "list.search-meaning", "list.default-order", "create.sort-assigned", "delete.body",
        "restore.put-deleted-true", "invalid.integral-float", "invalid.rules", "list.like-ignores-case"})),
    "sixth_server.py": Expected(frozenset({"invalid.rules", "create.group-id-match"}),
                                credentials=SIX_CREDENTIALS),
}
# Neither serves interventions or calendarsets: CONTRACT.md encodes the Calendar resource alone.
BEYOND_CALENDARS = {"documented": {"resources.interventions", "resources.intervention-calendars"},
                    "strict": {"resources.interventions", "resources.intervention-calendars",
                               "resources.calendarset-of-group"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int, process: subprocess.Popen, timeout_s: float) -> bool:
    """Whether the server `process` started accepts on `port` within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


@contextlib.contextmanager
def servers() -> Iterator[Callable[[str], str]]:
    """`start("strict_server.py")` starts that server in its own process and returns its base
    URL; every server started is stopped on leaving."""
    started: list[subprocess.Popen] = []

    def start(name: str) -> str:
        port = free_port()
        process = subprocess.Popen([sys.executable, str(SERVERS / name), "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        assert listening(port, process, 10), f"{name} did not start"
        return f"http://127.0.0.1:{port}"

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=10)


def run_against(base_url: str, level: str, **extra: Any) -> SuiteResult:
    """The whole suite by URL at `level` (--concurrency 8, the footprint bound of a deployment)."""
    return run_suite(options(base_url=base_url, level=level, max_examples=2, concurrency=8,
                             **CREDENTIALS, **extra))


def not_served(result: SuiteResult) -> set[str]:
    return {row.rule_id for row in result.rule_table() if row.why == NOT_SERVED}


def expect_only_assumptions_fail(base_url: str, answered_otherwise: set[str]) -> None:
    """Documented passes; strict fails exactly the ASM rules in `answered_otherwise`."""
    documented = run_against(base_url, "documented")
    assert documented.passed, describe(documented)
    strict = run_against(base_url, "strict")
    assert failed_rules(strict) == answered_otherwise, describe(strict)
    assert {failure.tag for failure in strict.failures} == {"ASM"}
