"""`calibrate(CalibrateOptions(...)) -> Calibration`: every open question probed once, for the
CLI and for tests.

    from contract_tests.calibrate import CalibrateOptions, calibrate
    result = calibrate(CalibrateOptions(app=create_app(profile="contrarian")))
    result.answers, result.unknown, result.write("profile.json"), print(result.report())

`app=` calibrates a WSGI app in-process, `base_url=` a deployment over HTTP; neither starts the
kit's mock in-process (answering as `profile=`, when given) with the demo credentials.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from calendar_spec.profiles import ProfileError, questions

from ..client import Api, Identity
from ..http import BadBaseUrl, Exchange, Transport, Unreachable
from ..target import open_transport, profile_name
from . import (  # noqa: F401 - registration by import
    probes_answers,
    probes_bodies,
    probes_lists,
    probes_order,
    probes_references,
    probes_writes,
)
from .output import Calibration
from .registry import PROBES, READ_ONLY_REASON, Unsettled, Verdict, judge
from .session import Session

NOT_PROBED = "not probed: the deployment stopped answering (calibrate again)"


class CalibrateError(Exception):
    """Bad options, refused credentials or an unreachable deployment: the CLI exits 2."""


@dataclass
class CalibrateOptions:
    base_url: str | None = None
    app: Any = None
    profile: Any = None  # how the in-process mock answers (no base_url, no app): a Profile, dict, path, name
    apikey: str | None = None
    user: str | None = None
    password: str | None = None
    group_id: int | None = None
    read_only: bool = False
    name: str | None = None
    intervention_ids: Sequence[int] | None = None
    intervention_probes: int = 100
    # Calendars the kit ever creates in the group (footprint.py); None or 0: no bound (the CLI
    # bounds a deployment by default, as `run` does)
    max_own_calendars: int | None = None
    run_id: str | None = None  # a suite run's when it calibrates (--level profile): its calendars reusable
    journal: list[Exchange] = field(default_factory=list)  # every exchange calibrate sent, filled in


def _target(options: CalibrateOptions) -> tuple[Transport, Identity, str]:
    if options.base_url and options.app is not None:
        raise CalibrateError("give either base_url (real HTTP) or app (in-process), not both")
    if options.profile is not None and (options.base_url or options.app is not None):
        raise CalibrateError("--profile shapes the kit's in-process mock; it cannot change a deployment")
    values = {key: getattr(options, key) for key in ("apikey", "user", "password", "group_id")}
    try:
        transport, values, _ = open_transport(options.base_url, options.app, options.profile, values)
    except BadBaseUrl as error:
        raise CalibrateError(str(error)) from None
    except (ProfileError, ValueError) as error:
        raise CalibrateError(f"--profile: {error}") from None
    target = options.base_url or ("the kit's mock, in-process" + (
        f" (profile {profile_name(options.profile)})" if options.profile is not None else ""))
    missing = [key for key, value in values.items() if value in (None, "")]
    if missing:
        raise CalibrateError(f"missing option(s): {', '.join('--' + m.replace('_', '-') for m in missing)}")
    try:
        group_id = int(values["group_id"])
    except (TypeError, ValueError):
        raise CalibrateError("--group-id must be an integer") from None
    return transport, Identity(values["apikey"], values["user"], values["password"], group_id), target


def calibrate(options: CalibrateOptions) -> Calibration:
    """Probe every question of the spec's `x-open-questions`; CalibrateError for bad options,
    refused credentials or an unreachable deployment. A deployment that stops answering part-way
    leaves the questions settled before it (`Calibration.stopped` says why the rest are unknown)."""
    started = time.monotonic()
    transport, identity, target = _target(options)
    api = Api(transport, identity, options.journal)
    session = Session(api, read_only=options.read_only, intervention_ids=options.intervention_ids,
                      intervention_probes=options.intervention_probes,
                      max_own_calendars=options.max_own_calendars, run_id=options.run_id)
    verdicts: list[Verdict] = []
    notes: list[str] = []
    stopped: str | None = None
    try:
        try:
            _check_access(session)
            if not session.read_only:
                try:
                    session.claim()
                except Unsettled as unsettled:
                    notes.append(f"the kit's calendars of earlier runs were not claimed: {unsettled.reason}")
            for question, facts in questions().items():
                if stopped:
                    verdicts.append(Verdict(question, unknown=NOT_PROBED))
                    continue
                try:
                    verdicts.append(_settle(session, question, facts["answers"]))
                    session.release()
                except Unreachable as error:  # what was settled before still holds: keep it
                    stopped = f"the deployment stopped answering: {error}"
                    verdicts.append(Verdict(question, unknown=NOT_PROBED))
        finally:
            try:
                notes.extend(session.clean_up())
            except Unreachable:
                notes.append("clean-up skipped: the deployment stopped answering")
    except Unreachable as error:
        raise CalibrateError(f"the deployment is unreachable: {error}") from None
    finally:
        transport.close()
    host = urlsplit(options.base_url).hostname if options.base_url else "mock"
    stamp = datetime.now(UTC)
    return Calibration(
        name=options.name or f"calibrated-{host}-{stamp:%Y%m%d-%H%M%S}",
        target=target,
        base_url=options.base_url,
        calibrated_at=stamp.strftime("%Y-%m-%d %H:%M:%S UTC"),
        read_only=options.read_only,
        verdicts=verdicts,
        notes=notes,
        requests=len(options.journal),
        seconds=time.monotonic() - started,
        secrets=(identity.apikey, identity.password, identity.password_sha1),
        stopped=stopped,
    )


def _check_access(session: Session) -> None:
    """One list of the group: calibrate stops (exit 2) when the credentials or the group are refused."""
    exchange = session.api.list([("results", 1)])
    if exchange.status != 200:
        raise CalibrateError(f"the deployment refuses to list group {session.group_id} with these "
                             f"credentials: {exchange.summary()[:200]}")


def _settle(session: Session, question: str, answers: list[str]) -> Verdict:
    probe = PROBES.get(question)
    if probe is None:
        return Verdict(question, unknown="calibrate has no probe for this question (the spec is newer)")
    if probe.writes and session.read_only:
        return Verdict(question, unknown=READ_ONLY_REASON)
    try:
        return judge(question, answers, probe.func(session))
    except Unsettled as unsettled:
        return Verdict(question, unknown=unsettled.reason, exchanges=unsettled.exchanges)
    except Unreachable:
        raise
    except Exception as error:  # a kit bug, or an answer the probe could not read: say so, go on
        last = session.api.journal[-1:]
        return Verdict(question, unknown=f"the probe broke: {type(error).__name__}: {error}",
                       exchanges=last, broken=True)
