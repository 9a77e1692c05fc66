"""Figures a test module prints once the session is over (the planted faults' detection rates),
whether the session runs in one process or on pytest-xdist workers: a worker hands its lines to
the controller (tests/conftest.py prints them in the terminal summary)."""

from __future__ import annotations

import pytest

WORKER_OUTPUT = "session_notes"


def say(config: pytest.Config, lines: list[str]) -> None:
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:
        worker_output.setdefault(WORKER_OUTPUT, []).extend(lines)
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))
