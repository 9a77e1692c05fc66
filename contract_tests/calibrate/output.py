"""What calibrate found (`Calibration`): the profile file it writes, and the report people read.

The file loads with `calendar_spec.profiles.load`: `answers` (the settled questions),
`unknown` (the others, and why), `evidence` (per question the requests as curl lines with
secrets masked, their status and a short excerpt of the body), `differences` (where the
deployment answers otherwise than the mock's default), and `name`, `description`,
`base_url`, `calibrated_at`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from calendar_spec.profiles import questions

from ..http import MASK, Exchange
from .registry import Verdict

EXCERPT = 200  # characters of a body kept as evidence
_SESSION = re.compile(r"(_session_id=)[^;\s\"']+")
_BASIC = re.compile(r"(Basic )[A-Za-z0-9+/]{8,}=*")


@dataclass
class Calibration:
    name: str
    target: str
    base_url: str | None
    calibrated_at: str
    read_only: bool
    verdicts: list[Verdict]
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    secrets: tuple[str, ...] = ()  # what evidence must never show: apikey, password, its SHA1
    stopped: str | None = None  # why the questions after some point were not probed

    @property
    def answers(self) -> dict[str, str]:
        return {v.question: v.answer for v in self.verdicts if v.answer is not None}

    @property
    def unknown(self) -> dict[str, str]:
        return {v.question: v.unknown for v in self.verdicts if v.answer is None}

    @property
    def broken(self) -> list[str]:
        """Questions whose probe raised (a kit bug, or an answer it could not read)."""
        return [v.question for v in self.verdicts if v.broken]

    def differences(self) -> dict[str, dict[str, str]]:
        known = questions()
        return {qid: {"mock": known[qid]["default"], "deployment": answer}
                for qid, answer in self.answers.items() if qid in known and answer != known[qid]["default"]}

    # -- the profile file -------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "description": f"calibrated from {self.target}" + (" (--read-only)" if self.read_only else ""),
            "calibrated_at": self.calibrated_at,
        }
        if self.base_url:
            document["base_url"] = self.base_url
        document.update(answers=self.answers, unknown=self.unknown, differences=self.differences(),
                        evidence={v.question: self._evidence(v) for v in self.verdicts})
        return document

    def write(self, path: str | Path) -> Path:
        """The profile as JSON, or YAML when the name ends in .yaml / .yml."""
        path = Path(path)
        document = self.document()
        if path.suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
        else:
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    def _evidence(self, verdict: Verdict) -> dict[str, Any]:
        found: dict[str, Any] = ({"answer": verdict.answer} if verdict.answer is not None
                                 else {"unknown": self._mask(verdict.unknown)})
        if verdict.readings:
            found["readings"] = [{"saw": self._mask(reading.saw), "answer": reading.answer,
                                  "requests": [self._request(e) for e in reading.exchanges]}
                                 for reading in verdict.readings]
        elif verdict.exchanges:
            found["requests"] = [self._request(e) for e in verdict.exchanges]
        return found

    def _request(self, exchange: Exchange) -> dict[str, Any]:
        return {"request": self._mask(exchange.curl()), "status": exchange.status,
                "body": self._mask(exchange.body_text(EXCERPT))}

    def _mask(self, text: str) -> str:
        """`text` with every secret of the run and any session token replaced by the mask."""
        secrets = [s for s in self.secrets if s]
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _BASIC.sub(rf"\1{MASK}", text)  # a Basic header echoed in a body, should one be
        return _SESSION.sub(rf"\1{MASK}", text)

    # -- the report ---------------------------------------------------------------------------------
    def report(self) -> str:
        known = questions()
        answers, unknown, differences = self.answers, self.unknown, self.differences()
        lines = [
            f"# Calibration: {self.name}",
            "",
            f"{self.target}{' (--read-only)' if self.read_only else ''}, {self.calibrated_at}: "
            f"{len(known)} open questions, {len(answers)} settled ({len(differences)} unlike the mock's "
            f"default), {len(unknown)} unknown; {self.requests} requests in {self.seconds:.1f} s.",
            *(["", f"**Stopped early**: {_cell(self._mask(self.stopped), 400)}"] if self.stopped else []),
            "",
            "## Where the deployment differs from the mock's default",
            "",
        ]
        if differences:
            lines += ["| question | deployment | mock | seen |", "|---|---|---|---|"]
            for qid, pair in differences.items():
                seen = next((v.readings[0].saw for v in self.verdicts
                             if v.question == qid and v.readings), "")
                lines.append(f"| {qid} | {pair['deployment']} | {pair['mock']} | {_cell(self._mask(seen))} |")
        else:
            lines.append("Nowhere: every settled question is answered as the mock answers it by default.")
        lines += ["", "## Unknown", ""]
        if unknown:
            lines += ["| question | why |", "|---|---|"]
            lines += [f"| {qid} | {_cell(self._mask(why))} |" for qid, why in unknown.items()]
        else:
            lines.append("None: every question is settled.")
        same = [qid for qid, answer in answers.items() if qid not in differences]
        if same:
            lines += ["", f"As the mock's default: {', '.join(same)}."]
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + "…"
