"""The suite's own schemathesis checks and hooks, and which built-in checks it keeps.

Registered globally (schemathesis' registries are), each is inert for a schema that is not the
suite's: it finds its run's policy by the schema, and returns SKIP without one.
"""

from __future__ import annotations

import threading
from typing import Any

import schemathesis
from schemathesis.checks import CHECKS

from ..model import CheckFailed
from ..registry import rule_tag
from ..spec_facts import BODY_RULES
from ..unchanged import expect_unchanged
from .responses import documented_view
from .rules import is_date, is_negative
from .steer import _POLICIES, WRITES, Policy, _policy
from .views import LOGIN

_LOCK = threading.Lock()


# What a check returns to schemathesis: None when it judged the response (and found nothing
# wrong: recorded as a success), SKIP when the response is none of its business (a truthy
# return is "skipped": nothing is recorded). A success thus means the check really looked,
# and only then does the rule it stands for count as checked (findings.judge).
SKIP = True


# -- schemathesis extension points (global, inert for schemas that are not ours) ------------------------
def install() -> None:
    """Register the suite's hooks and checks with schemathesis (its registries are global), again
    if something unregistered them since: without `before_call` generated writes would not be steered."""
    with _LOCK:
        _patch_wsgi_transport()
        _patch_patient_sends()
        _patch_paced_probes()
        _patch_bounded_sessions()
        for hook in (before_call, after_call):
            if hook not in schemathesis.hooks.get_all_by_name(hook.__name__):
                schemathesis.hook(hook)
        for check in (
            contract_documented_response_schema,
            contract_success_media_type,
            contract_unserved_method,
            contract_refusal_changes_nothing,
            contract_soft_delete,
            contract_created_readable,
            contract_write_persisted,
        ):
            if check.__name__ not in CHECKS.get_all_names() or CHECKS.get_one(check.__name__) is not check:
                schemathesis.check(check)
        # Checks run in the order they were registered: this one must come after every other.
        last, names = contract_case_judged, CHECKS.get_all_names()
        if names[-1:] != [last.__name__] or CHECKS.get_one(names[-1]) is not last:
            if last.__name__ in names:
                CHECKS.unregister(last.__name__)
            schemathesis.check(last)


# Each hook and check is inert for schemas that are not the suite's (no policy registered).
def before_call(context, case, **kwargs):
    policy = _policy(case)
    if policy is not None:
        policy.release_writes()  # the engine's previous case, checks included, is over
        policy.steer(case)  # first: whether the write goes alone depends on where it is steered
        if _may_write(case):
            own_only = policy.own_only(case)
            policy.hold_writes(own_only)
            if "contract_refusal_changes_nothing" in policy.checks:
                policy.snapshots[id(case)] = policy.before_write(case, own_only)
            policy.sending(own_only)
            policy.ctx.gate.note_write()


def after_call(context, case, response):
    policy = _policy(case)
    if policy is not None:
        if _may_write(case):
            policy.answered()
            policy.ctx.gate.note_write()
        policy.observe(case, response)


def _may_write(case: Any) -> bool:
    """A POST, PUT or DELETE anywhere but the session login, which changes no calendar."""
    return case.method.upper() in WRITES and case.operation.path != LOGIN


def contract_documented_response_schema(ctx, response, case):
    policy = _policy(case)
    if policy is None or policy.documented_responses is None:
        return SKIP
    operation_id = case.operation.definition.raw.get("operationId")
    if (
        operation_id == "deleteCalendar"
        and 200 <= response.status_code < 300
        and not policy.ctx.applies("delete.body")
    ):
        return SKIP  # the DELETE body is ASM; a deployment may answer an empty body
    validator = policy.documented_responses.validator(case.operation.path, case.method, response.status_code)
    if validator is None:
        return SKIP
    media_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and "json" not in media_type:
        return SKIP  # an error body's media type is left open: only "JSON when it says so" holds
    try:
        body = response.json()
    except Exception:
        marker = "[rule:transport.json-responses] " if response.status_code >= 400 else ""
        raise AssertionError(f"{marker}the {response.status_code} answer says {media_type!r} but is "
                             "not JSON") from None
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        marker = "[rule:transport.date-format] " if is_date(first.absolute_path) else ""
        if policy.ctx.assumptions and 200 <= response.status_code < 300:
            documented = _documented_validator(case, response.status_code)
            if documented is None or documented.is_valid(body):  # only an assumption of ours
                marker = f"[rule:{_assumption_broken(operation_id, body)}] "
        raise AssertionError(
            f"{marker}the response violates the documented schema at {where}: {first.message}"
        )
    return None


def _assumption_broken(operation_id: str, body: Any) -> str:
    """Which ASM rule a body only the strict view refuses breaks: the operation's own answer
    rule where that one is ASM and the body is not a calendar at all (a DELETE answering `{}`),
    else the calendar's assumed representation."""
    rule = BODY_RULES.get(operation_id, "")
    is_calendar = isinstance(body, dict) and isinstance(body.get("id"), int)
    return rule if rule_tag(rule) == "ASM" and not is_calendar else "show.assumed-representation"


def _documented_validator(case: Any, status: int) -> Any:
    """The documented view's validator of this answer; None where it states no body."""
    return documented_view().validator(case.operation.path, case.method, status)


def contract_success_media_type(ctx, response, case):
    """A success with a body is application/json (errors: see contract_documented_response_schema)."""
    policy = _policy(case)
    if policy is None or not 200 <= response.status_code < 300 or not response.content:
        return SKIP
    media_type = (response.headers.get("content-type") or [""])[0]
    if media_type.split(";")[0].strip().lower() != "application/json":
        raise AssertionError(f"[rule:transport.json-responses] a {response.status_code} answer with a body "
                             f"must be application/json, not {media_type!r}")
    return None


# Methods a correct deployment may answer on any path though the docs name none there: OPTIONS
# (a CORS preflight: 200 or 204 with Allow) and HEAD (an HTTP/1.1 server answers it wherever it
# answers GET). "A method a path does not serve" is one the deployment does not serve.
MAY_SERVE_ANYWHERE = frozenset({"OPTIONS", "HEAD"})


def contract_unserved_method(ctx, response, case):
    """A method the path does not serve answers 405 (whether an Allow header comes is open).
    When the request has another problem too - values the spec refuses, a path that names no
    record of the run's group - which error wins is open (CONTRACT.md): its 400 or 404 is as right."""
    policy = _policy(case)
    if policy is None:
        return SKIP
    served = case.operation.schema.raw_schema["paths"].get(case.operation.path, {})
    if case.method.lower() in served or case.method.upper() in MAY_SERVE_ANYWHERE:
        return SKIP
    status = response.status_code
    other_problem = is_negative(case) or not _names_known_records(policy.ctx, case)
    if status != 405 and not (other_problem and status in (400, 404)):
        also = " (or, as the request has another problem, 400 or 404)" if other_problem else ""
        raise AssertionError(f"[rule:method.405] {case.method.upper()} is not served on "
                             f"{case.operation.path}: 405 expected{also}, got {status}")
    return None


def _names_known_records(suite, case) -> bool:
    """Whether every path parameter names what the run knows exists: its group, a calendar of
    it, an intervention or a calendarset in use there."""
    calendars = {record["id"] for record in suite.baseline}
    calendars |= set(suite.created_ids(suite.group_id))
    known = {"group_id": {suite.group_id}, "calendar_id": calendars,
             "intervention_id": set(suite.interventions), "calendarset_id": set(suite.calendarsets)}
    values = case.path_parameters if isinstance(case.path_parameters, dict) else {}
    return all(str(value).isdigit() and int(value) in known.get(name, ()) for name, value in values.items())


def contract_refusal_changes_nothing(ctx, response, case):
    """A write the deployment refuses (4xx, 5xx) changes nothing: the group's ids and
    totalRecords, the suite's own calendars and the calendar the write aimed at are as before."""
    policy = _policy(case)
    if policy is None:
        return SKIP
    before = policy.snapshots.pop(id(case), None)
    if before is None or response.status_code < 400:
        return SKIP
    try:
        what = f"a refused {case.method.upper()} ({response.status_code})"
        policy.keep(expect_unchanged(policy.ctx, before, what, None))
    except CheckFailed as failed:
        rule_id = _REFUSAL_RULES.get(response.status_code, "invalid.rejected")
        raise AssertionError(f"[rule:{rule_id}] {failed.message}: {failed.actual}") from None
    return None


def _deleted(policy: Policy, record: dict[str, Any]) -> bool | None:
    try:
        return policy.ctx.deleted(record)
    except CheckFailed as failed:
        raise AssertionError(f"[rule:{failed.rule}] {failed.message}: {failed.actual}") from None


def _differences(policy: Policy, wanted: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    try:
        return policy.ctx.differences(wanted, got)
    except CheckFailed as failed:
        raise AssertionError(f"[rule:{failed.rule}] {failed.message}: {failed.actual}") from None


# The rule a refusal that changed something breaks, by the status it was refused with.
_REFUSAL_RULES = {401: "auth.no-data-without-credentials", 403: "auth.no-data-without-credentials",
                  404: "notfound.unknown", 405: "method.405"}


def contract_soft_delete(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_soft_delete" not in policy.checks:
        return SKIP
    if case.method.upper() != "DELETE" or response.status_code != 200:
        return SKIP
    calendar_id, group = case.path_parameters["calendar_id"], case.path_parameters["group_id"]
    shown = policy.ctx.api.show(calendar_id, group=group)
    body = shown.json() if isinstance(shown.json(), dict) else {}
    if shown.status == 200 and _deleted(policy, body) is True:
        return None
    try:
        still_listed = any(str(r.get("id")) == str(calendar_id) for r in policy.ctx.records(group=group))
    except CheckFailed:
        still_listed = False
    if still_listed and shown.status != 200:
        raise AssertionError(
            f"[rule:show.deleted] a soft-deleted calendar (still listed) must answer 200 with "
            f"deleted true; {shown.curl()} answered {shown.summary()}"
        )
    raise AssertionError(
        f"[rule:delete.soft] DELETE is soft: the calendar must still answer 200 with deleted true; "
        f"{shown.curl()} answered {shown.summary()}"
    )


def contract_created_readable(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_created_readable" not in policy.checks:
        return SKIP
    if case.method.upper() != "POST" or response.status_code != 201:
        return SKIP
    try:
        created = response.json()
    except Exception:
        return SKIP
    if not isinstance(created, dict) or not isinstance(created.get("id"), int):
        return SKIP
    shown = policy.ctx.api.show(created["id"], group=case.path_parameters["group_id"])
    body = shown.json() if isinstance(shown.json(), dict) else {}
    differs = _differences(policy, created, body)
    if shown.status != 200 or differs:
        raise AssertionError(
            f"[rule:create.created] the created calendar must be readable as answered; "
            f"{shown.curl()} answered {shown.summary() if shown.status != 200 else differs}"
        )
    return None


def contract_write_persisted(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_write_persisted" not in policy.checks:
        return SKIP
    if case.method.upper() != "PUT" or response.status_code != 200:
        return SKIP
    try:
        answered = response.json()
    except Exception:
        return SKIP
    if not isinstance(answered, dict):
        return SKIP
    shown = policy.ctx.api.show(case.path_parameters["calendar_id"], group=case.path_parameters["group_id"])
    body = shown.json() if isinstance(shown.json(), dict) else {}
    differs = _differences(policy, answered, body)
    if shown.status != 200 or differs:
        raise AssertionError(
            f"after PUT, show must return what the PUT answered; {shown.curl()} answered "
            f"{shown.status} with (PUT answer, shown) differences {differs}"
        )
    sent = case.body.get("calendar") if isinstance(case.body, dict) else None
    if isinstance(sent, dict) and sent.get("deleted") is False and _deleted(policy, body) is not False:
        raise AssertionError(
            "[rule:restore.put-deleted-false] PUT {calendar: {deleted: false}} must "
            "restore the calendar (deleted false)"
        )
    return None


def contract_case_judged(ctx, response, case):
    """Not a check: the last one to run on a case, it lets the other engines' writes go on once
    this case's checks have read what they need (without it the hold lasts until this engine's
    next case is generated, CPU spent while every other write waits)."""
    policy = _policy(case)
    if policy is not None:
        policy.release_writes()
    return SKIP


def _patched_before(transport: type, patch: str) -> bool:
    """Whether `patch` was applied to `transport` already (and marks it so). The mark is on the
    class, not on the method: another patch may wrap this one since, and a mark on the method
    it replaced would be lost - each `install` then wrapped the send again (a generated request
    went through the rate limit once per run made in the process, and held as many lanes)."""
    mark = f"_contract_kit_{patch}"
    if transport.__dict__.get(mark):
        return True
    setattr(transport, mark, True)
    return False


def _patch_patient_sends() -> None:
    """A generated request goes out as the suite's own do (pacing.PacedTransport.patiently): in
    the run's --max-rate bucket, and sent again while the deployment answers busy (429, 503),
    so that a rate-limited staging is backed off, counted in the run's note, and not judged on
    its busy answers - unless it stays busy through every try."""
    from schemathesis.transport import requests as over_http
    from schemathesis.transport import wsgi

    for transport in (over_http.RequestsTransport, wsgi.WSGITransport):
        if _patched_before(transport, "patient"):
            continue
        original = transport.send

        def send(self, case, *, session=None, _original=original, **kwargs):
            policy = _policy(case)
            patiently = getattr(policy.ctx.transport, "patiently", None) if policy is not None else None
            if patiently is None:
                return _original(self, case, session=session, **kwargs)
            return patiently(lambda: _original(self, case, session=session, **dict(kwargs)),
                             lambda answer: answer.status_code,
                             lambda answer: [(name, value) for name, values in answer.headers.items()
                                             for value in values])

        transport.send = send


def _patch_paced_probes() -> None:
    """Each engine run starts with schemathesis' probes (a NULL byte in a header, `GET
    /schemathesis-probe%5C%1B%01`: does a server in front refuse them before the API?), sent by
    `requests` directly, past the transports patched above: 24 in one second at --max-rate 20.
    schemathesis 4.32 has no setting that turns its probing phase off (only the testing phases
    have `enabled`), and their answers steer what it generates, so they are kept, paced as the
    suite's requests are: in the --max-rate bucket and the --concurrency bound, none after the
    run's stop. A busy answer to one is not retried (a probe answered 429 changes nothing)."""
    from schemathesis.engine.run import probes

    original = probes.send
    if getattr(original, "_contract_kit_paced", False):
        return

    def send(probe, ctx, _original=original):
        policy = _POLICIES.get(id(ctx.schema))
        one_request = getattr(policy.ctx.transport, "one_request", None) if policy is not None else None
        if one_request is None:
            return _original(probe, ctx)
        with one_request():
            return _original(probe, ctx)

    send._contract_kit_paced = True  # type: ignore[attr-defined]
    probes.send = send


def _patch_bounded_sessions() -> None:
    """A generated case's answer is bounded as the suite's own are (bounded_http.py: the whole
    answer within --timeout, 64 MiB at most, past a 103), in the sessions schemathesis makes."""
    from schemathesis.transport import requests as over_http

    from ..bounded_http import BoundedSession

    # The engine's per-run sessions (ManagedCookiesSession) and those made per case
    # (SameHostRedirectsSession) are both looked up in the module when made.
    for name in ("SameHostRedirectsSession", "ManagedCookiesSession"):
        made_by_schemathesis = getattr(over_http, name)
        if not issubclass(made_by_schemathesis, BoundedSession):
            setattr(over_http, name, type(name, (BoundedSession, made_by_schemathesis), {}))


def _patch_wsgi_transport() -> None:
    """schemathesis 4.32.5: `ignored_auth` probes pass `max_redirects` (a requests-only setting) to the
    WSGI transport, which hands it to Werkzeug: TypeError. Drop the socket-level settings there."""
    from schemathesis.transport import wsgi

    if _patched_before(wsgi.WSGITransport, "wsgi"):
        return
    original = wsgi.WSGITransport.send

    def send(self, case, *, session=None, **kwargs):
        import requests

        if not isinstance(session, requests.Session):
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return original(self, case, session=session, **kwargs)

    wsgi.WSGITransport.send = send
