"""The mock's answer to each open question of the spec (`x-open-questions`).

Plain attributes, read on every request (`settings.page_cap`); changed only through `update`,
which checks every name and answer against the spec before it changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SettingError


class Settings:
    """One answer per question id; the ids and their answers come from the spec."""

    def __init__(self, questions: Mapping[str, Mapping[str, Any]]) -> None:
        self._questions = questions
        self._defaults = {qid: str(question["default"]) for qid, question in questions.items()}
        self.__dict__.update(self._defaults)

    def check(self, answers: Mapping[str, Any]) -> dict[str, str]:
        """`answers` as strings, or SettingError naming the first unknown question or answer."""
        checked = {}
        for qid, answer in answers.items():
            question = self._questions.get(qid)
            if question is None:
                raise SettingError(f"unknown setting {qid!r}; known: {', '.join(self._questions)}")
            choices = [str(choice) for choice in question["answers"]]
            if str(answer) not in choices:
                raise SettingError(f"{qid} must be one of {', '.join(choices)}, not {answer!r}")
            checked[qid] = str(answer)
        return checked

    def update(self, answers: Mapping[str, Any]) -> None:
        """Change some answers; a bad name or answer changes nothing."""
        self.__dict__.update(self.check(answers))

    def replace(self, answers: Mapping[str, Any]) -> None:
        """Answer as `answers` says and every other question as the default; a bad one changes nothing."""
        checked = self.check(answers)
        self.__dict__.update({**self._defaults, **checked})

    def reset(self) -> None:
        self.__dict__.update(self._defaults)

    def as_dict(self) -> dict[str, str]:
        return {qid: self.__dict__[qid] for qid in self._questions}

    def differs(self) -> dict[str, str]:
        """The answers that are not the spec's defaults."""
        return {qid: value for qid, value in self.as_dict().items() if value != self._defaults[qid]}
