"""What the proxy saw, per rule: JUnit XML (one testcase per rule exercised), NDJSON (one line
per exchange, appended as it happens) and the summary table printed when it stops.

Memory stays bounded: per rule a count and the first few messages; the NDJSON lines go to the
file as they come (flushed on `write`), never into a list.
"""

from __future__ import annotations

import json
import os
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..xml_text import xml_text
from .exchange import Exchange
from .findings import Level

JUNIT_FILE = "contract-proxy.junit.xml"
NDJSON_FILE = "contract-proxy.ndjson"
MESSAGES_KEPT = 5  # per rule: the first messages are enough to act on; the rest are counted
UPSTREAM_CASE = "upstream.answers"  # not a contract rule: whether the upstream answered at all


@dataclass
class RuleTally:
    tag: str
    checked: int = 0
    violated: int = 0
    messages: list[str] = field(default_factory=list)


class Report:
    """Tallies of every exchange, thread-safe; files under `directory` when one is given."""

    def __init__(self, level: Level, upstream: str, directory: Path | None = None) -> None:
        self.level = level
        self.upstream = upstream
        self.directory = directory
        self.started = time.time()
        self.exchanges = 0
        self.blocked = 0
        self.rules: dict[str, RuleTally] = {}  # `checked` counts are in _checked until read
        self._checked: Counter[str] = Counter()  # counted in C: every exchange checks a dozen rules
        self.upstream_errors = RuleTally(tag="")
        self._lock = threading.Lock()
        self._lines: IO[str] | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._lines = (directory / NDJSON_FILE).open("w", encoding="utf-8", errors="backslashreplace")

    def record(self, exchange: Exchange) -> None:
        line = json.dumps(exchange.summary_line(), ensure_ascii=False) + "\n" if self._lines else ""
        with self._lock:
            self.exchanges += 1
            self.blocked += exchange.blocked is not None
            self._checked.update(exchange.checked)
            for rule in {violation.rule: None for violation in exchange.violations}:
                self._tally(rule).violated += 1  # exchanges that break it, however many ways
            for violation in exchange.violations:
                tally = self._tally(violation.rule, violation.tag)
                if len(tally.messages) < MESSAGES_KEPT:
                    tally.messages.append(f"{exchange.method} {exchange.path} → {exchange.status}: "
                                          f"{violation.message} ({violation.where})")
            if exchange.upstream_error:
                self.upstream_errors.checked += 1
                self.upstream_errors.violated += 1
                if len(self.upstream_errors.messages) < MESSAGES_KEPT:
                    self.upstream_errors.messages.append(f"{exchange.method} {exchange.path}: "
                                                         f"{exchange.upstream_error}")
            elif not exchange.blocked:
                self.upstream_errors.checked += 1
            if self._lines is not None:
                self._lines.write(line)

    def _tallies(self) -> list[tuple[str, RuleTally]]:
        """Every rule exercised, by id, with its counts (under the lock)."""
        for rule, count in self._checked.items():
            self._tally(rule).checked = count
        return sorted(self.rules.items())

    def _tally(self, rule: str, tag: str = "") -> RuleTally:
        tally = self.rules.get(rule)
        if tally is None:
            tally = self.rules[rule] = RuleTally(tag or self.level.tag(rule))
        return tally

    def write(self) -> list[Path]:
        """Write the JUnit file and flush the NDJSON one; the paths written (none without a
        directory)."""
        if self.directory is None:
            return []
        with self._lock:
            tree = self._junit()
            if self._lines is not None:
                self._lines.flush()
        junit = self.directory / JUNIT_FILE
        partial = junit.with_suffix(".tmp")
        tree.write(partial, encoding="utf-8", xml_declaration=True)
        os.replace(partial, junit)  # a reader never sees half a file
        return [junit, self.directory / NDJSON_FILE]

    def close(self) -> None:
        with self._lock:
            if self._lines is not None:
                self._lines.close()
                self._lines = None

    def _junit(self) -> ET.ElementTree:
        cases = self._tallies()
        failures = sum(1 for _, tally in cases if tally.violated)
        errors = 1 if self.upstream_errors.violated else 0
        suites = ET.Element("testsuites", name="calendar-mock proxy")
        suite = ET.SubElement(suites, "testsuite", name=f"contract at {self.level.name}",
                              tests=str(len(cases) + 1), failures=str(failures), errors=str(errors),
                              skipped="0", timestamp=time.strftime("%Y-%m-%dT%H:%M:%S",
                                                                  time.localtime(self.started)),
                              time=f"{time.time() - self.started:.3f}")
        properties = ET.SubElement(suite, "properties")
        for name, value in (("level", self.level.name), ("view", self.level.view),
                            ("upstream", self.upstream), ("exchanges", str(self.exchanges)),
                            ("blocked", str(self.blocked))):
            ET.SubElement(properties, "property", name=name, value=xml_text(value))
        for rule, tally in cases:
            case = ET.SubElement(suite, "testcase", classname=f"contract.{tally.tag or 'rule'}", name=rule,
                                 time="0", assertions=str(tally.checked))
            if tally.violated:
                failure = ET.SubElement(case, "failure", type=rule,
                                        message=f"{tally.violated} of {tally.checked} exchanges break {rule}")
                failure.text = xml_text("\n".join(self._with_rest(tally)))
        upstream = ET.SubElement(suite, "testcase", classname="proxy", name=UPSTREAM_CASE, time="0",
                                 assertions=str(self.upstream_errors.checked))
        if self.upstream_errors.violated:
            error = ET.SubElement(upstream, "error", type="upstream",
                                  message=f"{self.upstream_errors.violated} requests got no answer upstream")
            error.text = xml_text("\n".join(self._with_rest(self.upstream_errors)))
        return ET.ElementTree(suites)

    @staticmethod
    def _with_rest(tally: RuleTally) -> list[str]:
        rest = tally.violated - len(tally.messages)
        return tally.messages + ([f"… and {rest} more"] if rest > 0 else [])

    def summary(self) -> dict[str, object]:
        with self._lock:
            return {
                "level": self.level.name, "upstream": self.upstream, "exchanges": self.exchanges,
                "blocked": self.blocked, "upstream_errors": self.upstream_errors.violated,
                "rules": {rule: {"tag": tally.tag, "checked": tally.checked, "violations": tally.violated}
                          for rule, tally in self._tallies()},
            }

    def table(self) -> str:
        """The summary printed on Ctrl-C: rule, tag, exchanges that break it, exchanges checked."""
        summary = self.summary()
        rules = summary["rules"]
        assert isinstance(rules, dict)
        rows = [(rule, entry["tag"], str(entry["violations"]), str(entry["checked"]))
                for rule, entry in rules.items()]
        rows.sort(key=lambda row: (-int(row[2]), row[0]))
        head = ("rule", "tag", "count", "checked")
        widths = [max([len(head[i]), *(len(row[i]) for row in rows)]) for i in range(4)]
        lines = [f"calendar-mock proxy: {summary['exchanges']} exchanges at level {summary['level']}, "
                 f"{sum(int(row[2]) > 0 for row in rows)} rules broken, {summary['blocked']} blocked, "
                 f"{summary['upstream_errors']} upstream errors"]
        lines.append("  ".join(name.ljust(width) for name, width in zip(head, widths, strict=True)))
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                  for row in rows]
        return "\n".join(line.rstrip() for line in lines)
