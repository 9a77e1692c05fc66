"""What a run produces: failures with their evidence, and one outcome per rule and operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

# The kit's demo identities: what a run against the in-process mock uses by default.
DEMO = {
    "apikey": "demo-apikey-4f1c2b",
    "user": "pro@demo.test",
    "password": "demo-password",
    "group_id": 4,
    "other_user": "pro5@demo.test",
    "other_password": "other-password",
    "other_group_id": 5,
}
LAYERS = ("conformance", "stateful", "semantic", "auth", "profile")  # profile: --level profile:FILE only
DEFAULT_INTERVENTION_PROBES = 100  # intervention ids tried when none is given
# Requests in flight at once (--concurrency): benchmarks/RESULTS.md, "contract run over a slow
# network": at 50 ms the semantic and auth layers take 36.6 s at 8 against 49.6 s at 1 (writes go
# one at a time, so more threads find little more to overlap; 4 and 16 were not measured).
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_S = 30.0  # the wait for each answer, the suite's requests and schemathesis' alike
# Calendars the suite may ever create in one group, over all its runs (--max-own-calendars): room
# for one whole strict run on an empty group (it makes 21 in the user's group: 13 to work on,
# reused by later runs, and 8 fresh POSTs the create rules need), with a margin for re-run checks.
DEFAULT_MAX_OWN_CALENDARS = 30


def deleted_flag(record: dict[str, Any], *, booleans_only: bool) -> bool | None:
    """A record's `deleted` as True/False, or None when it is neither.

    The docs say "boolean" without showing the JSON; a deployment serialising it as 0/1 (as
    Rails does for sibling resources) keeps the documented contract, so only the strict
    level insists on JSON booleans.
    """
    value = record.get("deleted")
    if isinstance(value, bool):
        return value
    if booleans_only:
        return None
    if value in (1, "1", "true"):
        return True
    if value in (0, "0", "false"):
        return False
    return None


@dataclass
class Failure:
    """One broken rule: which rule (and its CONTRACT tag), where, the request, expected vs got."""

    rule_id: str
    tag: str
    layer: str
    operation: str
    message: str
    curl: str = ""
    expected: str = ""
    actual: str = ""
    occurrences: int = 1

    def describe(self) -> str:
        lines = [f"[{self.layer}] {self.rule_id} ({self.tag}) on {self.operation or '-'}"]
        if self.message:
            lines.append(f"  {self.message}")
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.actual:
            lines.append(f"  got:      {self.actual}")
        if self.curl:
            lines.append(f"  request:  {self.curl}")
        if self.occurrences > 1:
            lines.append(f"  (seen {self.occurrences} times)")
        return "\n".join(lines)


@dataclass
class Outcome:
    """The result of one unit the summary lists: a rule (semantic/auth) or an operation (schemathesis)."""

    layer: str
    name: str  # rule id, or "GET /api/v1/..." for conformance, or "stateful" links
    status: str = "passed"  # passed | failed | skipped
    checks: int = 0
    seconds: float = 0.0
    reason: str = ""
    why: str = ""  # for a skipped outcome: the kind of reason (READ_ONLY, NO_SECOND_IDENTITY...)
    failures: list[Failure] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)

    @property
    def testcase(self) -> str:
        return f"{self.layer}::{self.name}"


class CheckFailed(Exception):
    """A rule does not hold; raised by `SuiteContext.expect`."""

    def __init__(
        self, message: str, *, expected: str = "", actual: str = "", exchange: Any = None,
        operation: str = "", rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule  # the rule broken, when it is not the rule of the check that found it
        self.message = message
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        self.operation = operation or (exchange.operation if exchange is not None else "")


# Why a rule was not checked: the kinds of reason the per-rule table gives (report_rules).
READ_ONLY = "read-only"
NO_SECOND_IDENTITY = "no second identity"
NO_INTERVENTION = "no intervention found"
NO_DATA = "nothing to check with"
LAYER_NOT_RUN = "layer not run"
UNOBSERVABLE = "unobservable"
NOT_AT_LEVEL = "not at this level"
DISCOVERY_FAILED = "discovery failed"
RUN_STOPPED = "run stopped"  # the server stopped answering before the run's end
FOOTPRINT = "footprint bound"  # --max-own-calendars reached: no more calendars are created
NOT_SERVED = "not served"  # a resource beyond the Calendar one that the deployment does not serve
OTHERS_WRITE = "others write"  # the group moved while the run sent it nothing: a comparison cannot judge


class Skip(Exception):
    """The check cannot run here; `why` is the kind of reason (read-only, no second identity,
    no intervention found, nothing to check with), the message says the rest."""

    def __init__(self, message: str, *, why: str = NO_DATA) -> None:
        super().__init__(message)
        self.why = why


class SuiteUsageError(Exception):
    """Bad options or an unreachable server: the CLI exits 2."""


@dataclass
class SuiteOptions:
    base_url: str | None = None
    app: Any = None
    apikey: str | None = None
    user: str | None = None
    password: str | None = None
    group_id: int | None = None
    level: str = "strict"
    max_examples: int | None = None
    seed: int | None = None
    read_only: bool = False
    layers: tuple[str, ...] | list[str] | None = None
    other_user: str | None = None
    other_password: str | None = None
    other_group_id: int | None = None
    junit_xml: str | None = None
    json_report: str | None = None  # a file for the JSON report (SuiteResult.as_dict)
    quiet: bool = True
    # Optional knowledge of the deployment, when probing is not wanted.
    intervention_ids: list[int] | None = None
    calendarset_ids: list[int] | None = None
    intervention_probes: int = DEFAULT_INTERVENTION_PROBES
    stream: TextIO | None = None  # progress output (default: stdout) when quiet is False
    concurrency: int | None = None  # requests in flight at once (default DEFAULT_CONCURRENCY)
    max_rate: float | None = None  # requests per second across the run (None: no limit)
    timeout: float = DEFAULT_TIMEOUT_S  # seconds to wait for each answer (--timeout)
    # Calendars the suite ever creates in a group (footprint.py); None: DEFAULT_MAX_OWN_CALENDARS
    # against a deployment (base_url), no bound for an app in-process (it is thrown away).
    max_own_calendars: int | None = None
    profile: Any = None  # with --level profile:FILE, the profile (the level is then its spec view)
    # What the run prints, and writes besides JUnit/JSON (progress.py, baseline.py, report_html.py).
    progress: str = "auto"  # auto | bar | lines | units | none
    html_report: str | None = None
    baseline: str | None = None  # accepted findings: only the others fail the run
    update_baseline: bool = False  # write `baseline` from this run's findings first
