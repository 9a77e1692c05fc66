"""The contract rules one exchange can show, checked as CONTRACT.md states them at the level.

What needs more than one exchange (a write persisted, paging that concatenates, a calendar of
another group) is the contract suite's; what CONTRACT.md leaves open passes either way, unless
the level is a profile that answers it, where the answer is checked as `profile.<question>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calendar_spec import load_spec
from calendar_spec.walk import merged

from .findings import Findings, Level
from .request_check import CREDENTIALS_RULE, RequestVerdict

NOT_JSON = object()  # no body, or one that does not parse
UNREAD = object()  # a body not judged: too large to keep, or compressed
DEFAULT_RESULTS = 25
READ_ONLY = ("id", "created_at", "updated_at")
INT32 = (-(2**31), 2**31 - 1)
TEXTS = ("address", "zipcode", "city")
CALENDAR_FIELDS = tuple(merged(load_spec("strict"), {"$ref": "#/components/schemas/Calendar"})["properties"])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None  # None: too large to keep
    json: Any = NOT_JSON

    @property
    def is_json(self) -> bool:
        return self.json is not NOT_JSON and self.json is not UNREAD

    @property
    def has_body(self) -> bool:
        return self.body is None or bool(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Defaults:
    """The defaults of an omitted field: documented (create.defaults) and assumed (the rest)."""

    documented: dict[str, Any]
    assumed: dict[str, Any]

    @classmethod
    def of(cls, level: Level) -> Defaults:
        documented, strict = _defaults("documented"), _defaults("strict")
        return cls(documented, {k: v for k, v in strict.items() if k not in documented})


def _defaults(view: str) -> dict[str, Any]:
    spec = load_spec(view)
    fields = merged(spec, {"$ref": "#/components/schemas/Calendar"})["properties"]
    return {name: node["default"] for name, prop in fields.items()
            if "default" in (node := merged(spec, prop))}


def check(findings: Findings, verdict: RequestVerdict, answer: Answer, defaults: Defaults) -> None:
    _refusals(findings, verdict, answer)
    _credentials(findings, verdict, answer)
    ok = 200 <= answer.status < 300 and answer.is_json
    op_id = verdict.operation_id if verdict.path_values or verdict.operation_id == "login" else ""
    if answer.is_json and isinstance(answer.json, dict) and answer.status >= 400:
        _error_body(findings, answer)
    if op_id == "listCalendars" and ok and isinstance(answer.json, dict):
        _listing(findings, verdict, answer.json)
    elif op_id == "getCalendar" and ok and isinstance(answer.json, dict):
        findings.expect("show.calendar", str(answer.json.get("id")) == str(verdict.path_values.get(
            "calendar_id")), f"GET of calendar {verdict.path_values.get('calendar_id')} answered calendar "
            f"{answer.json.get('id')!r}", "body.id")
        _deleted_output(findings, answer.json)
    elif op_id == "createCalendar":
        _create(findings, verdict, answer, defaults)
    elif op_id == "updateCalendar":
        _update(findings, verdict, answer)
    elif op_id == "deleteCalendar" and answer.status == 200:
        _delete(findings, answer)
    elif op_id == "login":
        _login(findings, verdict, answer)


def unserved_method(findings: Findings, status: int, headers: list[tuple[str, str]]) -> None:
    findings.expect("method.405", status == 405, f"a method the path does not serve answered {status}, "
                    "not 405", "status")
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


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _arg(verdict: RequestVerdict, name: str) -> str | None:
    values = verdict.args.get(name) or []
    return values[0] if len(values) == 1 else None


def _listing(findings: Findings, verdict: RequestVerdict, body: dict[str, Any]) -> None:
    records = body.get("records")
    if not isinstance(records, list):
        return  # the schema names it
    served, total, page_size = len(records), body.get("totalRecords"), body.get("pageSize")
    if _int(body.get("recordsReturned")) and _int(total):
        findings.expect("list.envelope", body["recordsReturned"] == served and total >= served
                        and (not _int(page_size) or served <= page_size),
                        f"recordsReturned {body['recordsReturned']}, {served} records, totalRecords "
                        f"{total}, pageSize {page_size}: recordsReturned = len(records) <= pageSize, "
                        "totalRecords >= recordsReturned", "body.recordsReturned")
    sort, direction = _arg(verdict, "sort"), _arg(verdict, "dir")
    echoed = body.get("sort") in (sort, None) and body.get("dir") in (direction, None)
    findings.expect("list.sort-dir-echo", echoed,
                    f"sort {body.get('sort')!r}, dir {body.get('dir')!r} echo neither the request "
                    f"(sort {sort!r}, dir {direction!r}) nor null", "body.sort")
    if not verdict.problems:  # a query the spec refuses, answered anyway, means nothing here
        _paging(findings, verdict, body, served)
    group = verdict.path_values.get("group_id")
    strangers = [r.get("id") for r in records if isinstance(r, dict) and r.get("group_id") != group]
    findings.expect("list.records-in-group", not strangers, f"records of another group than {group}: "
                    f"ids {strangers[:10]}", "body.records")
    sets = verdict.args.get("calendarset_ids[]")
    if sets and all(s.isdigit() for s in sets):
        wanted = {int(s) for s in sets}
        outside = [r.get("id") for r in records
                   if isinstance(r, dict) and r.get("calendarset_id") not in wanted]
        findings.expect("list.calendarset-any", not outside,
                        f"records outside calendarsets {sorted(wanted)}: ids {outside[:10]}", "body.records")
    ids = [r.get("id") for r in records if isinstance(r, dict)]
    if "sort" not in verdict.args and "dir" not in verdict.args and all(_int(i) for i in ids):
        findings.expect("list.default-order", ids == sorted(ids), f"without sort, ids come as {ids[:20]}",
                        "body.records")
    needle = _arg(verdict, "search")
    if needle and needle.isascii():
        misses = [r.get("id") for r in records if isinstance(r, dict) and not any(
            needle.casefold() in str(r.get(key) or "").casefold() for key in ("name", "publicname"))]
        findings.expect("list.search-meaning", not misses, f"search={needle!r} answered calendars whose "
                        f"name and publicname do not contain it: ids {misses[:10]}", "body.records")
    if findings.level.answer("deleted_output"):
        for record in records[:50]:
            if isinstance(record, dict):
                _deleted_output(findings, record)


def _paging(findings: Findings, verdict: RequestVerdict, body: dict[str, Any], served: int) -> None:
    """startIndex echoed; pageSize = results or a cap; the page holds what one reading of
    startIndex (items or pages) gives; without paging parameters, startIndex 0 and pageSize 25."""
    results, start = _arg(verdict, "results"), _arg(verdict, "startIndex")
    total, page_size = body.get("totalRecords"), body.get("pageSize")
    if not (_int(total) and (results is None or results == "all" or results.isdigit())
            and (start is None or start.isdigit())):
        return
    asked = DEFAULT_RESULTS if results is None else (None if results == "all" else int(results))
    offset = int(start or 0)
    findings.expect("list.paging", body.get("startIndex") == offset,
                    f"startIndex {body.get('startIndex')!r} does not echo the request's {offset}",
                    "body.startIndex")
    if results is None and start is None:
        findings.expect("list.paging-defaults", body.get("startIndex") == 0 and _int(page_size)
                        and page_size <= DEFAULT_RESULTS,
            f"without paging parameters: startIndex {body.get('startIndex')!r}, pageSize {page_size!r} "
            f"(25, or the deployment's cap)", "body.pageSize")
    if not _int(page_size):
        return  # for results=all it may say `all` or be null
    step = asked if asked is not None else total
    findings.expect("list.paging", page_size <= step,
                    f"pageSize {page_size} for results={results or DEFAULT_RESULTS}: "
                    "neither results nor a cap",
                    "body.pageSize")
    size = min(step, page_size)
    readings = {"items": offset, "pages": offset * size}
    fits = {name for name, first in readings.items() if served == max(0, min(size, total - first))}
    findings.expect("list.paging", fits, f"{served} records from startIndex {offset} of {total} "
                    f"(page of {size}) under neither reading of startIndex", "body.records")
    cap = findings.level.answer("page_cap")
    if cap:
        wanted = step if cap == "none" else min(step, int(cap))
        findings.expect("profile.page_cap", size == wanted, f"page of {size} records, the profile says "
                        f"{wanted} (page_cap {cap})", "body.pageSize")
    reading = findings.level.answer("start_index")
    if reading and offset and readings["items"] != readings["pages"] and len(fits) == 1:
        findings.expect("profile.start_index", reading in fits, f"startIndex read as {next(iter(fits))}, "
                        f"the profile says {reading}", "body.records")


def _deleted_output(findings: Findings, calendar: dict[str, Any]) -> None:
    wanted, flag = findings.level.answer("deleted_output"), calendar.get("deleted")
    if wanted and flag is not None:
        findings.expect("profile.deleted_output", isinstance(flag, bool) == (wanted == "boolean"),
                        f"deleted is {flag!r}, the profile says {wanted}", "body.deleted")


def _sent(verdict: RequestVerdict) -> dict[str, Any]:
    body = verdict.body
    calendar = body.get("calendar") if isinstance(body, dict) else None
    return calendar if isinstance(calendar, dict) and verdict.body_valid else {}


def _echo_differences(sent: dict[str, Any], answered: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """(sent, answered) for each field of the contract the answer does not echo (`deleted` is
    the restore rules'; a key the contract does not know may be ignored, CONTRACT.md says so)."""
    differs = {}
    for key, value in sent.items():
        blank_name = key == "name" and isinstance(value, str) and not value.strip()  # open
        if key in READ_ONLY or key == "deleted" or key not in CALENDAR_FIELDS or blank_name:
            continue
        got = answered.get(key, "<missing>")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and _int(got) and value.lstrip("-").isdigit():
            value = int(value)  # a deployment that coerces "12" keeps the documented contract
        if got != value:
            differs[key] = (value, got)
    return differs


def _create(findings: Findings, verdict: RequestVerdict, answer: Answer, defaults: Defaults) -> None:
    sent = _sent(verdict)
    group = verdict.path_values.get("group_id")
    mismatch = "group_id" in sent and sent["group_id"] != group
    if mismatch:
        findings.expect("create.group-id-match", 400 <= answer.status < 500, f"a body group_id "
                        f"{sent['group_id']} other than the path's {group} answered {answer.status}",
                        "status")
        wanted = findings.level.answer("group_id_mismatch")
        if wanted and len(verdict.problems) == 0:
            findings.expect("profile.group_id_mismatch", str(answer.status) == wanted,
                            f"a group_id mismatch answered {answer.status}, the profile says {wanted}",
                            "status")
    if answer.status != 201 or not isinstance(answer.json, dict):
        return
    created = answer.json
    differs = _echo_differences({**sent, "group_id": group} if not mismatch else sent, created)
    findings.expect("create.created", _int(created.get("id")) and not differs,
                    f"the created calendar (id {created.get('id')!r}) does not echo what was sent: "
                    f"(sent, answered) {differs}", "body")
    if sent.get("deleted") is None and "deleted" in created:
        findings.expect("create.defaults", created["deleted"] in (False, 0),
                        f"deleted is {created['deleted']!r} on a calendar created without it", "body.deleted")
    for key, default in defaults.documented.items():
        if key not in sent and key != "deleted":
            findings.expect("create.defaults", created.get(key) == default,
                            f"{key} omitted: {default!r} expected, got {created.get(key, '<missing>')!r}",
                            f"body.{key}")
    texts = findings.level.answer("omitted_texts")
    for key, default in defaults.assumed.items():
        if key in sent:
            continue
        allowed = [default]
        if key in TEXTS:
            allowed = {"null": [None], "empty_string": [""]}.get(texts or "", [None, ""])
        findings.expect("create.defaults-assumed", created.get(key, "<missing>") in allowed,
                        f"{key} omitted: {' or '.join(map(repr, allowed))} expected, got "
                        f"{created.get(key, '<missing>')!r}", f"body.{key}")
    if "sort" not in sent and findings.level.answer("omitted_sort") == "zero":
        findings.expect("profile.omitted_sort", created.get("sort") == 0,
                        f"sort omitted: 0 expected (profile), got {created.get('sort')!r}", "body.sort")
    _deleted_output(findings, created)


def _update(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
    sent = _sent(verdict)
    deleted = sent.get("deleted")
    refused_deletion = findings.level.answer("put_deleted_true")
    if deleted is True and refused_deletion and not verdict.problems and verdict.has_credentials \
            and answer.status in (200, 400):
        findings.expect("profile.put_deleted_true", (answer.status == 400) == (refused_deletion == "refused"),
                        f"PUT of deleted true answered {answer.status}, the profile says {refused_deletion}",
                        "status")
    if answer.status != 200 or not isinstance(answer.json, dict):
        return
    updated = answer.json
    differs = _echo_differences(sent, updated)
    same_id = str(updated.get("id")) == str(verdict.path_values.get("calendar_id"))
    findings.expect("update.partial", same_id and not differs, f"the PUT answer (id {updated.get('id')!r}) "
                    f"does not hold the values sent: (sent, answered) {differs}", "body")
    if deleted is False:
        findings.expect("restore.put-deleted-false", updated.get("deleted") in (False, 0),
                        f"PUT of deleted false answered deleted {updated.get('deleted')!r}", "body.deleted")
    elif deleted is True:
        findings.expect("restore.put-deleted-true", updated.get("deleted") in (True, 1),
                        f"PUT of deleted true answered deleted {updated.get('deleted')!r}", "body.deleted")
    _deleted_output(findings, updated)


def _delete(findings: Findings, answer: Answer) -> None:
    body = answer.json if answer.is_json else None
    is_calendar = isinstance(body, dict) and "id" in body
    if is_calendar:
        findings.expect("delete.soft", body.get("deleted") in (True, 1),
                        f"DELETE answered the calendar with deleted {body.get('deleted')!r}", "body.deleted")
        _deleted_output(findings, body)
    findings.expect("delete.body", is_calendar and body.get("deleted") is True,
                    "DELETE answers the calendar with deleted true", "body")
    wanted = findings.level.answer("delete_body")
    if wanted:
        findings.expect("profile.delete_body", is_calendar == (wanted == "calendar") and (
            is_calendar or body == {}), f"DELETE answered {'a calendar' if is_calendar else body!r}, the "
            f"profile says {wanted}", "body")


def _login(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
    cookies = [value.split("=", 1)[0].strip() for value in answer.all("set-cookie")]
    if answer.status == 200:
        findings.expect("auth.session-cookie", "_session_id" in cookies,
                        f"a login answered 200 without the _session_id cookie (cookies {cookies})",
                        "header Set-Cookie")
        place = findings.level.answer("session_cookie")
        if place and "_session_id" in cookies:
            first = cookies[0] == "_session_id"
            findings.expect("profile.session_cookie", first == (place == "first"),
                            f"_session_id is cookie {cookies.index('_session_id') + 1} of {len(cookies)}, "
                            f"the profile says {place}", "header Set-Cookie")
    given = {name for name in ("pro[email]", "pro[password]")
             if verdict.args.get(name) or (verdict.form or {}).get(name)}
    wanted = findings.level.answer("login_without_credentials")
    if wanted and not given and verdict.has_apikey and verdict.method == "POST":
        findings.expect("profile.login_without_credentials", str(answer.status) == wanted,
                        f"a login without pro[email] and pro[password] answered {answer.status}, the profile "
                        f"says {wanted}", "status")
