"""How much of the Calendar API a test session exercised through the mock's fixtures.

A second pytest plugin (its own `pytest11` entry point, beside pytest_plugin). After each test
it takes the coverage counted by every mock the test used (`calendar_mock`,
`calendar_mock_app`, or a fixture of yours built on them; every namespace of each); at the
end of a session that used one, it prints what was exercised and, in plain sentences, what
never was. `--calendar-mock-coverage=json:PATH` / `html:PATH` (repeatable) write the report,
`--calendar-mock-coverage=no` keeps the terminal quiet.

Under pytest-xdist each worker sends its tally to the controller, which adds them up and
reports once, as a single process would.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from .traffic.coverage import Tally
from .traffic.coverage_html import html
from .traffic.coverage_report import report, text
from .traffic.coverage_universe import Universe

OPTION = "--calendar-mock-coverage"
FORMATS = ("json", "html")
WORKER_OUTPUT = "calendar_mock_coverage"  # the key of a pytest-xdist worker's output


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION, action="append", default=[], metavar="WHAT",
        help="the calendar mock's coverage report: json:PATH or html:PATH writes it (repeatable); "
             "no: not printed at the end of the session (printed by default when a test used the mock)")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(CoverageCollector(config), "calendar_mock_coverage_collector")


def _is_mock_app(value: Any) -> bool:
    """A Flask app from `create_app` (its extensions hold the mock): duck-typed, so that
    nothing heavy is imported before a test has used a mock."""
    extensions = getattr(value, "extensions", None)
    return isinstance(extensions, dict) and "calendar_mock" in extensions


def _outputs(config: pytest.Config) -> tuple[bool, list[tuple[str, Path]]]:
    printed, files = True, []
    for value in config.getoption(OPTION) or ():
        if value == "no":
            printed = False
            continue
        kind, _, path = value.partition(":")
        if kind not in FORMATS or not path:
            raise pytest.UsageError(f"{OPTION} takes json:PATH, html:PATH or no, not {value!r}")
        files.append((kind, config.invocation_params.dir / path))
    return printed, files


class CoverageCollector:
    """The session's tally, added up from every mock after each test that used one."""

    def __init__(self, config: pytest.Config) -> None:
        self.printed, self.files = _outputs(config)
        self.tally = Tally()
        self.universe: Universe | None = None
        self.data: dict[str, Any] | None = None
        self.written: list[Path] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        """Before the fixtures go (a `calendar_mock_app` is gone after its test): every value
        of the test's fixtures that is a mock's app, or holds one as `.app` (CalendarMock)."""
        for value in getattr(item, "funcargs", {}).values():
            app = value if _is_mock_app(value) else getattr(value, "app", None)
            if _is_mock_app(app):
                self.take(app.extensions)

    def take(self, extensions: dict[str, Any]) -> None:
        from .app import EXTENSION
        from .namespaces import REGISTRY

        namespaces = extensions.get(REGISTRY)
        states = [state for _, state in namespaces.items()] if namespaces else [extensions[EXTENSION]]
        for state in states:
            self.universe = self.universe or state.coverage.universe
            self.tally.add(state.coverage.take())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the pytest-xdist controller: a worker's tally (pickled: our own processes, one session)."""
        sent = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if sent is not None:
            universe, tally = pickle.loads(sent)
            self.universe = self.universe or universe
            self.tally.add(tally)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.universe is None:
            return
        worker_output = getattr(session.config, "workeroutput", None)
        if worker_output is not None:  # a pytest-xdist worker: the controller reports
            worker_output[WORKER_OUTPUT] = pickle.dumps((self.universe, self.tally))
            return
        self.data = report(self.universe, self.tally)
        for kind, path in self.files:
            path.parent.mkdir(parents=True, exist_ok=True)
            content = json.dumps(self.data, indent=1) if kind == "json" else html(self.data)
            path.write_text(content + "\n", encoding="utf-8")
            self.written.append(path)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.data is None or not (self.printed or self.written):
            return
        terminalreporter.write_sep("=", "calendar mock coverage")
        if self.printed:
            for line in text(self.data):
                terminalreporter.write_line(line)
        for path in self.written:
            terminalreporter.write_line(f"calendar mock coverage written to {path}")
