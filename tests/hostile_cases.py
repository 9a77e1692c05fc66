"""The hostile-input catalogue: requests a fuzzer, a buggy client or an attacker may send.

Each case says what it sends and what must come back: the status, and a word the JSON
error must contain so the client can tell what was wrong. Every case but the few marked
`changes` must leave the mock's state exactly as it was.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

KEY = "demo-apikey-4f1c2b"
BASIC = "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()
LIST = "/api/v1/groups/4/calendars"
ONE = "/api/v1/groups/4/calendars/1"
JSON = "application/json"


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    query: str = f"apikey={KEY}"
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 400
    names: str = ""  # must appear in the error body (field or problem)
    auth: bool = True
    changes: bool = False  # an accepted edge case: state changes by design


def _calendar(**fields) -> bytes:
    return json.dumps({"calendar": fields}, ensure_ascii=False).encode()


def post(case_id: str, body: bytes, names: str, status: int = 400, **extra) -> Case:
    return Case(case_id, "POST", LIST, body=body, content_type=JSON, names=names, status=status, **extra)


def put(case_id: str, body: bytes, names: str, status: int = 400, **extra) -> Case:
    return Case(case_id, "PUT", ONE, body=body, content_type=JSON, names=names, status=status, **extra)


def get(case_id: str, query: str, names: str, status: int = 400, path: str = LIST, **extra) -> Case:
    return Case(case_id, "GET", path, query=f"apikey={KEY}&{query}" if query else f"apikey={KEY}",
                names=names, status=status, **extra)


EMOJI = "\U0001f4c5"
COMBINING = "e\u0301"  # two code points: the limits count code points, as JSON Schema does

BODY_CASES = [
    post("truncated-json", b'{"calendar": {"name": "x"', "body"),
    post("not-json", b"{bad json}", "body"),
    post("empty-body", b"", "body"),
    post("whitespace-body", b"   \n", "body"),
    post("json-array", b"[1, 2]", "body"),
    post("json-string", b'"calendar"', "body"),
    post("json-null", b"null", "body"),
    post("json-number", b"42", "body"),
    post("deep-nesting", b'{"calendar": {"name": ' + b"[" * 20000 + b"]" * 20000 + b"}}", "body"),
    post("nested-unknown-key", _calendar(name="x", extra={"a": {"b": {"c": [1, [2, [3]]]}}}), "extra"),
    post("empty-object-for-a-string", _calendar(name={}), "name"),
    post("int-2-pow-64", _calendar(name="x", generate_interval=2**64), "generate_interval"),
    post("float-1e308", b'{"calendar": {"name": "x", "sort": 1e308}}', "sort"),
    post("float-1e400", b'{"calendar": {"name": "x", "sort": 1e400}}', "body"),
    post("negative-2-pow-64", _calendar(name="x", mintime_rdv=-(2**64)), "mintime_rdv"),
    post("fraction", b'{"calendar": {"name": "x", "mintime_rdv": 1.5}}', "mintime_rdv"),
    post("bool-for-int", _calendar(name="x", generate_interval=True), "generate_interval"),
    post("string-for-int", _calendar(name="x", sort="12"), "sort"),
    post("bool-for-string", _calendar(name=True), "name"),
    post("int-for-string", _calendar(name=123), "name"),
    post("null-name", _calendar(name=None), "name"),
    post("empty-name", _calendar(name=""), "name"),
    post("missing-name", _calendar(publicname="x"), "name"),
    post("name-256", _calendar(name="n" * 256), "name"),
    post("name-256-emoji", _calendar(name=EMOJI * 256), "name"),
    post("name-256-code-points-combining", _calendar(name=COMBINING * 128), "name"),
    post("sort-past-64-bits", _calendar(name="x", sort=2**63), "sort"),
    post("zipcode-17", _calendar(name="x", zipcode="1" * 17), "zipcode"),
    post("city-65", _calendar(name="x", city="c" * 65), "city"),
    post("address-256", _calendar(name="x", address="a" * 256), "address"),
    post("invalid-utf8", b'{"calendar": {"name": "\xff\xfe"}}', "UTF-8"),
    post("lone-surrogate", b'{"calendar": {"name": "\\ud800"}}', "surrogate"),
    post("nan", b'{"calendar": {"name": "x", "sort": NaN}}', "body"),
    post("infinity", b'{"calendar": {"name": "x", "sort": Infinity}}', "body"),
    post("duplicate-keys", b'{"calendar": {"name": "a", "name": "b"}}', "twice"),
    post("body-over-cap", _calendar(name="x", address="a" * 70_000), "larger"),
    Case("text-plain", "POST", LIST, body=_calendar(name="x"), content_type="text/plain",
         names="Content-Type"),
    Case("no-content-type", "POST", LIST, body=_calendar(name="x"), names="Content-Type"),
    Case("form-encoded", "POST", LIST, body=b"calendar[name]=x",
         content_type="application/x-www-form-urlencoded", names="Content-Type"),
    post("missing-wrapper", b'{"name": "x"}', "calendar"),
    post("wrapper-not-object", b'{"calendar": "x"}', "calendar"),
    post("wrapper-array", b'{"calendar": [{"name": "x"}]}', "calendar"),
    post("unknown-key", _calendar(name="x", colour="red"), "colour"),
    post("unknown-top-level-key", b'{"calendar": {"name": "x"}, "extra": 1}', "extra"),
    post("deleted-as-1", _calendar(name="x", deleted=1), "deleted"),
    post("deleted-as-string", _calendar(name="x", deleted="true"), "deleted"),
    post("negative-annulation", _calendar(name="x", mintime_annulation=-1), "mintime_annulation"),
    post("negative-interval", _calendar(name="x", generate_interval=-1), "generate_interval"),
    post("group-id-mismatch", _calendar(name="x", group_id=5), "group_id", status=403),
    post("foreign-calendarset", _calendar(name="x", calendarset_id=14), "calendarset", status=404),
    post("calendarset-zero", _calendar(name="x", calendarset_id=0), "calendarset_id"),
    put("put-empty-name", _calendar(name=""), "name"),
    put("put-no-body", b"", "body"),
    put("put-null-wrapper", b'{"calendar": null}', "calendar"),
    put("put-read-only-only-valid", _calendar(created_at=[1, 2]), "", status=200),
    Case("put-unknown-id", "PUT", "/api/v1/groups/4/calendars/999999", body=_calendar(name="x"),
         content_type=JSON, status=404, names="999999"),
    Case("put-other-groups-calendar", "PUT", "/api/v1/groups/4/calendars/9",
         body=_calendar(name="hijack"), content_type=JSON, status=404, names="9"),
    Case("put-other-group", "PUT", "/api/v1/groups/5/calendars/9", body=_calendar(name="hijack"),
         content_type=JSON, status=404, names="group"),
]

ACCEPTED_EDGES = [
    post("name-255-emoji", _calendar(name=EMOJI * 255), "", status=201, changes=True),
    post("name-255-code-points-combining", _calendar(name=COMBINING * 127 + "x"), "", status=201,
         changes=True),
    post("integral-float", b'{"calendar": {"name": "x", "mintime_rdv": 101.0}}', "", status=201,
         changes=True),
    post("apikey-in-body", b'{"apikey": "' + KEY.encode() + b'", "calendar": {"name": "x"}}', "",
         status=201, changes=True, query=""),
    # Control characters are text like any other (a mock bound refuses only what would
    # exhaust it, and these cost nothing).
    post("name-nul-byte", _calendar(name="a\u0000b"), "", status=201, changes=True),
    post("name-control-char", _calendar(name="bell\u0007"), "", status=201, changes=True),
    post("publicname-escape-char", _calendar(name="x", publicname="\u001b[31mred"), "", status=201,
         changes=True),
    post("sort-past-32-bits", _calendar(name="x", sort=2**31), "", status=201, changes=True),
]

# Valid queries the mock once refused with bounds of its own; their answers are cheap.
ACCEPTED_QUERIES = [
    get("results-10-pow-9", "results=1000000000", "", status=200),
    get("results-past-64-bits", "results=" + "9" * 30, "", status=200),
    get("start-huge", "startIndex=99999999999999999999", "", status=200),
    get("ids-many", "&".join(f"intervention_ids%5B%5D={i}" for i in range(1, 1002)), "", status=200),
    get("conditions-1000", "&".join(
        f"conditions%5B{i}%5D%5Bfield%5D=id&conditions%5B{i}%5D%5Bop%5D=%3E&conditions%5B{i}%5D%5Bvalue%5D=0"
        for i in range(1000)), "", status=200),
    get("condition-value-long", "conditions%5B0%5D%5Bfield%5D=name&conditions%5B0%5D%5Bop%5D=like"
        "&conditions%5B0%5D%5Bvalue%5D=" + "%25a" * 2000 + "%25", "", status=200),
    get("search-long", "search=" + "s" * 5000, "", status=200),
]

QUERY_CASES = [
    get("results-0", "results=0", "results"),
    get("results-negative", "results=-1", "results"),
    get("results-ALL", "results=ALL", "results"),
    get("results-fraction", "results=1.5", "results"),
    get("results-empty", "results=", "results"),
    get("start-negative", "startIndex=-1", "startIndex"),
    get("start-absurd", "startIndex=" + "9" * 5000, "startIndex"),
    get("sort-unknown", "sort=colour", "sort"),
    get("sort-unreadable", "sort=password", "sort"),
    get("dir-garbage", "sort=name&dir=sideways", "dir"),
    get("results-conflicting", "results=1&results=2", "results"),
    get("ids-not-integers", "intervention_ids%5B%5D=abc", "intervention_ids"),
    # An id of 0 or below names no record: matched by none, as an unknown id (not refused).
    get("ids-negative", "calendarset_ids%5B%5D=-3", "", status=200),
    get("condition-missing-op", "conditions%5B0%5D%5Bfield%5D=name&conditions%5B0%5D%5Bvalue%5D=x",
        "conditions[0][op]"),
    get("condition-unknown-op",
        "conditions%5B0%5D%5Bfield%5D=name&conditions%5B0%5D%5Bop%5D=~&conditions%5B0%5D%5Bvalue%5D=x",
        "conditions[0][op]"),
    get("condition-unknown-field",
        "conditions%5B0%5D%5Bfield%5D=secret&conditions%5B0%5D%5Bop%5D=%3D&conditions%5B0%5D%5Bvalue%5D=x",
        "conditions[0][field]"),
    get("condition-gap",
        "conditions%5B0%5D%5Bfield%5D=id&conditions%5B0%5D%5Bop%5D=%3D&conditions%5B0%5D%5Bvalue%5D=1"
        "&conditions%5B2%5D%5Bfield%5D=id&conditions%5B2%5D%5Bop%5D=%3D&conditions%5B2%5D%5Bvalue%5D=1",
        "conditions"),
    get("condition-bad-key", "conditions%5B0%5D%5Bfieldx%5D=id", "conditions[0][fieldx]"),
    get("condition-flat-key", "conditions=id", "conditions"),
    get("conditions-40-unknown-ops", "&".join(
        f"conditions%5B{i}%5D%5Bfield%5D=name&conditions%5B{i}%5D%5Bop%5D=~&conditions%5B{i}%5D%5Bvalue%5D=x"
        for i in range(40)), "conditions[0][op]"),
    get("conditions-40-malformed-keys", "&".join(f"conditions%5B{i}%5Dx=id" for i in range(40)),
        "conditions[0]x"),
    get("condition-not-integer",
        "conditions%5B0%5D%5Bfield%5D=sort&conditions%5B0%5D%5Bop%5D=%3E&conditions%5B0%5D%5Bvalue%5D=abc",
        "conditions[0][value]"),
    get("condition-in-not-integers",
        "conditions%5B0%5D%5Bfield%5D=id&conditions%5B0%5D%5Bop%5D=in&conditions%5B0%5D%5Bvalue%5D=1,x",
        "conditions[0][value]"),
    get("second-question-mark", "intervention_ids%5B%5D=21?format=json", "second '?'"),
    get("format-xml", "format=xml", "format"),
    get("show-format-xml", "format=xml", "format", path=ONE),
]

PATH_CASES = [
    get("id-not-numeric", "", "calendar_id", status=404, path=f"{LIST}/abc"),
    get("id-negative", "", "calendar_id", status=404, path=f"{LIST}/-1"),
    get("id-zero", "", "calendar_id", status=404, path=f"{LIST}/0"),
    get("id-past-2-pow-63", "", "calendar_id", status=404,
        path=f"{LIST}/99999999999999999999999"),
    get("id-float", "", "calendar_id", status=404, path=f"{LIST}/1.5"),
    get("group-not-numeric", "", "group_id", status=404, path="/api/v1/groups/abc/calendars"),
    get("xml-suffix", "", "calendar_id", status=404, path=f"{LIST}/1.xml"),
    get("extra-segment", "", "resource", status=404, path=f"{ONE}/extra"),
    get("unknown-resource", "", "resource", status=404, path="/api/v1/groups/4/appointments"),
    get("other-group", "", "group", status=404, path="/api/v1/groups/5/calendars"),
    get("unknown-group", "", "group", status=404, path="/api/v1/groups/987654/calendars"),
    get("other-groups-calendar", "", "9", status=404, path="/api/v1/groups/4/calendars/9"),
]

METHOD_CASES = [
    Case("patch-member", "PATCH", ONE, status=405, names="PATCH"),
    Case("delete-collection", "DELETE", LIST, status=405, names="DELETE"),
    Case("put-collection", "PUT", LIST, body=_calendar(name="x"), content_type=JSON, status=405,
         names="PUT"),
    Case("post-member", "POST", ONE, body=_calendar(name="x"), content_type=JSON, status=405,
         names="POST"),
    Case("post-member-override-delete", "POST", ONE, headers={"X-HTTP-Method-Override": "DELETE"},
         status=405, names="POST"),
    Case("trace", "TRACE", LIST, status=405, names="TRACE"),
    Case("get-login", "GET", "/api/v1/sessions/login", status=405, names="GET"),
    get("get-override-delete", "", "", status=200, path=ONE,
        headers={"X-HTTP-Method-Override": "DELETE"}),
    get("get-method-param-delete", "_method=DELETE", "", status=200, path=ONE),
]

AUTH_CASES = [
    post("no-apikey-bad-body", b"{bad", "apikey", status=401, query=""),
    get("apikey-conflicting", f"apikey={KEY}x", "apikey", status=401),
    Case("apikey-empty", "GET", LIST, query="apikey=", status=401, names="apikey"),
    Case("basic-garbage", "GET", LIST, headers={"Authorization": "Basic !!!not-base64"},
         auth=False, status=401, names="Authorization"),
    Case("bearer-token", "GET", LIST, headers={"Authorization": "Bearer abc"}, auth=False,
         status=401, names="Basic"),
    Case("basic-no-colon", "GET", LIST, headers={"Authorization": "Basic cHJvQGRlbW8udGVzdA=="},
         auth=False, status=401, names="Authorization"),
    Case("forged-session", "GET", LIST, headers={"Cookie": "_session_id=0123456789abcdef"},
         auth=False, status=401, names="session"),
    Case("login-password-not-hex", "POST", "/api/v1/sessions/login",
         query=f"apikey={KEY}&pro%5Bemail%5D=pro@demo.test&pro%5Bpassword%5D=demo-password",
         auth=False, status=400, names="pro[password]"),
    Case("login-wrong-password", "POST", "/api/v1/sessions/login",
         query=f"apikey={KEY}&pro%5Bemail%5D=pro@demo.test&pro%5Bpassword%5D={'0' * 40}",
         auth=False, status=401, names="password"),
    Case("login-no-apikey", "POST", "/api/v1/sessions/login", query="", auth=False, status=401,
         names="apikey"),
]

REJECTED = BODY_CASES + QUERY_CASES + PATH_CASES + METHOD_CASES + AUTH_CASES
ALL_CASES = REJECTED + ACCEPTED_EDGES + ACCEPTED_QUERIES


def send(app: Any, case: Case) -> Any:
    """`case` sent to a Flask app in-process, with the demo user's Basic credentials unless the
    case goes without."""
    headers = dict(case.headers)
    if case.auth:
        headers.setdefault("Authorization", BASIC)
    if case.content_type:
        headers["Content-Type"] = case.content_type
    return app.test_client().open(case.path, method=case.method, query_string=case.query,
                                  data=case.body, headers=headers)
