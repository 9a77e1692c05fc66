#!/usr/bin/env python3
"""An independent, in-memory implementation of the ClicRDV REST API v1 Calendar resource.

Written from the documentation only (CONTRACT.md, calendar-api-seed.fr.txt,
clicrdv-api-research.md).  It follows every DOC / INF rule and every ASM rule of
CONTRACT.md except eight assumptions that it deliberately answers the other way
(see other_assumptions_server.md beside this file):

  1. ``search`` looks in ``name`` only.
  2. Without ``sort`` the list is ordered by the calendars' ``sort`` value, ties by id.
  3. A calendar created without ``sort`` gets ``sort`` 0.
  4. DELETE answers ``{}`` (status 200).
  5. PUT with ``deleted: true`` is refused (400, naming ``deleted``); ``deleted: false`` restores.
  6. Read-only keys (``id``, ``created_at``, ``updated_at``) inside ``calendar`` -> 400.
  7. Unknown keys inside ``calendar`` are ignored.
  8. ``like`` / ``not like`` are case-sensitive.

Python 3.11 standard library only.  Run:  python3 other_assumptions_server.py --port 8090
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_plus

# ---------------------------------------------------------------------------
# Fixed identities
# ---------------------------------------------------------------------------
API_KEY = "indep-key-7"
USERS = {
    "qa@indep.test": {"password": "qa-pass-1", "group_id": 40, "id": 7001,
                      "firstname": "Quentin", "lastname": "Assurance"},
    "other@indep.test": {"password": "other-pass-2", "group_id": 77, "id": 7002,
                         "firstname": "Odile", "lastname": "Autre"},
}
GROUPS = {40, 77}
CALENDARSETS = {51: 40, 52: 40, 53: 77}          # calendarset id -> group id

MAX_BODY = 1024 * 1024                           # 1 MB
DRAIN_LIMIT = 32 * 1024 * 1024                   # we read and discard up to this much of an oversized body
MAX_INT_DIGITS = 4000                            # longer integers in a JSON body are refused
HUGE = 10 ** (MAX_INT_DIGITS + 1)                # larger than any integer a query compares with
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1         # a Rails `t.integer` column (4 bytes)

# ---------------------------------------------------------------------------
# Field metadata
# ---------------------------------------------------------------------------
FIELD_ORDER = ["id", "group_id", "calendarset_id", "name", "publicname", "address",
               "zipcode", "city", "sort", "generate_interval", "mintime_rdv",
               "maxrdv_period", "mintime_annulation", "deleted", "created_at", "updated_at"]
FIELD_TYPES = {
    "id": "int", "group_id": "int", "calendarset_id": "int?", "name": "str",
    "publicname": "str", "address": "str?", "zipcode": "str?", "city": "str?",
    "sort": "int", "generate_interval": "int", "mintime_rdv": "int",
    "maxrdv_period": "int", "mintime_annulation": "int", "deleted": "bool",
    "created_at": "date", "updated_at": "date",
}
READ_ONLY = ("id", "created_at", "updated_at")
WRITABLE = ("group_id", "calendarset_id", "name", "publicname", "address", "zipcode",
            "city", "sort", "generate_interval", "mintime_rdv", "maxrdv_period",
            "mintime_annulation", "deleted")
MAX_LEN = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}
TIMING = ("generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation")
DEFAULTS = {"calendarset_id": None, "publicname": "", "address": None, "zipcode": None,
            "city": None, "generate_interval": 15, "mintime_rdv": 0,
            "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False}
OPS = ("=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in")

DIGITS_RE = re.compile(r"[0-9]+")
SIGNED_INT_RE = re.compile(r"[+-]?[0-9]+")
DATE_FULL_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}:[0-9]{2})")
DATE_ONLY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COND_KEY_RE = re.compile(r"conditions\[([^\[\]]*)\]\[([^\[\]]*)\](\[\])?")


def now_str():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


# ---------------------------------------------------------------------------
# Seed data
# ---------------------------------------------------------------------------
def _cal(cid, gid, name, publicname, sort, cs, address=None, zipcode=None, city=None,
         deleted=False, created="2023-01-01 09:00:00", updated=None, **timing):
    rec = {
        "id": cid, "group_id": gid, "calendarset_id": cs, "name": name,
        "publicname": publicname, "address": address, "zipcode": zipcode, "city": city,
        "sort": sort, "generate_interval": timing.get("generate_interval", 15),
        "mintime_rdv": timing.get("mintime_rdv", 0),
        "maxrdv_period": timing.get("maxrdv_period", 131400),
        "mintime_annulation": timing.get("mintime_annulation", 2880),
        "deleted": deleted, "created_at": created, "updated_at": updated or created,
    }
    return rec


def seed():
    cals = [
        _cal(900, 40, "Dr MARTIN Cardio", "Consultation cardiologie", 3, 51,
             "12 rue des Lilas", "75011", "Paris",
             created="2023-02-14 08:30:00", updated="2024-05-02 10:00:00", generate_interval=20),
        _cal(905, 40, "Salle Bleue", "Reeducation sportive", 1, 52,
             created="2023-01-05 09:00:00", updated="2023-06-01 12:00:00",
             mintime_rdv=60, maxrdv_period=44640),
        _cal(910, 40, "Agenda Général", "", 3, None,
             "5 avenue Foch", "69006", "Lyon",
             created="2023-03-20 14:15:00", updated="2023-03-20 14:15:00"),
        _cal(915, 40, "dupont Pediatrie", "Pédiatre enfants Dupont", 2, 51,
             "8 boulevard Victor Hugo", None, "Nice",
             created="2022-11-30 17:45:00", updated="2024-01-10 08:00:00",
             generate_interval=30, mintime_annulation=1440),
        _cal(920, 40, "Échographie Nord", "Imagerie medicale", 5, 52,
             None, "59000", "Lille",
             created="2023-07-07 07:07:07", updated="2023-09-09 09:09:09"),
        _cal(925, 40, "Bureau Annexe", "Permanence samedi", 1, None,
             "1 impasse du Port", "13002", "Marseille", deleted=True,
             created="2023-04-01 10:00:00", updated="2024-02-29 16:30:00"),
        _cal(930, 40, "OSTEO lambert", "Osteopathie douce", 0, 51,
             "22 quai Rambaud", "69002", None,
             created="2024-03-03 11:11:11", updated="2024-03-03 11:11:11",
             mintime_rdv=1440),
        _cal(935, 40, "Laboratoire Analyses", "Prise de sang", 4, 52,
             "3 place Bellecour", None, "Lyon",
             created="2022-06-15 06:00:00", updated="2023-12-24 18:00:00",
             maxrdv_period=20160, mintime_annulation=0),
        _cal(940, 40, "Visio TeleConsult", "Consultation video", 2, None,
             created="2023-10-10 10:10:10", updated="2023-10-10 10:10:10",
             generate_interval=10),
        _cal(960, 77, "Cabinet Durand", "Docteur Durand", 2, 53,
             "4 rue Haute", "67000", "Strasbourg",
             created="2023-05-05 05:05:05", updated="2023-05-05 05:05:05"),
        _cal(965, 77, "Salle Rouge", "Kine rouge", 1, None,
             created="2023-05-06 05:05:05", updated="2023-05-06 05:05:05"),
        _cal(970, 77, "Annexe Sud", "Permanence sud", 1, 53, None, None, "Nantes",
             created="2023-05-07 05:05:05", updated="2023-05-07 05:05:05"),
    ]
    interventions = {
        900: {11, 12}, 905: {12, 13}, 910: {11}, 915: {11, 12, 13}, 920: {13},
        925: {11, 12}, 930: {12, 14}, 935: {11, 13}, 940: set(),
        960: {21, 23}, 965: {21}, 970: {23},
    }
    return {c["id"]: c for c in cals}, interventions


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.calendars, self.interventions = seed()
        self.next_id = 1000
        self.sessions = {}          # session id -> (email, apikey)


STORE = Store()


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status, message, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or []

    def body(self):
        b = {"error": self.message}
        if self.errors:
            b["errors"] = self.errors
        return b


def bad_request(field, problem):
    return ApiError(400, "%s %s" % (field, problem), {field: [problem]})


def validation_failed(errors):
    parts = ["%s %s" % (k, "; ".join(v)) for k, v in errors.items()]
    return ApiError(400, "Validation failed: " + ", ".join(parts), errors)


# ---------------------------------------------------------------------------
# Query string parsing
# ---------------------------------------------------------------------------
class Query:
    """Ordered (key, value) pairs.  A raw '?' inside the query is taken as '&'."""

    def __init__(self, raw):
        self.pairs = []
        self.bad_encoding = None
        if not raw:
            return
        for part in raw.replace("?", "&").split("&"):
            if not part:
                continue
            k, sep, v = part.partition("=")
            key = self._decode(k)
            val = self._decode(v) if sep else ""
            self.pairs.append((key, val))

    def _decode(self, s):
        try:
            return unquote_plus(s, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            if self.bad_encoding is None:
                self.bad_encoding = unquote_plus(s, encoding="utf-8", errors="replace")
            return unquote_plus(s, encoding="utf-8", errors="replace")

    def last(self, key):
        val = None
        for k, v in self.pairs:
            if k == key:
                val = v
        return val

    def all(self, *keys):
        return [v for k, v in self.pairs if k in keys]


def parse_nonneg_int_param(name, raw, allow_zero):
    """Return (python int for computing, json-able value for echo)."""
    if not DIGITS_RE.fullmatch(raw):
        raise bad_request(name, "must be an integer %s" % ("≥ 0" if allow_zero else "≥ 1 or 'all'"))
    digits = raw.lstrip("0") or "0"
    if digits == "0" and not allow_zero:
        raise bad_request(name, "must be an integer ≥ 1 or 'all'")
    if len(digits) > 18:
        return 10 ** 18, RawNumber(digits)
    n = int(digits)
    return n, n


class RawNumber:
    """An integer too long for json.dumps; spliced into the output verbatim."""

    def __init__(self, digits):
        self.digits = digits
        self.token = "__raw_number_%s__" % secrets.token_hex(8)


def parse_query_int(s):
    """Integer from a query value, or None. Very long ones become +/-HUGE (compare correctly)."""
    s = s.strip()
    if not SIGNED_INT_RE.fullmatch(s):
        return None
    neg = s.startswith("-")
    digits = s.lstrip("+-").lstrip("0") or "0"
    if len(digits) > MAX_INT_DIGITS:
        return -HUGE if neg else HUGE
    n = int(digits)
    return -n if neg else n


# ---------------------------------------------------------------------------
# LIKE matcher: linear tokenisation, segment search O(n*m), no regex
# ---------------------------------------------------------------------------
ANY1 = object()


def compile_like(pattern):
    """Split a LIKE pattern into %-separated segments of (char | ANY1) tokens.
    Backslash escapes %, _ and itself."""
    segments = [[]]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            segments[-1].append(pattern[i + 1])
            i += 2
            continue
        if c == "%":
            if segments[-1] or len(segments) == 1:
                segments.append([])
            # consecutive % collapse: an empty trailing segment is reused
        elif c == "_":
            segments[-1].append(ANY1)
        else:
            segments[-1].append(c)
        i += 1
    return segments


def _seg_at(text, pos, seg):
    for j, t in enumerate(seg):
        if t is not ANY1 and text[pos + j] != t:
            return False
    return True


def like_match(text, segments):
    if len(segments) == 1:
        seg = segments[0]
        return len(text) == len(seg) and _seg_at(text, 0, seg)
    first, last, middle = segments[0], segments[-1], segments[1:-1]
    need = sum(len(s) for s in segments)
    n = len(text)
    if need > n:
        return False
    if not _seg_at(text, 0, first):
        return False
    end = n - len(last)
    if not _seg_at(text, end, last):
        return False
    pos = len(first)
    for seg in middle:
        k = len(seg)
        if k == 0:
            continue
        found = False
        while pos + k <= end:
            if _seg_at(text, pos, seg):
                found = True
                break
            pos += 1
        if not found:
            return False
        pos += k
    return True


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------
def parse_conditions(query):
    groups = []          # list of (label, dict)
    by_index = {}
    for key, val in query.pairs:
        if key != "conditions" and not key.startswith("conditions["):
            continue
        m = COND_KEY_RE.fullmatch(key)
        if not m:
            raise bad_request(key, "is malformed; use conditions[i][field], conditions[i][op] and conditions[i][value]")
        idx, sub, is_list = m.group(1), m.group(2), m.group(3)
        if idx == "":
            # Rack semantics for conditions[][x]: a new hash starts when the key repeats
            if not groups or groups[-1][0] != "" or (sub in groups[-1][1] and not is_list):
                groups.append(("", {}))
            cond = groups[-1][1]
            label = "conditions[]"
        else:
            if idx not in by_index:
                by_index[idx] = {}
                groups.append((idx, by_index[idx]))
            cond = by_index[idx]
            label = "conditions[%s]" % idx
        cond.setdefault("_label", label)
        if is_list:
            if sub != "value":
                raise bad_request("%s[%s]" % (label, sub), "must be a single value")
            existing = cond.get("value")
            if isinstance(existing, list):
                existing.append(val)
            else:
                cond["value"] = [val]
        else:
            cond[sub] = val
    return [compile_condition(c) for _, c in groups]


def convert_value(ftype, raw, label):
    if ftype in ("int", "int?"):
        v = parse_query_int(raw)
        if v is None:
            raise bad_request(label, "must be an integer for this field")
        return v
    if ftype == "bool":
        low = raw.strip().lower()
        if low in ("true", "t", "1"):
            return True
        if low in ("false", "f", "0"):
            return False
        raise bad_request(label, "must be true or false for this field")
    if ftype == "date":
        s = raw.strip()
        m = DATE_FULL_RE.fullmatch(s)
        if m:
            return m.group(1) + " " + m.group(2)
        if DATE_ONLY_RE.fullmatch(s):
            return s + " 00:00:00"
        raise bad_request(label, "must be a date 'YYYY-MM-DD HH:MM:SS'")
    return raw


def as_text(value, ftype):
    if value is None:
        return None
    if ftype == "bool":
        return "true" if value else "false"
    return str(value) if not isinstance(value, str) else value


def compile_condition(c):
    label = c.get("_label", "conditions")
    field = c.get("field")
    op = c.get("op")
    if field is None or field == "":
        raise bad_request(label + "[field]", "is required")
    if field not in FIELD_TYPES:
        raise bad_request(label + "[field]", "is not a readable field (%s)" % field)
    if op is None or op == "":
        raise bad_request(label + "[op]", "is required")
    op_n = " ".join(op.lower().split())
    if op_n not in OPS:
        raise bad_request(label + "[op]", "must be one of = != > >= < <= like, not like, in, not in")
    if "value" not in c:
        raise bad_request(label + "[value]", "is required")
    value = c["value"]
    vlabel = label + "[value]"
    ftype = FIELD_TYPES[field]
    if op_n in ("like", "not like"):
        pat = ",".join(value) if isinstance(value, list) else value
        segs = compile_like(pat)
        neg = op_n == "not like"

        def pred(rec):
            t = as_text(rec[field], ftype)
            if t is None:
                return False
            return like_match(t, segs) != neg
        return pred
    if op_n in ("in", "not in"):
        items = value if isinstance(value, list) else value.split(",")
        conv = set()
        for it in items:
            it2 = it.strip()
            conv.add(convert_value(ftype, it2, vlabel))
        neg = op_n == "not in"

        def pred(rec):
            v = rec[field]
            if v is None:
                return False
            return (v in conv) != neg
        return pred
    if isinstance(value, list):
        raise bad_request(vlabel, "must be a single value for operator %s" % op_n)
    target = convert_value(ftype, value, vlabel)

    def pred(rec):
        v = rec[field]
        if v is None:
            return False
        if op_n == "=":
            return v == target
        if op_n == "!=":
            return v != target
        if op_n == ">":
            return v > target
        if op_n == ">=":
            return v >= target
        if op_n == "<":
            return v < target
        return v <= target
    return pred


# ---------------------------------------------------------------------------
# JSON body parsing and validation
# ---------------------------------------------------------------------------
class TooBig:
    pass


class BadJson(Exception):
    pass


def _parse_int(s):
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        return TooBig()
    return int(s)


def _parse_constant(name):
    raise BadJson("%s is not valid JSON" % name)


def load_json(raw):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not valid UTF-8", {"body": ["is not valid UTF-8"]})
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=Decimal,
                          parse_constant=_parse_constant)
    except (ValueError, BadJson, RecursionError, InvalidOperation, OverflowError) as e:
        msg = str(e)[:200]
        raise ApiError(400, "the request body is not valid JSON: %s" % msg,
                       {"body": ["is not valid JSON"]})


def json_integer(v):
    """JSON Schema integer: an int, or a number with a zero fraction. Returns (ok, value, problem)."""
    if isinstance(v, bool):
        return False, None, "must be an integer"
    if isinstance(v, TooBig):
        return False, None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
    if isinstance(v, int):
        if not INT_MIN <= v <= INT_MAX:
            return False, None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
        return True, v, None
    if isinstance(v, Decimal):
        if not v.is_finite():
            return False, None, "must be an integer"
        if v.adjusted() > 12:
            return False, None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
        if v != v.to_integral_value():
            return False, None, "must be an integer"
        return json_integer(int(v))
    return False, None, "must be an integer"


def to_bool(v):
    """Returns True/False, or None when not acceptable."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and v in (0, 1):
        return bool(v)
    if isinstance(v, Decimal) and v.is_finite() and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("0", "1", "true", "false"):
        return v.strip().lower() in ("1", "true")
    return None


def validate_calendar(body, group_id, creating):
    """Validate a parsed JSON body. Returns the dict of new values (writable keys only)."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object wrapping the calendar: {\"calendar\": {...}}",
                       {"calendar": ["is missing (the body must be a JSON object)"]})
    if "calendar" not in body:
        raise ApiError(400, "calendar is missing: wrap the fields in {\"calendar\": {...}}",
                       {"calendar": ["is missing"]})
    cal = body["calendar"]
    if not isinstance(cal, dict):
        raise ApiError(400, "calendar must be a JSON object", {"calendar": ["must be an object"]})
    errors = {}
    values = {}

    def err(k, p):
        errors.setdefault(k, []).append(p)

    for key, v in cal.items():
        if key in READ_ONLY:
            err(key, "is read-only and cannot be set")
            continue
        if key not in WRITABLE:
            continue        # unknown keys are ignored
        ftype = FIELD_TYPES[key]
        if key == "deleted":
            b = to_bool(v)
            if b is None:
                err(key, "must be a boolean")
            elif b and not creating:
                err(key, "cannot be set to true with PUT; use DELETE on the calendar to delete it")
            else:
                values[key] = b
            continue
        if ftype in ("int", "int?"):
            if v is None:
                if ftype == "int?":
                    values[key] = None
                else:
                    err(key, "must be an integer (not null)")
                continue
            ok, iv, problem = json_integer(v)
            if not ok:
                err(key, problem)
                continue
            if key in TIMING and iv < 0:
                err(key, "must be greater than or equal to 0")
                continue
            if key == "group_id" and iv != group_id:
                err(key, "must be the group of the URL (%d)" % group_id)
                continue
            if key == "calendarset_id" and CALENDARSETS.get(iv) != group_id:
                err(key, "does not exist in group %d" % group_id)
                continue
            values[key] = iv
            continue
        # strings
        if v is None:
            if ftype == "str?":
                values[key] = None
            else:
                err(key, "must be a string (not null)")
            continue
        if not isinstance(v, str):
            err(key, "must be a string")
            continue
        if len(v) > MAX_LEN[key]:
            err(key, "is too long (maximum is %d characters)" % MAX_LEN[key])
            continue
        if key == "name" and not v.strip():
            err(key, "can't be blank")
            continue
        values[key] = v
    if creating and "name" not in cal:
        err("name", "is required")
    if errors:
        raise validation_failed(errors)
    return values


# ---------------------------------------------------------------------------
# Operations (all state access under STORE.lock)
# ---------------------------------------------------------------------------
def public(rec):
    return {k: rec[k] for k in FIELD_ORDER}


def list_calendars(group_id, q):
    raw = q.last("results")
    all_rows = False
    if raw is None or raw == "":
        per_page, per_page_echo = 25, 25
    elif raw.lower() == "all":
        all_rows, per_page, per_page_echo = True, None, None
    else:
        per_page, per_page_echo = parse_nonneg_int_param("results", raw, allow_zero=False)
    raw = q.last("startIndex")
    if raw is None or raw == "":
        start, start_echo = 0, 0
    else:
        start, start_echo = parse_nonneg_int_param("startIndex", raw, allow_zero=True)
    sort_f = q.last("sort")
    if sort_f == "":
        sort_f = None
    if sort_f is not None and sort_f not in FIELD_TYPES:
        raise bad_request("sort", "must be a readable field (%s)" % ", ".join(FIELD_ORDER))
    dir_ = q.last("dir")
    if dir_ == "":
        dir_ = None
    if dir_ is not None and dir_.lower() not in ("asc", "desc"):
        raise bad_request("dir", "must be asc or desc")
    search = q.last("search")
    interv = []
    for v in q.all("intervention_ids[]", "intervention_ids"):
        if v.strip() == "":
            continue
        n = parse_query_int(v)
        if n is None:
            raise bad_request("intervention_ids[]", "must be a list of integers (got %r)" % v[:50])
        interv.append(n)
    csets = []
    for v in q.all("calendarset_ids[]", "calendarset_ids"):
        if v.strip() == "":
            continue
        n = parse_query_int(v)
        if n is None:
            raise bad_request("calendarset_ids[]", "must be a list of integers (got %r)" % v[:50])
        csets.append(n)
    preds = parse_conditions(q)

    with STORE.lock:
        rows = []
        for rec in STORE.calendars.values():
            if rec["group_id"] != group_id:
                continue
            if interv:
                have = STORE.interventions.get(rec["id"], set())
                if not all(i in have for i in interv):
                    continue
            rows.append(public(rec))
    if csets:
        cs = set(csets)
        rows = [r for r in rows if r["calendarset_id"] in cs]
    if search:
        needle = search.lower()
        rows = [r for r in rows if needle in r["name"].lower()]
    for p in preds:
        rows = [r for r in rows if p(r)]
    rows.sort(key=lambda r: r["id"])
    if sort_f is None:
        rows.sort(key=lambda r: r["sort"])
    else:
        desc = dir_ is not None and dir_.lower() == "desc"
        nulls = [r for r in rows if r[sort_f] is None]
        vals = [r for r in rows if r[sort_f] is not None]
        vals.sort(key=lambda r: r[sort_f], reverse=desc)
        rows = nulls + vals if desc else vals + nulls
    total = len(rows)
    if all_rows:
        page = rows[start:]
        page_size = total
    else:
        page = rows[start:start + per_page]
        page_size = per_page_echo
    return {
        "records": page, "sort": sort_f, "dir": dir_, "totalRecords": total,
        "startIndex": start_echo, "recordsReturned": len(page), "pageSize": page_size,
    }


def get_calendar(group_id, cal_id):
    with STORE.lock:
        rec = STORE.calendars.get(cal_id)
        if rec is None or rec["group_id"] != group_id:
            raise not_found_calendar()
        return public(rec)


def not_found_calendar():
    return ApiError(404, "calendar not found")


def create_calendar(group_id, body):
    with STORE.lock:
        values = validate_calendar(body, group_id, creating=True)
        ts = now_str()
        cid = STORE.next_id
        STORE.next_id += 1
        rec = dict(DEFAULTS)
        rec.update({"id": cid, "group_id": group_id, "sort": 0})
        rec.update(values)
        rec["group_id"] = group_id
        rec["created_at"] = ts
        rec["updated_at"] = ts
        STORE.calendars[cid] = rec
        STORE.interventions[cid] = set()
        return public(rec)


def update_calendar(group_id, cal_id, body):
    with STORE.lock:
        rec = STORE.calendars.get(cal_id)
        if rec is None or rec["group_id"] != group_id:
            raise not_found_calendar()
        values = validate_calendar(body, group_id, creating=False)
        changed = False
        for k, v in values.items():
            if rec[k] != v or type(rec[k]) is not type(v):
                rec[k] = v
                changed = True
        if changed:
            rec["updated_at"] = now_str()
        return public(rec)


def delete_calendar(group_id, cal_id):
    with STORE.lock:
        rec = STORE.calendars.get(cal_id)
        if rec is None or rec["group_id"] != group_id:
            raise not_found_calendar()
        if not rec["deleted"]:
            rec["deleted"] = True
            rec["updated_at"] = now_str()
        return {}


# ---------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------
COLLECTION, MEMBER, LOGIN = "collection", "member", "login"
ALLOWED = {COLLECTION: ("GET", "HEAD", "POST"), MEMBER: ("GET", "HEAD", "PUT", "DELETE"),
           LOGIN: ("POST",)}


def route(path):
    """Return (kind, group_raw, cal_raw) or None."""
    segs = path.split("/")
    if len(segs) > 2 and segs[-1] == "":
        segs = segs[:-1]                 # one trailing slash is tolerated
    if len(segs) == 5 and segs[:4] == ["", "api", "v1", "sessions"] and segs[4] in ("login", "login.json"):
        return LOGIN, None, None
    if len(segs) < 6 or segs[:4] != ["", "api", "v1", "groups"]:
        return None
    if len(segs) == 6 and segs[5] in ("calendars", "calendars.json"):
        return COLLECTION, segs[4], None
    if len(segs) == 7 and segs[5] == "calendars":
        last = segs[6]
        if last.endswith(".json"):
            last = last[:-5]
        if last == "" or "." in last:
            return None
        return MEMBER, segs[4], last
    return None


def parse_id(raw):
    if raw is None or not DIGITS_RE.fullmatch(raw) or len(raw) > 18:
        return None
    return int(raw)


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------
def dumps(obj):
    raws = []

    def default(o):
        if isinstance(o, RawNumber):
            raws.append(o)
            return o.token
        raise TypeError("not serialisable")
    try:
        text = json.dumps(obj, ensure_ascii=False, default=default)
        data = text
        for r in raws:
            data = data.replace('"%s"' % r.token, r.digits)
        return data.encode("utf-8")
    except UnicodeEncodeError:
        raws.clear()
        text = json.dumps(obj, ensure_ascii=True, default=default)
        for r in raws:
            text = text.replace('"%s"' % r.token, r.digits)
        return text.encode("ascii")


STATUS_MAP = {414: 400, 431: 400, 505: 400, 501: 405, 408: 400, 417: 400}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "IndepCalendar/1.0"
    sys_version = ""
    timeout = 30
    verbose = False

    # every method name is dispatched (unknown methods -> 405, never 501)
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    # ---- low-level responses -------------------------------------------
    def send_error(self, code, message=None, explain=None):
        code = STATUS_MAP.get(int(code), int(code))
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") in ("HTTP/0.9", ""):
            self.request_version = "HTTP/1.0"      # always answer with a status line
        body = dumps({"error": message or explain or "bad request"})
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", "") != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def send_json(self, status, obj, headers=()):
        body = dumps(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_expect_100(self):
        cl = self.headers.get("Content-Length")
        if cl is not None and cl.strip().isdigit() and int(cl.strip()) > MAX_BODY:
            self.close_connection = True
            self.send_json(413, {"error": "request body too large (limit 1 MB)",
                                 "errors": {"body": ["is larger than 1 MB"]}})
            return False
        return super().handle_expect_100()

    # ---- body ----------------------------------------------------------
    def read_body(self):
        """Returns bytes; raises ApiError (and marks the connection closed) on framing problems."""
        te = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if te:
            if te != "chunked":
                self.close_connection = True
                raise ApiError(400, "unsupported Transfer-Encoding", {"Transfer-Encoding": ["must be chunked"]})
            return self._read_chunked()
        cl = self.headers.get_all("Content-Length") or []
        if not cl:
            return b""
        vals = {v.strip() for v in cl}
        if len(vals) != 1 or not next(iter(vals)).isdigit() or len(next(iter(vals))) > 18:
            self.close_connection = True
            raise ApiError(400, "invalid Content-Length", {"Content-Length": ["is invalid"]})
        length = int(next(iter(vals)))
        if length > MAX_BODY:
            if length <= DRAIN_LIMIT:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(65536, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                if remaining:
                    self.close_connection = True
            else:
                self.close_connection = True
            raise ApiError(413, "request body too large (limit 1 MB)", {"body": ["is larger than 1 MB"]})
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            self.close_connection = True
            raise ApiError(400, "request body shorter than Content-Length", {"body": ["is incomplete"]})
        return data

    def _read_chunked(self):
        out = bytearray()
        total = 0
        too_big = False

        def malformed(problem="is malformed"):
            self.close_connection = True
            return ApiError(400, "malformed chunked body", {"body": [problem]})
        while True:
            line = self.rfile.readline(1026)
            if not line or not line.endswith(b"\n"):
                raise malformed()
            size_s = line.split(b";", 1)[0].strip()
            if not size_s or len(size_s) > 15 or any(c not in b"0123456789abcdefABCDEF" for c in size_s):
                raise malformed()
            size = int(size_s, 16)
            if size == 0:
                while True:                      # trailers
                    t = self.rfile.readline(65537)
                    if not t or t in (b"\r\n", b"\n"):
                        break
                break
            total += size
            if total > DRAIN_LIMIT:
                self.close_connection = True
                raise ApiError(413, "request body too large (limit 1 MB)", {"body": ["is larger than 1 MB"]})
            if total > MAX_BODY:
                too_big = True
                out = bytearray()
                remaining = size
                while remaining > 0:
                    chunk = self.rfile.read(min(65536, remaining))
                    if not chunk:
                        raise malformed("is incomplete")
                    remaining -= len(chunk)
            else:
                data = self.rfile.read(size)
                if len(data) < size:
                    raise malformed("is incomplete")
                out.extend(data)
            self.rfile.readline(3)               # CRLF after the chunk data
        if too_big:
            raise ApiError(413, "request body too large (limit 1 MB)", {"body": ["is larger than 1 MB"]})
        return bytes(out)

    # ---- auth ------------------------------------------------------------
    def _cookie_session(self):
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, sep, val = part.strip().partition("=")
                if sep and name.strip() == "_session_id":
                    val = val.strip().strip('"')
                    with STORE.lock:
                        sess = STORE.sessions.get(val)
                    if sess:
                        return sess
        return None

    def authenticate(self, query, body_json):
        """Returns the user's email, or raises 401."""
        key = query.last("apikey")
        if key is None and isinstance(body_json, dict) and isinstance(body_json.get("apikey"), str):
            key = body_json["apikey"]
        email = None
        via_session = None
        auth = self.headers.get("Authorization")
        if auth and auth.strip().lower().startswith("basic"):
            token = auth.strip()[5:].strip()
            try:
                decoded = base64.b64decode(token, validate=True).decode("utf-8")
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise ApiError(401, "malformed HTTP Basic credentials")
            user, sep, pw = decoded.partition(":")
            u = USERS.get(user.strip().lower())
            if not sep or u is None or not hmac.compare_digest(u["password"].encode(), pw.encode()):
                raise ApiError(401, "wrong email or password")
            email = user.strip().lower()
        else:
            via_session = self._cookie_session()
            if via_session:
                email = via_session[0]
        if key is None:                    # required with Basic and with the session cookie alike
            raise ApiError(401, "apikey is missing (pass it as ?apikey=...)")
        if not hmac.compare_digest(key.encode("utf-8", "replace"), API_KEY.encode()):
            raise ApiError(401, "unknown apikey")
        if email is None:
            raise ApiError(401, "authentication required: HTTP Basic email:password or the _session_id cookie")
        return email

    # ---- dispatch ----------------------------------------------------------
    def _dispatch(self):
        try:
            self._dispatch_inner()
        except ApiError as e:
            self._send_api_error(e)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # pragma: no cover - last resort, never expected
            self.close_connection = True
            try:
                self.send_json(500, {"error": "internal error: %s" % type(e).__name__})
            except OSError:
                pass

    def _send_api_error(self, e):
        try:
            self.send_json(e.status, e.body(), e.headers)
        except OSError:
            self.close_connection = True

    def _dispatch_inner(self):
        method = self.command or ""
        target = self.path
        if target.startswith(("http://", "https://")):
            rest = target.split("://", 1)[1]
            slash = rest.find("/")
            target = rest[slash:] if slash >= 0 else "/"
        path, _, raw_query = target.partition("?")
        r = route(path)
        if r is None:
            self.read_body()
            raise ApiError(404, "no such resource: %s" % path[:200])
        kind, group_raw, cal_raw = r
        allowed = ALLOWED[kind]
        if method not in allowed:
            self.read_body()
            raise ApiError(405, "method %s is not available for this resource" % method[:20],
                           headers=[("Allow", ", ".join(allowed))])
        raw_body = self.read_body()
        query = Query(raw_query)
        if kind == LOGIN:
            return self.login(query, raw_body)

        body_json = None
        body_error = None
        if method in ("POST", "PUT"):
            ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                body_error = bad_request("Content-Type", "must be application/json")
            else:
                try:
                    body_json = load_json(raw_body)
                except ApiError as e:
                    body_error = e
        elif raw_body:
            try:
                body_json = json.loads(raw_body.decode("utf-8"), parse_int=_parse_int,
                                       parse_float=Decimal, parse_constant=_parse_constant)
            except Exception:
                body_json = None

        email = self.authenticate(query, body_json)
        if query.bad_encoding is not None:
            raise bad_request("query", "contains invalid UTF-8")
        group_id = parse_id(group_raw)
        if group_id is None or group_id not in GROUPS or USERS[email]["group_id"] != group_id:
            raise ApiError(404, "group not found")
        fmt = query.last("format")
        if fmt is not None and fmt.lower() != "json":
            raise bad_request("format", "must be json")

        if kind == COLLECTION:
            if method in ("GET", "HEAD"):
                return self.send_json(200, list_calendars(group_id, query))
            if body_error:
                raise body_error
            return self.send_json(201, create_calendar(group_id, body_json))
        cal_id = parse_id(cal_raw)
        if cal_id is None:
            raise not_found_calendar()
        if method in ("GET", "HEAD"):
            return self.send_json(200, get_calendar(group_id, cal_id))
        if method == "DELETE":
            return self.send_json(200, delete_calendar(group_id, cal_id))
        # PUT: 404 before body validation
        get_calendar(group_id, cal_id)
        if body_error:
            raise body_error
        return self.send_json(200, update_calendar(group_id, cal_id, body_json))

    # ---- sessions ----------------------------------------------------------
    def login(self, query, raw_body):
        params = {}
        for k, v in query.pairs:
            params[k] = v
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if raw_body:
            if ctype == "application/json":
                try:
                    b = load_json(raw_body)
                except ApiError:
                    b = None
                if isinstance(b, dict):
                    if isinstance(b.get("apikey"), str):
                        params.setdefault("apikey", b["apikey"])
                    pro = b.get("pro")
                    if isinstance(pro, dict):
                        for sub in ("email", "password"):
                            if isinstance(pro.get(sub), str):
                                params.setdefault("pro[%s]" % sub, pro[sub])
            else:
                try:
                    form = Query(raw_body.decode("utf-8", "replace"))
                    for k, v in form.pairs:
                        params.setdefault(k, v)
                except Exception:
                    pass
        key = params.get("apikey")
        if key is None:
            raise ApiError(401, "apikey is missing (pass it as ?apikey=...)")
        if key != API_KEY:
            raise ApiError(401, "unknown apikey")
        email = params.get("pro[email]")
        pw = params.get("pro[password]")
        email = email.strip().lower() if email is not None else None
        u = USERS.get(email) if email is not None else None
        if u is None or pw is None:
            raise ApiError(401, "wrong email or password")
        expected = hashlib.sha1(u["password"].encode("utf-8")).hexdigest()
        if not hmac.compare_digest(expected.encode(), pw.strip().lower().encode("utf-8", "replace")):
            raise ApiError(401, "wrong email or password")
        sid = secrets.token_hex(16)
        with STORE.lock:
            STORE.sessions[sid] = (email, key)
        pro = {"id": u["id"], "email": email, "firstname": u["firstname"],
               "lastname": u["lastname"], "group_id": u["group_id"],
               "created_at": "2022-01-01 08:00:00", "updated_at": "2022-01-01 08:00:00"}
        self.send_json(200, {"pro": pro, "error": None},
                       headers=[("Set-Cookie", "_session_id=%s; path=/; HttpOnly" % sid)])


# ---------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description="Independent ClicRDV Calendar API server (other assumptions)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    host = args.host
    if host == "localhost":
        host = "127.0.0.1"
    if host != "127.0.0.1":
        ap.error("this server binds to 127.0.0.1 only")
    Handler.verbose = args.verbose
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    httpd = ThreadingHTTPServer((host, args.port), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    print("other_assumptions_server listening on http://%s:%d" % (host, port), flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
