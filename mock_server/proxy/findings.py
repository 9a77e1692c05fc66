"""What an exchange is judged against (`Level`) and what the judging found (`Findings`).

A level is a view of the spec and the rules that hold at it, as `calendar-contract run
--level` reads them: `documented` (DOC and INF rules, the documented view), `strict` (every
rule, the strict view) or `profile:FILE` (the strict rules less those of the assumed questions
FILE answers otherwise, the strict view when FILE keeps every assumption, else the documented
one; plus FILE's answers, checked as `profile.<question>` where one exchange shows them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import calendar_spec
from calendar_spec import profiles

PROFILE_PREFIX = "profile:"
PROFILE_TAG = "PROFILE"


@dataclass(frozen=True)
class Violation:
    """One rule an exchange breaks: the rule's id and tag, what is wrong, and where."""

    rule: str
    tag: str
    message: str
    where: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "tag": self.tag, "message": self.message, "where": self.where}


class Level:
    """The spec view and the rules one level holds a deployment to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.profile: profiles.Profile | None = None
        all_rules = {rule["id"]: rule["tag"] for rule in calendar_spec.rules("strict")}
        if name.startswith(PROFILE_PREFIX):
            self.profile = profiles.load(name[len(PROFILE_PREFIX):])  # ProfileError if unusable
            self.view = "strict" if self.profile.keeps_assumptions() else "documented"
            applied = set(all_rules) - answered_otherwise(self.profile)
        elif name in calendar_spec.LEVELS:
            self.view = name
            applied = calendar_spec.rule_ids(name)
        else:
            raise ValueError(f"--level must be documented, strict or profile:FILE, not {name!r}")
        self.tags = all_rules
        self.applied = frozenset(applied)
        self.answers: dict[str, str] = dict(self.profile.answers) if self.profile else {}

    def applies(self, rule: str) -> bool:
        return rule in self.applied or (rule.startswith("profile.") and rule[8:] in self.answers)

    def tag(self, rule: str) -> str:
        return PROFILE_TAG if rule.startswith("profile.") else self.tags.get(rule, "")

    def answer(self, question: str) -> str | None:
        """The profile's answer to an open question, None when no profile fixes it."""
        return self.answers.get(question)


def answered_otherwise(profile: profiles.Profile) -> set[str]:
    """The ASM rules of the assumed questions `profile` answers otherwise than CONTRACT.md."""
    questions = profiles.questions()
    return {rule for qid, answer in profile.answers.items()
            if questions[qid]["kind"] == "assumed" and answer != questions[qid]["default"]
            for rule in questions[qid].get("rules", ())}


@dataclass
class Findings:
    """The rules one exchange was checked against, and those it breaks (at its level only)."""

    level: Level
    checked: set[str] = field(default_factory=set)
    violations: list[Violation] = field(default_factory=list)

    def expect(self, rule: str, holds: Any, message: str, where: str = "") -> bool:
        """Record that `rule` was checked and, unless `holds`, broken; a rule the level does not
        hold is neither. Returns whether it holds (True for a rule not held)."""
        if not self.level.applies(rule):
            return True
        self.checked.add(rule)
        if not holds:
            self.violations.append(Violation(rule, self.level.tag(rule), message, where))
            return False
        return True

    def fail(self, rule: str, message: str, where: str = "") -> None:
        self.expect(rule, False, message, where)
