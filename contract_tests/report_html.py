"""`--html FILE`: a run's report as one self-contained page (inline style and script, nothing
fetched), drawn from `SuiteResult.as_dict()` - the very data of the JSON report, so the two
cannot disagree. The verdict; a bar per layer (passed / failed / skipped units) and one for the
rules; the failures first, each with its evidence (the request as a curl line with the secrets
masked, what was expected, what came back); every rule of the level and every unit of every
layer, with a filter box. Everything the server sent is escaped: its answers are untrusted.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from .model import LAYERS, RUN_STOPPED
from .progress import terminal_text
from .report import SuiteResult
from .report_html_assets import SCRIPT, STYLE

# The three shown states of a unit or a rule (the rules table says checked / not checked).
SHOWN = {"passed": "passed", "checked": "passed", "failed": "failed", "skipped": "skipped",
         "not checked": "skipped"}
FILTERS = (("failed", "failed"), ("known", "known"), ("passed", "passed"), ("skipped", "skipped"))


def write_html(result: SuiteResult, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(result.as_dict()), encoding="utf-8")


def _e(value: Any) -> str:
    return escape(terminal_text(str(value)), quote=True)


def render(data: dict[str, Any]) -> str:
    """The page for a JSON report's data (`SuiteResult.as_dict()`)."""
    stopped = data.get("stopped") or {}
    verdict = "stopped" if stopped.get("why") == RUN_STOPPED else "passed" if data["passed"] else "failed"
    title = f"calendar contract: {verdict.upper()} - level {data['level']}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>calendar contract <span class='verdict {verdict}'>{verdict.upper()}</span></h1>",
        f"<p class='meta'>level <b>{_e(data['level'])}</b>{', read-only' if data['read_only'] else ''}; "
        f"target {_e(data['target'])}; {_e(data['seconds'])} s; {_e(data['checks_run'])} checks; "
        f"{_e(data['requests'])} requests by the suite's own client, {_e(data['cases'])} generated "
        f"by schemathesis</p>",
        f"<p class='meta'><b>{_e(stopped['why'])}</b>: {_e(stopped['reason'])}</p>" if stopped else "",
        _baseline(data),
        _summaries(data),
        _controls(),
        _failures(data),
        _rules(data),
        _units(data),
        _notes(data),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _bar(counts: dict[str, int], order: tuple[str, ...]) -> str:
    total = sum(counts.get(key, 0) for key in order)
    spans = "".join(
        f"<span class='{key.replace(' ', '-')}' style='width:{100 * counts[key] / total:.2f}%'></span>"
        for key in order if total and counts.get(key))
    words = ", ".join(f"{counts.get(key, 0)} {key}" for key in order)
    return f"<div class='bar' title='{_e(words)}' role='img' aria-label='{_e(words)}'>{spans}</div>"


def _baseline(data: dict[str, Any]) -> str:
    counts = data.get("baseline")
    if not counts:
        return ""
    return (f"<p class='meta'>baseline: {counts['new']} new finding(s) fail the run; {counts['known']} "
            "known finding(s) are accepted</p>")


def _summaries(data: dict[str, Any]) -> str:
    rows = []
    for layer in LAYERS:
        outcomes = [o for o in data["outcomes"] if o["layer"] == layer]
        if not outcomes:
            continue
        counts = Counter(o["status"] for o in outcomes)
        rows.append(f"<tr><th>{_e(layer)}</th><td>{_bar(counts, ('passed', 'failed', 'skipped'))}</td>"
                    f"<td class='num'>{counts['passed']} passed, {counts['failed']} failed, "
                    f"{counts['skipped']} skipped (of {len(outcomes)} units; "
                    f"{sum(o['checks'] for o in outcomes)} checks)</td></tr>")
    rules = Counter(row["status"] for row in data["rules"])
    rows.append(f"<tr><th>rules of the level</th><td>{_bar(rules, ('checked', 'failed', 'not checked'))}</td>"
                f"<td class='num'>{rules['checked']} checked, {rules['failed']} failed, "
                f"{rules['not checked']} not checked (of {len(data['rules'])})</td></tr>")
    if data["failures"]:
        known = Counter("known" if f.get("known") else "failed" for f in data["failures"])
        rows.append(f"<tr><th>failures</th><td>{_bar(known, ('failed', 'known'))}</td>"
                    f"<td class='num'>{known['failed']} new, {known['known']} known</td></tr>")
    return "<h2>Summary</h2><table class='summary'>" + "".join(rows) + "</table>"


def _controls() -> str:
    ticks = "".join(f"<label><input type='checkbox' value='{value}' checked> {label}</label>"
                    for value, label in FILTERS)
    return ("<div class='controls'><input id='filter' type='search' placeholder='filter: rule, operation, "
            f"tag, text...' aria-label='filter'>{ticks}</div>")


def _failures(data: dict[str, Any]) -> str:
    failures = sorted(data["failures"], key=lambda f: bool(f.get("known")))  # new ones first
    if not failures:
        return "<h2>Failures</h2><p>none</p>"
    blocks = [f"<h2>Failures ({len(failures)})</h2>"]
    for failure in failures:
        state = "known" if failure.get("known") else "failed"
        fields = [("message", failure["message"]), ("expected", failure["expected"]),
                  ("got", failure["actual"]), ("request", failure["curl"])]
        rows = "".join(f"<dt>{name}</dt><dd><code>{_e(value)}</code></dd>" for name, value in fields if value)
        times = failure["occurrences"]
        seen = f" <span class='num'>(seen {times} times)</span>" if times > 1 else ""
        badge = "known" if state == "known" else "new"
        blocks.append(
            f"<div class='failure {state}' data-status='{state}'><span class='st {badge}'>{badge}</span> "
            f"<b>{_e(failure['rule_id'])}</b> "
            f"<span class='tag'>{_e(failure['tag'])}</span> [{_e(failure['layer'])}] on "
            f"<code>{_e(failure['operation'] or '-')}</code>{seen}<dl>{rows}</dl></div>")
    return "\n".join(blocks)


def _rule_state(row: dict[str, Any], failures: list[dict[str, Any]]) -> str:
    if row["status"] == "failed":
        mine = [f for f in failures if f["rule_id"] == row["id"]]
        return "known" if mine and all(f.get("known") for f in mine) else "failed"
    return SHOWN[row["status"]]


def _rules(data: dict[str, Any]) -> str:
    lines = [f"<h2>Rules of the level ({len(data['rules'])})</h2><table><tr><th>rule</th><th>tag</th>"
             "<th>status</th><th>layers</th><th>why / what was skipped</th></tr>"]
    order = {"failed": 0, "known": 1, "passed": 2, "skipped": 3}
    rows = sorted(data["rules"], key=lambda row: order[_rule_state(row, data["failures"])])
    for row in rows:
        state = _rule_state(row, data["failures"])
        label = {"known": "known", "failed": f"failed ×{row['failures']}"}.get(state, row["status"])
        why = f"{row['why']}: {row['reason']}" if row["why"] else row["reason"]
        lines.append(f"<tr data-status='{state}'><td><code>{_e(row['id'])}</code></td>"
                     f"<td><span class='tag'>{_e(row['tag'])}</span></td>"
                     f"<td><span class='st {state}'>{_e(label)}</span></td>"
                     f"<td>{_e(', '.join(row['layers']))}</td><td class='why'>{_e(why)}</td></tr>")
    if data["rules_not_at_level"]:
        lines.append(f"<tr><td colspan='5' class='why'>not part of level {_e(data['level'])}: "
                     f"{_e(', '.join(data['rules_not_at_level']))}</td></tr>")
    return "\n".join(lines) + "</table>"


def _units(data: dict[str, Any]) -> str:
    lines = ["<h2>Every unit, per layer</h2><table><tr><th>layer</th><th>unit</th><th>status</th>"
             "<th>rules</th><th>checks</th><th>s</th><th>reason</th></tr>"]
    order = {"failed": 0, "passed": 1, "skipped": 2}
    for outcome in sorted(data["outcomes"], key=lambda o: order[o["status"]]):
        state = outcome["status"]
        lines.append(f"<tr data-status='{state}'><td>{_e(outcome['layer'])}</td>"
                     f"<td><code>{_e(outcome['name'])}</code></td>"
                     f"<td><span class='st {state}'>{state}</span></td>"
                     f"<td>{_e(', '.join(outcome['rules']))}</td><td class='num'>{_e(outcome['checks'])}</td>"
                     f"<td class='num'>{_e(outcome['seconds'])}</td>"
                     f"<td class='why'>{_e(outcome['reason'])}</td></tr>")
    return "\n".join(lines) + "</table>"


def _notes(data: dict[str, Any]) -> str:
    if not data["notes"]:
        return ""
    return "<h2>Notes</h2><ul>" + "".join(f"<li>{_e(note)}</li>" for note in data["notes"]) + "</ul>"
