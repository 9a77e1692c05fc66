"""What a replay found, call by call: as text for people, as JSON for tools. Requests are shown
as recorded, their apikey and password masked (a recording from a browser or Postman may hold
them in clear)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from mock_server.recorded.calls import ApiCall

from ..diff.report import finding_line, totals_lines
from ..http import MASK, SECRET_QUERY_KEYS
from .run import ReplayResult

SIDES = ("recorded", "target")


def request_line(call: ApiCall) -> str:
    """`entry N METHOD path?query` as recorded, secrets masked."""
    query = "&".join(f"{k}={MASK if k in SECRET_QUERY_KEYS else v}" for k, v in call.query)
    return f"entry {call.entry} {call.method} {call.path}" + (f"?{unquote(query)}" if query else "")


def text(result: ReplayResult) -> str:
    lines = [f"calendar-contract replay: {result.recording.summary()}",
             f"  recorded: {result.recorded}", f"  target:   {result.target}",
             "  the target's ids of the calendars it created are compared as the recorded ones; "
             "timestamps by their format"]
    lines.extend(f"  note: {note}" for note in result.recording.notes)
    for step in result.steps:
        if step.findings and step.call is not None:
            lines.append(request_line(step.call))
            lines.extend(f"  {finding_line(finding, SIDES)}" for finding in step.findings)
    lines.extend(f"skipped {request_line(call)}: {why}" for call, why in result.skipped)
    lines.extend(f"not compared {request_line(call)}: {why}" for call, why in result.not_compared)
    lines.extend(totals_lines(result, result.notes, "requests"))
    return "\n".join(lines)


def as_json(result: ReplayResult) -> dict[str, Any]:
    return {
        "recording": result.recording.source,
        "entries": result.recording.entries,
        "left_out": dict(result.recording.left_out),
        "recorded": result.recorded,
        "target": result.target,
        "passed": result.passed,
        "stopped": result.stopped,
        "differences": result.differences,
        "unexplained": result.unexplained(),
        "questions": dict(result.questions().most_common()),
        "operations": result.operations(),
        "requests": [
            {
                "entry": step.call.entry if step.call else None,
                "kind": step.step.kind,
                "operation": step.operation,
                "request": request_line(step.call) if step.call else "",
                "status": dict(zip(SIDES, step.statuses, strict=True)),
                "differences": [finding.as_dict() for finding in step.findings],
                "curl": step.curls[1],
            }
            for step in result.steps
        ],
        "skipped": [{"entry": call.entry, "request": request_line(call), "why": why}
                    for call, why in result.skipped],
        "not_compared": [{"entry": call.entry, "request": request_line(call), "why": why}
                         for call, why in result.not_compared],
        "notes": [*result.recording.notes, *result.notes],
    }


def write_json(result: ReplayResult, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(as_json(result), out, ensure_ascii=False, indent=2)
        out.write("\n")
