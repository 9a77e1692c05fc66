"""The contract rules one exchange can show, checked as CONTRACT.md states them at the level.

What needs more than one exchange (a write persisted, paging that concatenates, a calendar of
another group) is the contract suite's; what CONTRACT.md leaves open passes either way, unless
the level is a profile that answers it, where the answer is checked as `profile.<question>`.
"""

from __future__ import annotations

from .answer import CALENDAR_FIELDS, INT32, READ_ONLY, Answer, Defaults, deleted_output
from .findings import Findings
from .list_rules import check_list
from .request_check import CREDENTIALS_RULE, RequestVerdict
from .write_rules import check_create, check_delete, check_login, check_update


def check(findings: Findings, verdict: RequestVerdict, answer: Answer, defaults: Defaults) -> None:
    _refusals(findings, verdict, answer)
    _credentials(findings, verdict, answer)
    ok = 200 <= answer.status < 300 and answer.is_json
    op_id = verdict.operation_id if verdict.path_values or verdict.operation_id == "login" else ""
    if answer.is_json and isinstance(answer.json, dict) and answer.status >= 400:
        _error_body(findings, answer)
    if op_id == "listCalendars" and ok and isinstance(answer.json, dict):
        check_list(findings, verdict, answer.json)
    elif op_id == "getCalendar" and ok and isinstance(answer.json, dict):
        findings.expect("show.calendar", str(answer.json.get("id")) == str(verdict.path_values.get(
            "calendar_id")), f"GET of calendar {verdict.path_values.get('calendar_id')} answered calendar "
            f"{answer.json.get('id')!r}", "body.id")
        deleted_output(findings, answer.json)
    elif op_id == "createCalendar":
        check_create(findings, verdict, answer, defaults)
    elif op_id == "updateCalendar":
        check_update(findings, verdict, answer)
    elif op_id == "deleteCalendar" and answer.status == 200:
        check_delete(findings, answer)
    elif op_id == "login":
        check_login(findings, verdict, answer)


# What may answer a method a path does not serve, seen in one exchange: 405, or the answer to
# another problem of the request, since which error wins is left open (CONTRACT.md) - an id that
# does not exist (404: the proxy cannot know which do), credentials (401, 403).
UNSERVED_ANSWERS = frozenset({405, 404, 401, 403})
# The methods CONTRACT.md's 405 is judged on: those an API is written with. OPTIONS (a CORS
# preflight, which servers and CDNs answer in front of an API), TRACE, CONNECT and methods of
# other protocols say nothing of the Calendar routes.
JUDGED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def unserved_method(findings: Findings, method: str, status: int, headers: list[tuple[str, str]]) -> None:
    if method.upper() not in JUDGED_METHODS:
        return
    findings.expect("method.405", status in UNSERVED_ANSWERS, f"a method the path does not serve answered "
                    f"{status}, not 405", "status")
    if status == 405 and findings.level.answer("allow_header"):
        present = any(name.lower() == "allow" for name, _ in headers)
        findings.expect("profile.allow_header", present == (findings.level.answer("allow_header") == "sent"),
                        f"the 405 {'carries' if present else 'has no'} Allow header", "header Allow")


def _refusals(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
    """What CONTRACT.md says must be refused is not answered 2xx; what it says must be accepted
    is not answered 400 (transport.json-body, or the ASM rule that makes it acceptable)."""
    if 200 <= answer.status < 300:
        for problem in verdict.expected_refusals():
            findings.fail(problem.rule, f"answered {answer.status} to a request it must refuse: "
                          f"{problem.message}", problem.where)
    elif answer.status == 400 and verdict.body_valid and not verdict.problems:
        rule = _acceptance_rule(verdict)
        if rule is not None:
            findings.fail(rule, "answered 400 to a body the spec accepts", "status")


def _acceptance_rule(verdict: RequestVerdict) -> str | None:
    """The rule a 400 to this valid body breaks; None where CONTRACT.md leaves a refusal open
    (a blank name, an unknown calendarset, a group_id mismatch, 0/1 for deleted, keys next to
    `calendar`, integers beyond 32 bits, control characters)."""
    body = verdict.body
    calendar = body.get("calendar") if isinstance(body, dict) else None
    if not isinstance(calendar, dict):
        return None
    others = set(body) - {"calendar"}
    if others - {"apikey"}:
        return None
    if set(calendar) - set(CALENDAR_FIELDS):
        return "invalid.rules"  # unknown keys refused: our assumption (unknown_calendar_keys)
    if any(key in calendar for key in READ_ONLY) or any(isinstance(v, float) for v in calendar.values()):
        return "invalid.integral-float"
    for value in calendar.values():
        if isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
            return None
        if isinstance(value, str) and (any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)):
            return None
    name = calendar.get("name")
    if (isinstance(name, str) and not name.strip()) or calendar.get("calendarset_id") is not None:
        return None
    if "group_id" in calendar and calendar["group_id"] != verdict.path_values.get("group_id"):
        return None
    if "deleted" in calendar:
        if not isinstance(calendar["deleted"], bool):
            return None
        if calendar["deleted"]:
            return "restore.put-deleted-true" if verdict.method == "PUT" else None
    if "apikey" in others:
        return "clients.apikey-in-body"
    return "transport.json-body"


def _credentials(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
    """No data without credentials; at strict, 401 for a request that only lacks them."""
    if answer.status in (401, 403) and answer.is_json:
        body = answer.json
        data = isinstance(body, dict) and ("records" in body or bool(body.get("pro"))
                                           or ("id" in body and "group_id" in body))
        findings.expect(CREDENTIALS_RULE, not data, f"a {answer.status} refusal answers data", "body")
    if verdict.has_credentials or any(p.rule != CREDENTIALS_RULE for p in verdict.problems):
        return
    rule = "auth.missing-apikey-401" if not verdict.has_apikey else "auth.missing-credentials-401"
    findings.expect(rule, answer.status == 401, f"a request without credentials answered {answer.status}, "
                    "not 401", "status")
    wanted = findings.level.answer("credentials_refusal")
    if wanted:
        findings.expect("profile.credentials_refusal", str(answer.status) == wanted,
                        f"a request without credentials answered {answer.status}, not {wanted}", "status")


def _error_body(findings: Findings, answer: Answer) -> None:
    wanted = findings.level.answer("error_body")
    if wanted:
        key = "error" if wanted == "kit" else "message"
        findings.expect("profile.error_body", key in answer.json,
                        f"the error body has no `{key}` ({wanted} shape)", "body")
