"""Profiles: one answer per open question of the spec (`x-open-questions`).

A profile says how a deployment answers where the docs leave it free. The mock answers as a
profile says; `calendar-contract calibrate` writes the profile a deployment shows;
`calendar-contract run --level profile:FILE` holds a deployment to one.

A profile file is JSON or YAML:

    name: staging-2026-11          # optional
    answers:                       # question id -> answer; a question left out is not fixed
      group_id_mismatch: "400"
      start_index: pages
    unknown: {page_cap: "..."}     # optional: questions calibrate could not settle, and why
    evidence: {...}                # optional: what calibrate saw; read by people, not the kit

A bare mapping of question ids to answers is read as `answers`. Built in: `default` (the
mock's own answer to every question) and `contrarian` (another answer to every question).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import load_spec

BUILTIN = ("default", "contrarian")
_FILE_KEYS = frozenset({"name", "description", "answers", "unknown", "evidence", "differences",
                        "base_url", "calibrated_at"})


class ProfileError(ValueError):
    """A profile that cannot be used: names the file, the question and the answer at fault."""


def questions() -> dict[str, dict[str, Any]]:
    """The spec's open questions by id, answers as strings (the questions are shared: read them,
    do not change them)."""
    return dict(_questions())


@functools.lru_cache(maxsize=1)
def _questions() -> dict[str, dict[str, Any]]:
    # Read once per process: the spec file does not change under a running kit, and a copy of
    # the whole spec costs ~2 ms, which a fresh mock with a profile would pay on every build.
    found = {}
    for question in load_spec("mock").get("x-open-questions", {}).get("questions", ()):
        found[question["id"]] = {**question, "default": str(question["default"]),
                                 "answers": [str(answer) for answer in question["answers"]]}
    return found


@dataclass(frozen=True)
class Profile:
    """Answers to some open questions (those left out are not fixed), checked against the spec."""

    answers: Mapping[str, str]
    name: str = "custom"
    unknown: Mapping[str, str] = field(default_factory=dict)

    def keeps_assumptions(self) -> bool:
        """Whether every `assumed` question has the ASM answer, so --level strict still holds."""
        known = questions()
        return all(self.answers.get(qid, q["default"]) == q["default"]
                   for qid, q in known.items() if q["kind"] == "assumed")

    def complete(self) -> dict[str, str]:
        """Every question's answer, the mock's default where the profile is silent."""
        return {qid: self.answers.get(qid, q["default"]) for qid, q in questions().items()}

    def as_file(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.name, "answers": dict(self.answers)}
        if self.unknown:
            document["unknown"] = dict(self.unknown)
        return document


def check_answers(answers: Any, where: str = "profile") -> dict[str, str]:
    """`answers` as strings, or ProfileError naming the first unknown question or answer."""
    if not isinstance(answers, Mapping):
        raise ProfileError(f"{where}: answers must be a mapping of question id to answer, "
                           f"not {type(answers).__name__}")
    known = questions()
    checked = {}
    for qid, answer in answers.items():
        question = known.get(qid)
        if question is None:
            raise ProfileError(f"{where}: unknown question {qid!r}; known: {', '.join(known)}")
        if isinstance(answer, (dict, list)) or answer is None or str(answer) not in question["answers"]:
            raise ProfileError(f"{where}: question {qid!r} has no answer {answer!r}; "
                               f"its answers: {', '.join(question['answers'])}")
        checked[qid] = str(answer)
    return checked


def from_document(document: Any, where: str = "profile") -> Profile:
    """A profile from a parsed file (or an equivalent dict)."""
    if not isinstance(document, Mapping):
        raise ProfileError(f"{where}: a profile is a mapping, not {type(document).__name__}")
    if "answers" not in document:
        return Profile(check_answers(document, where), name=Path(where).stem or "custom")
    unexpected = sorted(set(document) - _FILE_KEYS)
    if unexpected:
        raise ProfileError(f"{where}: unknown key {unexpected[0]!r}; a profile file has "
                           f"{', '.join(sorted(_FILE_KEYS))}")
    unknown = document.get("unknown") or {}
    if not isinstance(unknown, Mapping):
        raise ProfileError(f"{where}: unknown must map question ids to reasons")
    stray = sorted(set(unknown) - set(questions()))
    if stray:
        raise ProfileError(f"{where}: unknown question {stray[0]!r} under unknown")
    answers = document["answers"]
    return Profile(check_answers({} if answers is None else answers, where),
                   name=str(document.get("name") or Path(where).stem or "custom"),
                   unknown={str(k): str(v) for k, v in unknown.items()})


def builtin(name: str) -> Profile:
    known = questions()
    if name == "default":
        return Profile({qid: q["default"] for qid, q in known.items()}, name="default")
    if name == "contrarian":
        return Profile({qid: next(a for a in q["answers"] if a != q["default"])
                        for qid, q in known.items()}, name="contrarian")
    raise ProfileError(f"no built-in profile {name!r}; built in: {', '.join(BUILTIN)}")


def load(source: Profile | Mapping[str, Any] | str | Path) -> Profile:
    """A profile from a Profile, a dict, a built-in name or a JSON/YAML file."""
    if isinstance(source, Profile):
        return source
    if isinstance(source, Mapping):
        return from_document(source, "profile")
    if isinstance(source, str) and source in BUILTIN:
        return builtin(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the profile ({error.strerror or error}); "
                           f"built in: {', '.join(BUILTIN)}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ProfileError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                           f"{str(error).splitlines()[0]}") from None
    return from_document(document, str(path))


def random_profile(rng: random.Random, keep_assumptions: bool = False) -> Profile:
    """Any answer to every question (the ASM answer to `assumed` ones when asked to keep them)."""
    answers = {}
    for qid, question in questions().items():
        if keep_assumptions and question["kind"] == "assumed":
            answers[qid] = question["default"]
        else:
            answers[qid] = rng.choice(question["answers"])
    return Profile(answers, name=f"random-{rng.getrandbits(32):08x}")
