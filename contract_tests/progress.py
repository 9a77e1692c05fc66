"""What a run prints while it runs, in one of four modes (`--progress`):

- `bar`: on a terminal, one bar per layer with its counts, redrawn in place (`\\r`); a failed
  unit gets its own line above the bar;
- `lines`: for CI logs, one line when a layer starts and one when it ends, nothing in between;
- `units`: one line per unit (a rule or an operation) as it ends;
- `none`: nothing but the summary (and `quiet` prints not even that).

`auto` (the default) is `bar` when the stream is a terminal, `lines` otherwise.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from typing import TextIO

from .model import Outcome

MODES = ("auto", "bar", "lines", "units", "none")
BAR_WIDTH = 24
REDRAW_EVERY = 0.1  # seconds: schemathesis reports a scenario every few milliseconds
MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
# What a terminal or a browser would act on rather than show: C0 and C1 controls but tab and
# newline (ESC, CR, BEL: a deployment's answer quoted in a failure could clear the screen or draw
# a line of its own, "PASSED"), and the bidirectional overrides and isolates, which reorder what
# follows them on screen.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """`text` with what a terminal (or a browser) would act on written as its Python escape
    (`\\x1b`, `\\u202e`)."""
    return _CONTROL.sub(lambda found: repr(found[0])[1:-1], text)


def resolve(mode: str, stream: TextIO) -> str:
    if mode not in MODES:
        raise ValueError(f"progress mode {mode!r}: choose from {', '.join(MODES)}")
    if mode != "auto":
        return mode
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "lines"


class Progress:
    def __init__(self, quiet: bool, stream: TextIO | None, mode: str = "auto") -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.mode = "none" if quiet else resolve(mode, self.stream)
        self.layer_name: str | None = None
        self.total: int | None = None
        self.counts: Counter[str] = Counter()
        self.generated = 0
        self.started = 0.0
        self.drawn = 0  # characters of the bar now on screen
        self.last_draw = 0.0
        self.full, self.empty = self._blocks()

    def _blocks(self) -> tuple[str, str]:
        try:
            "█░".encode(getattr(self.stream, "encoding", None) or "utf-8")
            return "█", "░"
        except (UnicodeEncodeError, LookupError):
            return "#", "-"

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def line(self, text: str) -> None:
        """A line every mode but `none` prints (the header, notes)."""
        if self.mode == "none":
            return
        self._clear()
        self._write(terminal_text(text) + "\n")
        self._draw(force=True)

    def summary(self, text: str) -> None:
        """The end-of-run summary: printed in every mode, unless quiet."""
        self.finish()
        if not self.quiet:
            self._write(terminal_text(text) + "\n")

    def layer(self, name: str, total: int | None = None) -> None:
        """A layer starts (`total`: its units, when known beforehand); the one before ends."""
        self.finish()
        self.layer_name, self.total, self.counts, self.generated = name, total, Counter(), 0
        self.started = time.monotonic()
        if self.mode in ("lines", "units"):
            planned = f": {total} units" if total is not None else ""
            self._write(f"{name} layer{planned} ...\n")
        self._draw(force=True)

    def outcome(self, outcome: Outcome) -> None:
        if self.layer_name != outcome.layer:
            self.layer(outcome.layer)
        self.counts[outcome.status] += 1
        if self.mode == "units" or (self.mode == "bar" and outcome.status == "failed"):
            extra = f" - {outcome.reason}" if outcome.reason else ""
            if outcome.failures:
                extra += f" - {len(outcome.failures)} failure(s)"
            self._clear()
            self._write(terminal_text(f"  {MARKS[outcome.status]} {outcome.testcase} ({outcome.checks} "
                                      f"checks, {outcome.seconds:.1f}s){extra}") + "\n")
        self._draw(force=True)

    def cases(self, count: int) -> None:
        """Schemathesis generated `count` more cases (its units are known only at the end)."""
        self.generated += count
        self._draw(force=False)

    def finish(self) -> None:
        """The current layer ends: its closing line (lines, units) or its final bar (bar)."""
        if self.layer_name is None:
            return
        if self.mode == "bar":
            self._draw(force=True)
            self._write("\n")
            self.drawn = 0
        elif self.mode in ("lines", "units"):
            self._write(f"{self.layer_name} layer: {self._counted()}, "
                        f"{time.monotonic() - self.started:.1f}s\n")
        self.layer_name = None

    def _counted(self) -> str:
        done = sum(self.counts.values())
        cases = f", {self.generated} cases generated" if self.generated else ""
        return (f"{done} units: {self.counts['passed']} passed, {self.counts['failed']} failed, "
                f"{self.counts['skipped']} skipped{cases}")

    def bar(self) -> str:
        """The current layer's bar: `layer  ████░░░░ 12/40  ok 11  failed 1  skipped 0  3s`."""
        done = sum(self.counts.values())
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // self.total)
            shown = f"{self.full * filled}{self.empty * (BAR_WIDTH - filled)} {done}/{self.total}"
        else:
            shown = f"{self.generated} cases" if self.generated or not done else f"{done} units"
        return (f"{self.layer_name:<12} {shown}  ok {self.counts['passed']}  failed {self.counts['failed']}  "
                f"skipped {self.counts['skipped']}  {time.monotonic() - self.started:.0f}s")

    def _draw(self, *, force: bool) -> None:
        if self.mode != "bar" or self.layer_name is None:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < REDRAW_EVERY:
            return
        text = self.bar()
        self._write("\r" + text + " " * max(0, self.drawn - len(text)))
        self.drawn, self.last_draw = len(text), now

    def _clear(self) -> None:
        if self.mode == "bar" and self.drawn:
            self._write("\r" + " " * self.drawn + "\r")
            self.drawn = 0
