"""Known, accepted deviations: `--baseline FILE` fails a run only on findings FILE does not list;
`--update-baseline` writes FILE from the run's findings.

A finding is named by what stays the same from one run to the next: its rule, layer and
operation, and its message with what changes every run taken out - the run's calendar names
(`contract-kit-<run id>-...`), numbers (ids, counts, timestamps) and quoted values. A
schemathesis finding is named by its check and failure title, never by its example: the
inputs hypothesis draws change with the seed, the check and the operation do not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import Failure, SuiteUsageError

KIND = "calendar-contract baseline"
VERSION = 1
_SCHEMATHESIS = re.compile(r"^(?P<title>.*?) \(schemathesis check (?P<check>\w+), (?P<mode>\w+) case\)")
_RUN_NAME = re.compile(r"contract-kit-\d{14}-[0-9a-f]{4}[\w.-]*")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# Numbers (ids, counts), but an HTTP status after the words that announce one.
_NUMBER = re.compile(r"(?<!\w)(?<!answers )(?<!answered )(?<!status )\d+")
_MESSAGE_LENGTH = 160


def normalised(text: str) -> str:
    """`text` without what differs from run to run."""
    text = _RUN_NAME.sub("<run-name>", text)
    text = _TIME.sub("<time>", text)
    text = _QUOTED.sub("<value>", text)
    text = _NUMBER.sub("<n>", text)
    return " ".join(text.split())[:_MESSAGE_LENGTH]


def finding_key(failure: Failure) -> str:
    """The finding's stable name (see the module's docstring)."""
    operation = normalised(failure.operation or "-")
    found = _SCHEMATHESIS.match(failure.message)
    what = (f"schemathesis:{found['check']}:{found['mode']}:{normalised(found['title'])}" if found
            else normalised(failure.message))
    return " | ".join((failure.rule_id, failure.layer, operation, what))


def load(path: str | Path) -> frozenset[str]:
    """The finding keys a baseline file accepts; SuiteUsageError when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteUsageError(f"--baseline {path}: no such file (--update-baseline writes it)") from None
    except (OSError, ValueError) as error:
        raise SuiteUsageError(f"--baseline {path}: not a baseline file ({error})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND or not isinstance(data.get("findings"), list):
        raise SuiteUsageError(f"--baseline {path}: not a baseline file (no {KIND!r} findings)")
    return frozenset(str(item["key"]) for item in data["findings"]
                     if isinstance(item, dict) and "key" in item)


def write(path: str | Path, failures: Iterable[Failure], level: str) -> int:
    """Write the baseline accepting `failures`; the number of findings written."""
    findings: dict[str, dict[str, Any]] = {}
    for failure in failures:
        findings.setdefault(finding_key(failure), {
            "key": finding_key(failure), "rule_id": failure.rule_id, "tag": failure.tag,
            "layer": failure.layer, "operation": failure.operation, "message": failure.message})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {"kind": KIND, "version": VERSION, "level": level,
                "findings": [findings[key] for key in sorted(findings)]}
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(findings)


def apply(result: Any, path: str | None, update: bool) -> None:
    """Hold the run to the baseline at `path` (`result.known`), or with `update` write it
    from the run's findings first; a note says what the baseline did."""
    if path is None:
        if update:
            raise SuiteUsageError("--update-baseline needs --baseline FILE (the file it writes)")
        return
    if update and result.stopped:
        result.notes.append(f"baseline: {path} not written: the run stopped early ({result.stopped})")
        update = False
        if not Path(path).exists():
            return
    if update:
        written = write(path, result.failures, result.level)
        result.notes.append(f"baseline: {written} finding(s) written to {path} (--update-baseline)")
    result.known = load(path)
    seen = {finding_key(failure) for failure in result.failures}
    known = [failure for failure in result.failures if finding_key(failure) in result.known]
    gone = len(result.known - seen)
    unseen = f"; {gone} known finding(s) not seen this run" if gone else ""
    result.notes.append(f"baseline {path}: {len(known)} known finding(s) accepted, "
                        f"{len(result.failures) - len(known)} new{unseen}")
