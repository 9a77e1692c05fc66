"""The contract suite against two servers written apart from the kit, from CONTRACT.md alone
(tests/independent/README.md): a QA lead's staging is such a server. A correct one passes,
whatever it answers to the open questions; one that answers an assumption of ours otherwise
fails `--level strict` on that rule alone. Over HTTP, each server in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from suite_runs import describe, failed_rules, options

from contract_tests.model import NOT_SERVED as NOT_SERVED_WHY
from contract_tests.runner import run_suite

SERVERS = Path(__file__).parent / "independent"
CREDENTIALS = dict(apikey="indep-key-7", user="qa@indep.test", password="qa-pass-1", group_id=40,
                   other_user="other@indep.test", other_password="other-pass-2", other_group_id=77)
NOT_SERVED = {"resources.interventions", "resources.intervention-calendars", "resources.calendarset-of-group"}

pytestmark = [pytest.mark.http, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve():
    started: list[subprocess.Popen] = []

    def start(name: str) -> str:
        port = _free_port()
        process = subprocess.Popen([sys.executable, str(SERVERS / name), "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, f"{name} did not start"
                time.sleep(0.05)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _run(base_url: str, level: str, **extra) -> object:
    return run_suite(options(base_url=base_url, level=level, max_examples=2, concurrency=8,
                             **CREDENTIALS, **extra))


def _not_served(result) -> set[str]:
    return {row.rule_id for row in result.rule_table() if row.why == NOT_SERVED_WHY}


@pytest.mark.parametrize("level", ["documented", "strict"])
def test_a_correct_server_with_other_answers_passes_both_levels(serve, level):
    result = _run(serve("strict_server.py"), level)
    assert result.passed, describe(result)
    assert _not_served(result) == (NOT_SERVED if level == "strict" else NOT_SERVED - {
        "resources.calendarset-of-group"})


def test_pages_counted_and_capped_otherwise_pass_documented_and_fail_strict_on_one_assumption(serve):
    base_url = serve("capped_pages_server.py")
    interventions = dict(intervention_ids=[501, 502, 503])  # above the 1..100 the suite probes
    documented = _run(base_url, "documented", **interventions)
    assert documented.passed, describe(documented)
    strict = _run(base_url, "strict", **interventions)
    assert failed_rules(strict) == {"invalid.strict-types"}, describe(strict)
