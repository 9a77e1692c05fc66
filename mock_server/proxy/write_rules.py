"""The rules one write (or login) can show: a created calendar's status, id, echo of what was sent
and defaults; a PUT's keys and restore; a soft DELETE's body; the login's session cookie; and
the profile's answers these exchanges show."""

from __future__ import annotations

from typing import Any

from .answer import CALENDAR_FIELDS, READ_ONLY, TEXTS, Answer, Defaults, deleted_output, is_int
from .findings import Findings
from .request_check import RequestVerdict


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
        if isinstance(value, str) and is_int(got) and value.lstrip("-").isdigit():
            value = int(value)  # a deployment that coerces "12" keeps the documented contract
        if got != value:
            differs[key] = (value, got)
    return differs


def check_create(findings: Findings, verdict: RequestVerdict, answer: Answer, defaults: Defaults) -> None:
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
    # The calendar is the path's group's whatever the body said: a deployment may ignore a body
    # group_id that differs (create.group-id-match is an assumption), never write into that group.
    differs = _echo_differences({**sent, "group_id": group}, created)
    findings.expect("create.created", is_int(created.get("id")) and not differs,
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
    deleted_output(findings, created)


def check_update(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
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
    deleted_output(findings, updated)


def check_delete(findings: Findings, answer: Answer) -> None:
    body = answer.json if answer.is_json else None
    is_calendar = isinstance(body, dict) and "id" in body
    if is_calendar:
        findings.expect("delete.soft", body.get("deleted") in (True, 1),
                        f"DELETE answered the calendar with deleted {body.get('deleted')!r}", "body.deleted")
        deleted_output(findings, body)
    # deleted as 1 is a representation of true, judged as such (show.assumed-representation)
    findings.expect("delete.body", is_calendar and body.get("deleted") in (True, 1),
                    "DELETE answers the calendar with deleted true", "body")
    wanted = findings.level.answer("delete_body")
    if wanted:
        findings.expect("profile.delete_body", is_calendar == (wanted == "calendar") and (
            is_calendar or body == {}), f"DELETE answered {'a calendar' if is_calendar else body!r}, the "
            f"profile says {wanted}", "body")


def check_login(findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
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
