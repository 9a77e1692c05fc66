"""`--level profile:FILE`: the contract, plus "the deployment still answers every open question
as FILE says" - the regression check that a staging (or the mock) has not drifted from a
known profile, e.g. one `calendar-contract calibrate` wrote.

The rules checked are the strict level's, less the ASM rules of the assumed questions FILE
answers otherwise (FILE says the deployment answers them another way, and that answer is
checked instead); schemathesis reads the strict view of the spec when FILE keeps every
assumption, else the documented one. Each question FILE answers is probed by calibrate's probe
for it: another answer, or two looks that disagree, fail `profile.<question>`; a question the
probe cannot settle here (e.g. --read-only) is skipped with the reason.
"""

from __future__ import annotations

import time
from typing import Any

from calendar_spec import profiles

from .model import Failure, Outcome, SuiteUsageError

PREFIX = "profile:"
LAYER = "profile"
TAG = "PROFILE"


def split_level(level: str) -> tuple[str, profiles.Profile | None]:
    """The spec view a level reads and, for `profile:FILE`, the profile."""
    if not level.startswith(PREFIX):
        return level, None
    try:
        profile = profiles.load(level[len(PREFIX):])
    except profiles.ProfileError as error:
        raise SuiteUsageError(f"--level {level}: {error}") from None
    return ("strict" if profile.keeps_assumptions() else "documented"), profile


def rules_answered_otherwise(profile: profiles.Profile) -> set[str]:
    """The ASM rules of the assumed questions `profile` answers otherwise than CONTRACT.md."""
    questions = profiles.questions()
    return {rule for qid, answer in profile.answers.items()
            if questions[qid]["kind"] == "assumed" and answer != questions[qid]["default"]
            for rule in questions[qid].get("rules", ())}


def check(options: Any, profile: profiles.Profile, run_id: str | None = None) -> list[Outcome]:
    """One outcome per question the profile answers: calibrate's probe, against the profile."""
    from .calibrate import CalibrateError, CalibrateOptions, calibrate
    from .calibrate.registry import ANSWERED_OTHERWISE

    started = time.monotonic()
    try:
        calibration = calibrate(CalibrateOptions(
            base_url=options.base_url, app=options.app, apikey=options.apikey, user=options.user,
            password=options.password, group_id=options.group_id, read_only=options.read_only,
            intervention_ids=options.intervention_ids, max_own_calendars=options.max_own_calendars,
            run_id=run_id))
    except CalibrateError as error:
        raise SuiteUsageError(f"--level profile: {error}") from None
    seconds = (time.monotonic() - started) / max(1, len(profile.answers))
    evidence = calibration.document()["evidence"]
    outcomes = []
    for qid, wanted in profile.answers.items():
        outcome = Outcome(LAYER, f"{LAYER}.{qid}", checks=1, seconds=seconds)
        got, why = calibration.answers.get(qid), calibration.unknown.get(qid, "")
        if got == wanted:
            pass
        elif got is None and not why.startswith(ANSWERED_OTHERWISE):
            outcome.status, outcome.reason = "skipped", f"could not be probed here: {why}"
        else:
            outcome.status = "failed"
            seen = evidence.get(qid, {})
            outcome.failures.append(Failure(
                rule_id=outcome.name, tag=TAG, layer=LAYER, operation="",
                message=f"{qid}: {profiles.questions()[qid]['question']}",
                expected=f"{wanted} (as {profile.name} says)",
                actual=(f"{got} ({_seen(seen)})" if got is not None else why),
                curl=_first_curl(seen)))
        outcomes.append(outcome)
    return outcomes


def _first_curl(evidence: dict[str, Any]) -> str:
    requests = (evidence.get("readings") or [{}])[0].get("requests") or evidence.get("requests") or [{}]
    return requests[0].get("request", "")


def _seen(evidence: dict[str, Any]) -> str:
    return "; ".join(reading["saw"] for reading in evidence.get("readings", ())[:2])
