"""What a run prints while it runs: on a terminal a bar per layer redrawn in place, in a CI log
one line per layer start and end, and nothing but the summary with `--progress none`."""

from __future__ import annotations

import io
import os
import pty
import re
import threading

import pytest
from suite_runs import describe, options

from contract_tests import cli
from contract_tests.model import Outcome
from contract_tests.progress import Progress, resolve
from contract_tests.runner import run_suite


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_prints_a_line_per_layer_start_and_end():
    stream = io.StringIO()
    result = run_suite(options(layers=("semantic", "auth"), quiet=False, stream=stream))
    assert result.passed, describe(result)
    out = stream.getvalue()
    assert "\r" not in out and "█" not in out
    progress = [line for line in out.splitlines() if line.split(" layer")[0] in ("semantic", "auth")]
    # A layer's rules may come in several runs (the scheduler's phases): each run is a start line
    # then its end line, nothing in between.
    starts, ends = progress[0::2], progress[1::2]
    assert len(starts) == len(ends) >= 2 and all(line.endswith("...") for line in starts), out
    pairs = zip(starts, ends, strict=True)
    assert all(end.startswith(start[:-len(" ...")] + ":") for start, end in pairs), out
    auth_units = sum(int(re.search(r"units: (\d+) passed, 0 failed", end)[1]) for end in ends
                     if end.startswith("auth layer"))
    assert auth_units == 10, out
    assert "== calendar contract: PASSED" in out and "semantic::" not in out


def test_a_terminal_gets_a_bar_per_layer_redrawn_in_place():
    stream = _Terminal()
    result = run_suite(options(layers=("auth",), quiet=False, stream=stream))
    assert result.passed, describe(result)
    out = stream.getvalue()
    bar_line = out.split("\n")[2]  # the header, the discovery note, then the auth layer's bar
    redraws = bar_line.split("\r")[1:]
    assert len(redraws) >= 11, out  # drawn when the layer starts and after each of its 10 units
    assert redraws[0].startswith("auth         " + "░" * 24 + " 0/10")
    assert redraws[-1].startswith("auth         " + "█" * 24 + " 10/10  ok 10  failed 0  skipped 0")
    assert "== calendar contract: PASSED" in out


def test_a_failed_unit_gets_its_own_line_above_the_bar():
    stream = _Terminal()
    progress = Progress(False, stream, "auto")
    progress.layer("semantic", total=2)
    progress.outcome(Outcome("semantic", "list.paging"))
    progress.outcome(Outcome("semantic", "list.search", status="failed"))
    progress.summary("done")
    lines = stream.getvalue().split("\n")
    assert lines[0].rstrip().endswith("  FAIL semantic::list.search (0 checks, 0.0s)")
    assert "2/2  ok 1  failed 1" in lines[1].split("\r")[-1] and lines[2] == "done"


def test_schemathesis_layers_count_their_cases_as_they_go():
    stream = _Terminal()
    progress = Progress(False, stream, "bar")
    progress.layer("conformance")
    for _ in range(3):
        progress.cases(5)
    progress.outcome(Outcome("conformance", "GET /x"))
    assert progress.bar().startswith("conformance  15 cases  ok 1  failed 0")
    plain = Progress(False, io.StringIO(), "lines")
    plain.layer("conformance")
    plain.cases(15)
    plain.finish()
    assert plain.stream.getvalue().splitlines()[-1].startswith(
        "conformance layer: 0 units: 0 passed, 0 failed, 0 skipped, 15 cases generated")


def test_modes_follow_the_stream_unless_told():
    assert resolve("auto", _Terminal()) == "bar" and resolve("auto", io.StringIO()) == "lines"
    assert resolve("lines", _Terminal()) == "lines" and resolve("bar", io.StringIO()) == "bar"
    with pytest.raises(ValueError):
        resolve("loud", io.StringIO())


def test_a_real_terminal_through_a_pty():
    """sys.stdout a pty, as under a terminal: the CLI draws bars with carriage returns."""
    primary, secondary = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(primary, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    terminal = open(secondary, "w", encoding="utf-8", closefd=True)  # noqa: SIM115 - closed below
    try:
        assert terminal.isatty()
        result = run_suite(options(layers=("auth",), quiet=False, stream=terminal))
        terminal.flush()
    finally:
        terminal.close()
    reader.join(timeout=10)
    os.close(primary)
    out = b"".join(chunks).decode("utf-8")
    assert result.passed
    assert "\rauth         " in out and "10/10  ok 10" in out and "█" * 24 in out, out


def test_cli_progress_none_prints_the_summary_only(capsys):
    code = cli.main(["run", "--layers", "auth", "--read-only", "--progress", "none"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.lstrip().startswith("== calendar contract: PASSED") and "auth layer" not in out
