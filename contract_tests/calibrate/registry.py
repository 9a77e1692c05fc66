"""One probe per open question (`x-open-questions`), and how its readings become a verdict.

A probe is a function `probe(session) -> list[Reading]` registered with `@probe("question_id")`.
It looks at the deployment at least twice (two requests, two calendars, two fields) and says,
for each look, which of the question's answers it saw - or None when what it saw fits none of
them. The verdict is the answer all readings agree on; readings that disagree make the
question unknown ("inconsistent: ..."), never a guess. A probe that cannot look at all (no data
to look at, a sanity check that failed) raises `Unsettled` with the reason.

Adding a question to the spec means adding one probe here (a test fails until it exists).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..http import Exchange

READ_ONLY_REASON = "needs writes; not probed with --read-only"


@dataclass
class Reading:
    """One look at the deployment: the answer it shows (None: none of the question's), what
    was seen in a few words, and the requests that showed it."""

    answer: str | None
    saw: str
    exchanges: list[Exchange] = field(default_factory=list)


class Unsettled(Exception):
    """The probe could not look (no data to look at, a precondition the deployment broke)."""

    def __init__(self, reason: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exchanges = list(exchanges)


@dataclass(frozen=True)
class Probe:
    question: str
    func: Callable[..., list[Reading]]
    writes: bool  # needs writes in every mode: unknown under --read-only


PROBES: dict[str, Probe] = {}  # question id -> probe, filled as the probe modules register them


def probe(question: str, *, writes: bool) -> Callable:
    """Register `func` as the probe of `question`. `writes`: it cannot look without creating
    or changing calendars (of its own), so --read-only leaves the question unknown."""

    def decorator(func: Callable[..., list[Reading]]) -> Callable[..., list[Reading]]:
        if question in PROBES:
            raise ValueError(f"two probes for {question!r}: {PROBES[question].func.__name__}, "
                             f"{func.__name__}")
        PROBES[question] = Probe(question, func, writes)
        return func

    return decorator


@dataclass
class Verdict:
    """What calibrate concluded about one question."""

    question: str
    answer: str | None = None
    unknown: str = ""
    readings: list[Reading] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)  # of an Unsettled probe
    broken: bool = False  # the probe raised: a kit bug, or an answer it could not read


# How an unknown verdict begins when the deployment did answer, only not with one of the
# question's answers throughout (--level profile: fails these; it skips what was not probed).
MISFIT = "fits none of"
INCONSISTENT = "inconsistent"
ANSWERED_OTHERWISE = (MISFIT, INCONSISTENT)


def judge(question: str, answers: Sequence[str], readings: Sequence[Reading]) -> Verdict:
    """The answer every reading shows; unknown when one fits no answer or two disagree."""
    verdict = Verdict(question, readings=list(readings))
    if not readings:
        verdict.unknown = "the probe read nothing"
        return verdict
    misfits = [reading for reading in readings if reading.answer not in answers]
    if misfits:
        verdict.unknown = f"{MISFIT} {', '.join(answers)}: {misfits[0].saw}"
        return verdict
    seen = list(dict.fromkeys(reading.answer for reading in readings))
    if len(seen) > 1:
        verdict.unknown = f"{INCONSISTENT}: " + "; ".join(
            f"{reading.saw} ({reading.answer})" for reading in readings)
        return verdict
    verdict.answer = seen[0]
    return verdict
