#!/usr/bin/env python3
"""busy_staging_server.py - an independent ClicRDV REST API v1 Calendar server.

Written only from CONTRACT.md, calendar-api-seed.fr.txt and clicrdv-api-research.md, to act as a
second implementation ("a busy, real staging deployment") against which a contract-test suite can
be run.  Python 3.11 standard library only; all state in memory, fresh on every start.

    python3 busy_staging_server.py --port 8090 [--host 127.0.0.1] [--verbose]

Resources: calendars (list/show/create/update/soft delete/restore), interventions (read),
calendarsets (read), interventionsets (read), sessions/login.
Staging behaviour: token-bucket rate limit (429), a one-off 1.5 s maintenance blip (503) from the
700th API request on, gzip, ETag/304, keep-alive closed after 50 requests, X-Request-Id.
See busy_staging_server.md for every choice and the seed data.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import re
import sys
import threading
import time
import traceback
import unicodedata
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

# --------------------------------------------------------------------------------------------
# Fixed identities and tunables
# --------------------------------------------------------------------------------------------
API_KEY = "indep-key-7"
USERS = {
    "qa@indep.test": {"id": 9101, "password": "qa-pass-1", "group_id": 40,
                      "firstname": "Quentin", "lastname": "Assurance"},
    "other@indep.test": {"id": 9102, "password": "other-pass-2", "group_id": 77,
                         "firstname": "Odile", "lastname": "Autre"},
}
MAX_BODY = 1024 * 1024            # bodies over 1 MB -> 413
DRAIN_MAX = 64 * 1024 * 1024      # an oversized body is read and dropped up to this size
RATE_PER_SEC = 120.0              # token bucket refill rate (per API key)
RATE_BURST = 60.0                 # token bucket capacity
BLIP_AT = 700                     # the N-th API request starts the maintenance blip
BLIP_SECONDS = 1.5
KEEPALIVE_MAX = 50                # a kept-alive connection is closed after this many requests
GZIP_MIN = 256                    # compress bodies strictly larger than this
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1   # stored integers are 32-bit (MySQL INT)
DEFAULT_RESULTS = 25
MAX_DETAIL_FIELDS = 50

LOCK = threading.Lock()
VERBOSE = False


def now_str():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


# --------------------------------------------------------------------------------------------
# Seed data
# --------------------------------------------------------------------------------------------
GROUPS = {40: {"id": 40, "name": "Institut Beauté Indép"},
          77: {"id": 77, "name": "Cabinet Dentaire Autre"}}

CAL_DEFAULTS = {"generate_interval": 15, "mintime_rdv": 0, "maxrdv_period": 131400,
                "mintime_annulation": 2880}


def _cal(cid, gid, csid, name, publicname, address, zipcode, city, sort, created, updated,
         deleted=False, **timing):
    c = {"id": cid, "group_id": gid, "calendarset_id": csid, "name": name,
         "publicname": publicname, "address": address, "zipcode": zipcode, "city": city,
         "sort": sort}
    for k, v in CAL_DEFAULTS.items():
        c[k] = timing.get(k, v)
    c["deleted"] = deleted
    c["created_at"] = created
    c["updated_at"] = updated
    return c


def seed_state():
    cals = [
        _cal(4101, 40, 611, "Salon Principal", "Salon principal", "12 rue de la République",
             "69002", "Lyon", 1, "2019-03-04 09:15:00", "2023-01-10 18:02:41"),
        _cal(4103, 40, 611, "Cabine Épilation", "Épilation", None, None, None, 2,
             "2019-03-04 09:16:12", "2022-11-30 08:00:05", mintime_rdv=60),
        _cal(4105, 40, 611, "coiffure Homme", "Coiffure homme", "3 place Bellecour", "69002",
             "Lyon", 2, "2019-05-21 14:40:00", "2021-06-01 10:10:10", generate_interval=30),
        _cal(4107, 40, 612, "Espace Soins du Visage", "Soins du visage", None, "69100",
             "Villeurbanne", 4, "2020-01-13 11:00:00", "2023-02-14 09:30:00",
             maxrdv_period=44640),
        _cal(4109, 40, 612, "Françoise MARTIN", "", "8 avenue Jean Jaurès", None, None, 4,
             "2020-02-02 08:05:09", "2020-02-02 08:05:09", mintime_annulation=5760),
        _cal(4111, 40, None, "ONGLERIE express", "Onglerie Express", "", "", "", 4,
             "2020-09-17 16:20:00", "2022-03-03 12:00:00", generate_interval=20),
        _cal(4113, 40, 612, "Massage Détente", "Massage détente", "5 chemin des Vignes",
             "69130", "Écully", 6, "2021-04-08 10:00:00", "2023-03-01 07:45:00",
             mintime_rdv=1440),
        _cal(4115, 40, None, "agenda Réception", "", None, None, None, 6,
             "2021-07-19 09:00:00", "2021-07-19 09:00:00", generate_interval=5),
        _cal(4117, 40, 611, "Barbier Vintage", "Barbier vintage", "27 quai Saint-Antoine",
             "69002", "Lyon", 8, "2022-02-22 22:22:22", "2022-12-24 10:00:00"),
        _cal(4119, 40, 612, "Ancien Studio Photo", "Studio photo", None, None, "Caluire", 9,
             "2018-06-01 12:00:00", "2022-08-31 17:59:59", deleted=True),
        _cal(7702, 77, 613, "Cabinet Dentaire Nord", "Dentiste Nord", "1 rue du Nord", "59000",
             "Lille", 1, "2020-10-10 10:10:10", "2022-10-10 10:10:10"),
        _cal(7704, 77, 613, "Cabinet Dentaire Sud", "Dentiste Sud", None, None, None, 2,
             "2020-10-11 10:10:10", "2022-10-11 10:10:10"),
        _cal(7706, 77, None, "Orthodontie Enfants", "", "4 boulevard de la Liberté", "59800",
             "Lille", 2, "2021-01-05 08:30:00", "2021-01-05 08:30:00", mintime_rdv=120),
    ]
    calendarsets = [
        {"id": 611, "group_id": 40, "name": "Coiffure & Barbier", "publicname": "Coiffure",
         "sort": 1, "created_at": "2019-03-01 08:00:00", "updated_at": "2021-05-05 08:00:00"},
        {"id": 612, "group_id": 40, "name": "Bien-être", "publicname": "Bien-être & soins",
         "sort": 2, "created_at": "2019-03-01 08:05:00", "updated_at": "2020-01-13 11:00:00"},
        {"id": 613, "group_id": 77, "name": "Cabinets dentaires", "publicname": "Dentaire",
         "sort": 1, "created_at": "2020-10-01 09:00:00", "updated_at": "2020-10-01 09:00:00"},
    ]
    interventionsets = [
        {"id": 91, "group_id": 40, "name": "Coiffure", "publicname": "Coiffure", "sort": 1,
         "created_at": "2019-03-01 08:10:00", "updated_at": "2019-03-01 08:10:00"},
        {"id": 92, "group_id": 40, "name": "Beauté & Soins", "publicname": "Beauté", "sort": 2,
         "created_at": "2019-03-01 08:11:00", "updated_at": "2022-01-01 00:00:00"},
        {"id": 95, "group_id": 77, "name": "Dentaire", "publicname": "Soins dentaires", "sort": 1,
         "created_at": "2020-10-01 09:05:00", "updated_at": "2020-10-01 09:05:00"},
    ]

    def itv(iid, gid, isid, name, publicname, length, sort, created, updated, deleted=False):
        return {"id": iid, "group_id": gid, "interventionset_id": isid, "name": name,
                "publicname": publicname, "length": length, "sort": sort, "deleted": deleted,
                "created_at": created, "updated_at": updated}

    interventions = [
        itv(21, 40, 91, "Coupe Femme", "Coupe femme", 45, 1,
            "2019-03-05 10:00:00", "2022-05-05 10:00:00"),
        itv(23, 40, 91, "Brushing Lissant", "Brushing", 30, 2,
            "2019-03-05 10:05:00", "2021-01-01 09:00:00"),
        itv(25, 40, 92, "Soin Visage Éclat", "Soin éclat", 60, 2,
            "2020-01-14 09:00:00", "2023-02-14 09:31:00"),
        itv(27, 40, 92, "Manucure Complète", "", 40, 3,
            "2020-09-18 09:00:00", "2020-09-18 09:00:00"),
        itv(29, 40, None, "Épilation Sourcils", "Sourcils", 15, 4,
            "2019-04-01 11:00:00", "2022-09-09 09:09:09", deleted=True),
        itv(41, 77, 95, "Détartrage", "Détartrage", 30, 1,
            "2020-10-12 08:00:00", "2020-10-12 08:00:00"),
        itv(43, 77, 95, "Consultation Orthodontie", "Orthodontie", 20, 2,
            "2020-10-12 08:05:00", "2021-03-03 08:00:00"),
        itv(45, 77, None, "Blanchiment", "", 60, 3,
            "2021-02-01 08:00:00", "2021-02-01 08:00:00"),
    ]
    # intervention id -> calendars offering it (the only place the association lives)
    offers = {
        21: {4101, 4103, 4105, 4107},
        23: {4103, 4105, 4109, 4119},
        25: {4101, 4111, 4113},
        27: {4107, 4109, 4111, 4115},
        29: {4103, 4113},
        41: {7702, 7704},
        43: {7704, 7706},
        45: {7706},
    }
    state = {
        "calendars": {c["id"]: c for c in cals},
        "calendarsets": {c["id"]: c for c in calendarsets},
        "interventionsets": {c["id"]: c for c in interventionsets},
        "interventions": {c["id"]: c for c in interventions},
        "offers": offers,
        "sessions": {},       # session id -> (email, apikey)
        "next_calendar_id": max(c["id"] for c in cals) + 1,
    }
    return state


STATE = seed_state()

# --------------------------------------------------------------------------------------------
# Resource descriptions (readable fields and their types)
# --------------------------------------------------------------------------------------------
CAL_FIELDS = {
    "id": "int", "group_id": "int", "calendarset_id": "int", "name": "str",
    "publicname": "str", "address": "str", "zipcode": "str", "city": "str", "sort": "int",
    "generate_interval": "int", "mintime_rdv": "int", "maxrdv_period": "int",
    "mintime_annulation": "int", "deleted": "bool", "created_at": "date",
    "updated_at": "date", "label": "str",
}
ITV_FIELDS = {
    "id": "int", "group_id": "int", "interventionset_id": "int", "name": "str",
    "publicname": "str", "length": "int", "sort": "int", "deleted": "bool",
    "created_at": "date", "updated_at": "date",
}
SET_FIELDS = {
    "id": "int", "group_id": "int", "name": "str", "publicname": "str", "sort": "int",
    "created_at": "date", "updated_at": "date",
}
RESOURCES = {
    "calendars": {"fields": CAL_FIELDS, "arrays": ("intervention_ids", "calendarset_ids"),
                  "scalars_int": (), "collection": ("GET", "HEAD", "POST"),
                  "member": ("GET", "HEAD", "PUT", "DELETE")},
    "interventions": {"fields": ITV_FIELDS, "arrays": ("calendar_ids",),
                      "scalars_int": ("interventionset_id",), "collection": ("GET", "HEAD"),
                      "member": ("GET", "HEAD")},
    "calendarsets": {"fields": SET_FIELDS, "arrays": (), "scalars_int": (),
                     "collection": ("GET", "HEAD"), "member": ("GET", "HEAD")},
    "interventionsets": {"fields": SET_FIELDS, "arrays": (), "scalars_int": (),
                         "collection": ("GET", "HEAD"), "member": ("GET", "HEAD")},
}


def present_calendar(c):
    out = {k: c[k] for k in CAL_FIELDS if k != "label"}
    out["label"] = "agenda-%d" % c["id"]
    return out


def present(resource, rec):
    if resource == "calendars":
        return present_calendar(rec)
    return dict(rec)


# --------------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------------
class BigNum:
    """An integer literal too long to convert safely (kept as its digits)."""
    __slots__ = ("digits",)

    def __init__(self, digits):
        self.digits = digits


class RawInt:
    """A non-negative integer (as a digit string) to be written verbatim into JSON output."""
    __slots__ = ("digits",)

    def __init__(self, digits):
        self.digits = digits


_RAW_TOKEN = "\u0001raw-%s-" % uuid.uuid4().hex


def _json_parse_int(s):
    if len(s) > 40:
        return BigNum(s)
    return int(s)


def _json_reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def parse_json(text):
    return json.loads(text, parse_int=_json_parse_int, parse_constant=_json_reject_constant)


def dumps(obj):
    raws = []

    def default(o):
        if isinstance(o, RawInt):
            raws.append(o.digits)
            return "%s%d" % (_RAW_TOKEN, len(raws) - 1)
        raise TypeError("not serialisable")

    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=default)
    for i, digits in enumerate(raws):
        text = text.replace(json.dumps("%s%d" % (_RAW_TOKEN, i), ensure_ascii=False), digits, 1)
    return text.encode("utf-8", errors="backslashreplace")


def safe_name(s, limit=100):
    """A user-supplied key made safe to echo in an error body."""
    s = str(s)
    if len(s) > limit:
        s = s[:limit] + "..."
    return s.encode("utf-8", errors="backslashreplace").decode("utf-8")


def has_lone_surrogate(s):
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status, code, message, details=None, headers=None, close=False):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or []
        self.close = close

    def body(self):
        return {"message": self.message, "code": self.code, "details": self.details}


def bad_request(details, message=None):
    trimmed = {}
    for k in list(details)[:MAX_DETAIL_FIELDS]:
        trimmed[safe_name(k)] = details[k]
    if message is None:
        fields = list(trimmed)
        message = "Invalid parameter%s: %s" % ("s" if len(fields) > 1 else "",
                                                ", ".join(fields[:10]))
    return ApiError(400, "invalid_parameter", message, trimmed)


def add_err(errs, field, problem):
    errs.setdefault(field, []).append(problem)


# --------------------------------------------------------------------------------------------
# LIKE matcher: '%' any run, '_' one character, backslash escapes; case-insensitive.
# Linear scan per segment (str.find in C for segments without '_'), O(n*m) worst case,
# never backtracking exponentially.
# --------------------------------------------------------------------------------------------
def compile_like(pattern):
    p = pattern.lower()
    segments = [[]]
    i, n = 0, len(p)
    while i < n:
        ch = p[i]
        if ch == "\\" and i + 1 < n:
            segments[-1].append(p[i + 1])
            i += 2
            continue
        if ch == "%":
            segments.append([])
        elif ch == "_":
            segments[-1].append(None)
        else:
            segments[-1].append(ch)
        i += 1
    # collapse: consecutive '%' produce empty middle segments, which are harmless; drop them
    first, last = segments[0], segments[-1]
    middle = [s for s in segments[1:-1] if s]
    has_star = len(segments) > 1

    def prep(seg):
        if None in seg:
            return ("w", seg)
        return ("s", "".join(seg))

    return {"star": has_star, "first": prep(first), "last": prep(last),
            "middle": [prep(s) for s in middle],
            "minlen": len(first) + len(last) + sum(len(s) for s in middle)
            if has_star else len(first)}


def _seg_len(seg):
    return len(seg[1])


def _seg_at(seg, s, pos):
    kind, val = seg
    if kind == "s":
        return s.startswith(val, pos)
    if pos + len(val) > len(s):
        return False
    for k, ch in enumerate(val):
        if ch is not None and s[pos + k] != ch:
            return False
    return True


def _seg_find(seg, s, start, end):
    """Leftmost position p in [start, end - len(seg)] where seg matches s[p:]; -1 if none."""
    kind, val = seg
    if kind == "s":
        return s.find(val, start, end)
    m = len(val)
    # anchor on the longest literal run to use str.find, verify the rest around it
    best, best_off, cur, cur_off = "", 0, [], 0
    for k, ch in enumerate(val + [None]):
        if ch is None:
            if len(cur) > len(best):
                best, best_off = "".join(cur), cur_off
            cur = []
            cur_off = k + 1
        else:
            cur.append(ch)
    if not best:
        return start if start + m <= end else -1
    p = start
    while p + m <= end:
        q = s.find(best, p + best_off, end - (m - best_off - len(best)))
        if q < 0:
            return -1
        cand = q - best_off
        if _seg_at(seg, s, cand):
            return cand
        p = cand + 1
    return -1


def like_match(compiled, text):
    s = text.lower()
    n = len(s)
    if n < compiled["minlen"]:
        return False
    first, last = compiled["first"], compiled["last"]
    if not compiled["star"]:
        return n == _seg_len(first) and _seg_at(first, s, 0)
    if not _seg_at(first, s, 0):
        return False
    pos = _seg_len(first)
    tail = n - _seg_len(last)
    if tail < pos or not _seg_at(last, s, tail):
        return False
    for seg in compiled["middle"]:
        found = _seg_find(seg, s, pos, tail)
        if found < 0:
            return False
        pos = found + _seg_len(seg)
    return True


# --------------------------------------------------------------------------------------------
# Query-string handling
# --------------------------------------------------------------------------------------------
INT_TEXT_RE = re.compile(r"^[+-]?\d+$")
NONNEG_TEXT_RE = re.compile(r"^\+?\d+$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$")
COND_KEY_RE = re.compile(r"^conditions\[([^\[\]]*)\]\[([^\[\]]*)\]$")
ARRAY_KEY_RE = re.compile(r"^([A-Za-z_]+)\[(\d*)\]$")
OPS = ("=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in")


def parse_query(raw):
    # A second '?' glued into the query (as an old PHP client does) is read as a separator.
    raw = raw.replace("?", "&")
    try:
        return parse_qsl(raw, keep_blank_values=True, errors="replace")
    except ValueError:
        return []


def last_values(pairs):
    out = {}
    for k, v in pairs:
        out[k] = v
    return out


def parse_nonneg(text):
    """Returns ('ok', int|RawInt) or ('err', problem)."""
    t = text.strip()
    if not NONNEG_TEXT_RE.match(t):
        return "err", "must be a non-negative integer"
    digits = t.lstrip("+").lstrip("0") or "0"
    if len(digits) > 4000:
        return "ok", RawInt(digits)
    return "ok", int(digits)


def parse_int_text(text):
    """Returns (value or None, problem or None).  Huge values are refused as out of range."""
    t = text.strip()
    if not INT_TEXT_RE.match(t):
        return None, "must be an integer"
    sign = -1 if t.startswith("-") else 1
    digits = t.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 4000:
        return None, "is out of range"
    return sign * int(digits), None


def parse_date_text(text):
    t = text.strip()
    m = DATE_RE.match(t)
    if not m:
        return None, "must be a date 'YYYY-MM-DD HH:MM:SS' (or 'YYYY-MM-DD')"
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    ss = int(m.group(6) or 0)
    try:
        datetime.datetime(y, mo, d, hh, mi, ss)
    except ValueError:
        return None, "is not a valid date"
    return "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, hh, mi, ss), None


def parse_bool_text(text):
    t = text.strip().lower()
    if t in ("true", "1"):
        return True, None
    if t in ("false", "0"):
        return False, None
    return None, "must be true or false"


def convert_value(ftype, text):
    if ftype == "int":
        return parse_int_text(text)
    if ftype == "bool":
        return parse_bool_text(text)
    if ftype == "date":
        return parse_date_text(text)
    return text.lower(), None


def as_text(ftype, v):
    if ftype == "bool":
        return "true" if v else "false"
    return str(v)


def cmp_key(ftype, v):
    if ftype == "str":
        return v.lower()
    if ftype == "bool":
        return 1 if v else 0
    return v


def make_condition(field, ftype, op, value):
    """Returns (predicate, problem)."""
    if op in ("like", "not like"):
        compiled = compile_like(value)
        positive = op == "like"

        def pred(rec):
            v = rec.get(field)
            if v is None:
                return not positive
            return like_match(compiled, as_text(ftype, v)) == positive
        return pred, None
    if op in ("in", "not in"):
        items = []
        for part in value.split(","):
            cv, prob = convert_value(ftype, part.strip() if ftype == "str" else part)
            if prob:
                return None, "each element " + prob
            items.append(cv)
        if ftype == "str":
            items = [x.strip() for x in items]
        keys = set(items)
        positive = op == "in"

        def pred(rec):
            v = rec.get(field)
            if v is None:
                return not positive
            return (cmp_key(ftype, v) in keys) == positive
        return pred, None
    cv, prob = convert_value(ftype, value)
    if prob:
        return None, prob
    if ftype == "bool":
        cv = 1 if cv else 0

    def pred(rec):
        v = rec.get(field)
        if v is None:
            return op == "!="
        k = cmp_key(ftype, v)
        if op == "=":
            return k == cv
        if op == "!=":
            return k != cv
        if op == ">":
            return k > cv
        if op == ">=":
            return k >= cv
        if op == "<":
            return k < cv
        return k <= cv
    return pred, None


def validate_list_query(resource, pairs):
    """Validates a list query; returns a dict of parsed parameters or raises 400."""
    spec = RESOURCES[resource]
    fields = spec["fields"]
    errs = {}
    last = {}
    arrays = {name: [] for name in spec["arrays"]}
    conds = {}
    cond_order = []
    anon = []
    for k, v in pairs:
        if k.startswith("conditions"):
            m = COND_KEY_RE.match(k)
            if not m:
                add_err(errs, safe_name(k), "is not a condition parameter; use "
                        "conditions[i][field], conditions[i][op], conditions[i][value]")
                continue
            idx, part = m.group(1), m.group(2)
            if part not in ("field", "op", "value"):
                add_err(errs, safe_name(k), "unknown condition part (field, op, value)")
                continue
            if idx == "":
                if not anon or part in anon[-1]:
                    anon.append({})
                anon[-1][part] = v
                continue
            if idx not in conds:
                conds[idx] = {}
                cond_order.append(idx)
            conds[idx][part] = v
            continue
        m = ARRAY_KEY_RE.match(k)
        base = m.group(1) if m else k
        if base in arrays:
            arrays[base].append(v)
            continue
        last[k] = v

    out = {"filters": [], "conds": []}

    # paging
    results_txt = last.get("results", "")
    if results_txt.strip() == "":
        out["results"] = DEFAULT_RESULTS
    elif results_txt.strip().lower() == "all":
        out["results"] = "all"
    else:
        st, val = parse_nonneg(results_txt)
        if st == "err":
            add_err(errs, "results", "must be an integer >= 1 or 'all'")
        elif not isinstance(val, RawInt) and val < 1:
            add_err(errs, "results", "must be an integer >= 1 or 'all'")
        else:
            out["results"] = val
    start_txt = last.get("startIndex", "")
    if start_txt.strip() == "":
        out["startIndex"] = 0
    else:
        st, val = parse_nonneg(start_txt)
        if st == "err":
            add_err(errs, "startIndex", "must be an integer >= 0")
        else:
            out["startIndex"] = val

    # sort / dir
    sort = last.get("sort", "")
    if sort == "":
        out["sort"] = None
    elif sort not in fields:
        add_err(errs, "sort", "must be one of the readable fields: " + ", ".join(fields))
    else:
        out["sort"] = sort
    d = last.get("dir", "")
    if d == "":
        out["dir"] = None
    elif d.lower() not in ("asc", "desc"):
        add_err(errs, "dir", "must be 'asc' or 'desc'")
    else:
        out["dir"] = d

    # search
    search = last.get("search", "")
    out["search"] = search.lower() if search.strip() != "" else None

    # id lists
    for name, values in arrays.items():
        ids = []
        for raw in values:
            t = raw.strip()
            if not INT_TEXT_RE.match(t):
                add_err(errs, name + "[]", "must be a list of integers (got %r)"
                        % safe_name(raw, 40))
                continue
            digits = t.lstrip("+-").lstrip("0") or "0"
            ids.append(int(t) if len(digits) <= 18 else None)   # None: matches nothing
        out[name] = ids if values else None

    for name in spec["scalars_int"]:
        raw = last.get(name, "")
        if raw.strip() == "":
            out[name] = None
            continue
        t = raw.strip()
        if not INT_TEXT_RE.match(t):
            add_err(errs, name, "must be an integer")
            continue
        digits = t.lstrip("+-").lstrip("0") or "0"
        out[name] = int(t) if len(digits) <= 18 else None
        out[name + "_given"] = True

    # conditions
    all_conds = [("conditions[%s]" % safe_name(i, 20), conds[i]) for i in cond_order]
    all_conds += [("conditions[]", c) for c in anon]
    for label, c in all_conds:
        field = c.get("field")
        op = c.get("op")
        value = c.get("value")
        ok = True
        if field is None or field.strip() == "":
            add_err(errs, label + "[field]", "is required")
            ok = False
        elif field.strip() not in fields:
            add_err(errs, label + "[field]", "unknown field %r; readable fields: %s"
                    % (safe_name(field, 40), ", ".join(fields)))
            ok = False
        if op is None or op.strip() == "":
            add_err(errs, label + "[op]", "is required")
            ok = False
        else:
            op = " ".join(op.lower().split())
            if op not in OPS:
                add_err(errs, label + "[op]", "must be one of: " + ", ".join(OPS))
                ok = False
        if value is None:
            add_err(errs, label + "[value]", "is required")
            ok = False
        if not ok:
            continue
        fname = field.strip()
        pred, prob = make_condition(fname, fields[fname], op, value)
        if prob:
            add_err(errs, label + "[value]", prob + " for field %s" % fname)
            continue
        out["conds"].append(pred)

    if errs:
        raise bad_request(errs)
    return out


def collate(s):
    """Sort key for strings: case- and accent-insensitive (like a MySQL *_ci collation)."""
    folded = unicodedata.normalize("NFKD", s.lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def sort_records(recs, fields, sort, direction):
    desc = (direction or "").lower() == "desc"
    if sort is None:
        return sorted(recs, key=lambda r: r["id"], reverse=desc)
    ftype = fields[sort]
    nonnull = [r for r in recs if r.get(sort) is not None]
    nulls = [r for r in recs if r.get(sort) is None]
    nonnull.sort(key=lambda r: -r["id"])          # ties: descending id, in both directions
    nulls.sort(key=lambda r: -r["id"])
    if ftype == "str":
        nonnull.sort(key=lambda r: collate(r[sort]), reverse=desc)
    else:
        nonnull.sort(key=lambda r: cmp_key(ftype, r[sort]), reverse=desc)
    return nulls + nonnull if desc else nonnull + nulls


# --------------------------------------------------------------------------------------------
# Body validation (calendar)
# --------------------------------------------------------------------------------------------
STR_LIMITS = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}
NULLABLE = {"address", "zipcode", "city", "calendarset_id"}
TIMING = ("generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation")
WRITABLE = ("group_id", "calendarset_id", "name", "publicname", "address", "zipcode", "city",
            "sort") + TIMING + ("deleted",)
READ_ONLY = ("id", "created_at", "updated_at", "label")


def json_int(v):
    """(int, None) or (None, problem) under JSON-Schema integer rules, 32-bit range."""
    if isinstance(v, bool):
        return None, "must be an integer (got a boolean)"
    if isinstance(v, BigNum):
        return None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
    if isinstance(v, int):
        iv = v
    elif isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
        if not v.is_integer():
            return None, "must be an integer (got a fraction)"
        iv = int(v)
    elif isinstance(v, str):
        return None, "must be an integer (got a string)"
    elif v is None:
        return None, "must be an integer (got null)"
    else:
        return None, "must be an integer (got %s)" % type_name(v)
    if iv < INT_MIN or iv > INT_MAX:
        return None, "is out of range (%d..%d)" % (INT_MIN, INT_MAX)
    return iv, None


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float, BigNum)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return "an unsupported value"


def validate_calendar_body(parsed, path_gid, creating):
    """parsed: the JSON document. Returns the dict of changes or raises 400."""
    errs = {}
    if not isinstance(parsed, dict):
        raise bad_request({"calendar": ["the body must be a JSON object "
                                        "{\"calendar\": {...}}, got %s" % type_name(parsed)]})
    if "apikey" in parsed and not isinstance(parsed["apikey"], str):
        add_err(errs, "apikey", "must be a string")
    if "calendar" not in parsed:
        add_err(errs, "calendar", "is required: wrap the fields in {\"calendar\": {...}}")
        raise bad_request(errs)
    cal = parsed["calendar"]
    if not isinstance(cal, dict):
        add_err(errs, "calendar", "must be an object, got %s" % type_name(cal))
        raise bad_request(errs)
    changes = {}
    for key, v in cal.items():
        if key in READ_ONLY:
            continue
        if key not in WRITABLE:
            add_err(errs, key, "unknown field")
            continue
        if key in STR_LIMITS:
            if v is None:
                if key in NULLABLE:
                    changes[key] = None
                else:
                    add_err(errs, key, "must be a string (got null)")
                continue
            if not isinstance(v, str):
                add_err(errs, key, "must be a string (got %s)" % type_name(v))
                continue
            if has_lone_surrogate(v):
                add_err(errs, key, "contains invalid unicode (a lone surrogate)")
                continue
            if len(v) > STR_LIMITS[key]:
                add_err(errs, key, "is too long (%d characters, at most %d)"
                        % (len(v), STR_LIMITS[key]))
                continue
            if key == "name" and v.strip() == "":
                add_err(errs, key, "must not be empty or only spaces")
                continue
            changes[key] = v
        elif key == "deleted":
            if isinstance(v, bool):
                changes[key] = v
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and v in (0, 1):
                changes[key] = bool(v)
            else:
                add_err(errs, key, "must be a boolean (true/false, or 0/1)")
        else:  # integers
            if key == "calendarset_id" and v is None:
                changes[key] = None
                continue
            iv, prob = json_int(v)
            if prob:
                add_err(errs, key, prob)
                continue
            if key in TIMING and iv < 0:
                add_err(errs, key, "must be >= 0 (minutes)")
                continue
            if key == "group_id" and iv != path_gid:
                add_err(errs, key, "must equal the group of the URL (%d), got %d"
                        % (path_gid, iv))
                continue
            changes[key] = iv
    if creating and "name" not in changes and "name" not in errs:
        add_err(errs, "name", "is required")
    if errs:
        raise bad_request(errs)
    changes.pop("group_id", None)
    return changes


# --------------------------------------------------------------------------------------------
# Rate limiting and the maintenance blip
# --------------------------------------------------------------------------------------------
BUCKETS = {}          # key -> [tokens, last_time]
COUNTERS = {"api_requests": 0, "blip_until": None, "request_seq": 0}


def admit(bucket_key):
    """Returns None, or an ApiError (503 or 429).  Called once per API request."""
    with LOCK:
        COUNTERS["api_requests"] += 1
        t = time.monotonic()
        if COUNTERS["api_requests"] == BLIP_AT:
            COUNTERS["blip_until"] = t + BLIP_SECONDS
        until = COUNTERS["blip_until"]
        if until is not None and t < until:
            return ApiError(503, "maintenance", "Service temporarily unavailable (maintenance),"
                            " retry shortly", {}, headers=[("Retry-After", "2")])
        b = BUCKETS.get(bucket_key)
        if b is None:
            if len(BUCKETS) > 10000:
                BUCKETS.clear()
            b = BUCKETS[bucket_key] = [RATE_BURST, t]
        b[0] = min(RATE_BURST, b[0] + (t - b[1]) * RATE_PER_SEC)
        b[1] = t
        if b[0] < 1.0:
            return ApiError(429, "rate_limited", "Too many requests for this API key: at most "
                            "%d per second (burst %d)" % (RATE_PER_SEC, RATE_BURST),
                            {"apikey": ["rate limit exceeded"]},
                            headers=[("Retry-After", "1")])
        b[0] -= 1.0
        return None


# --------------------------------------------------------------------------------------------
# Request handler
# --------------------------------------------------------------------------------------------
RESOURCE_NAMES = tuple(RESOURCES)


def route(path):
    """Returns (kind, params) or None.  kind: login | collection | member."""
    if path.startswith("//"):
        return None
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    segs = path.split("/")
    if len(segs) < 2 or segs[0] != "":
        return None
    lastseg = segs[-1]
    if lastseg.endswith(".json"):
        lastseg = lastseg[:-5]
        if lastseg == "":
            return None
        segs[-1] = lastseg
    elif "." in lastseg:
        return None          # .xml and other formats are not served
    segs = segs[1:]
    if segs == ["api", "v1", "sessions", "login"]:
        return "login", {}
    if len(segs) in (5, 6) and segs[:3] == ["api", "v1", "groups"] and segs[4] in RESOURCE_NAMES:
        params = {"gid": segs[3], "resource": segs[4]}
        if len(segs) == 5:
            return "collection", params
        params["id"] = segs[5]
        return "member", params
    return None


ID_RE = re.compile(r"^\d{1,18}$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "busy-staging/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 30

    # -- plumbing --------------------------------------------------------------------------
    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.conn_requests = 0
        self._skip_drain = False

    def handle_expect_100(self):
        """An oversized body announced with Expect: 100-continue is refused before the client
        sends it: no 100 Continue, the 413 comes straight away."""
        cl = (self.headers.get("Content-Length") or "").strip()
        if cl.isdigit() and len(cl) <= 15 and int(cl) > MAX_BODY:
            self._skip_drain = True
            return True
        self._skip_drain = False
        return super().handle_expect_100()

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def send_error(self, code, message=None, explain=None):
        """Protocol-level errors raised by http.server itself: always a JSON 400."""
        self.close_connection = True
        if getattr(self, "request_version", None) in (None, "", "HTTP/0.9"):
            self.request_version = "HTTP/1.1"     # always answer with a status line
        self._rid = uuid.uuid4().hex
        self._accept_gzip = False
        self._etag_candidates = None
        self._is_head = getattr(self, "command", "") == "HEAD"
        err = ApiError(400, "bad_request", "Malformed HTTP request: %s"
                       % (message or self.responses.get(code, ("",))[0]),
                       {"request": ["malformed request line or headers (%d)" % code]})
        try:
            self.write_response(err.status, dumps(err.body()), [])
        except OSError:
            pass

    # -- the response writer -----------------------------------------------------------------
    def write_response(self, status, body, headers, allow_etag=False):
        extra = list(headers)
        if self.conn_requests >= KEEPALIVE_MAX:
            self.close_connection = True
        if status == 200 and allow_etag:
            tag = hashlib.sha256(body).hexdigest()[:32]
            gz = self._accept_gzip and len(body) > GZIP_MIN
            etag = '"%s%s"' % (tag, "-gzip" if gz else "")
            if self._etag_candidates is not None and (
                    "*" in self._etag_candidates or tag in self._etag_candidates):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Vary", "Accept-Encoding")
                self.send_header("X-Request-Id", self._rid)
                self.send_header("Cache-Control", "max-age=0, private, must-revalidate")
                self._connection_header()
                self.end_headers()
                return
            extra.append(("ETag", etag))
        if self._accept_gzip and len(body) > GZIP_MIN:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            extra.append(("Content-Encoding", "gzip"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("X-Request-Id", self._rid)
        if status in (200, 201):
            self.send_header("Cache-Control", "max-age=0, private, must-revalidate")
        else:
            self.send_header("Cache-Control", "no-cache")
        for k, v in extra:
            self.send_header(k, v)
        self._connection_header()
        self.end_headers()
        if not self._is_head:
            self.wfile.write(body)

    def _connection_header(self):
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")

    def send_api_error(self, err):
        if err.close:
            self.close_connection = True
        self.write_response(err.status, dumps(err.body()), err.headers)

    # -- request parsing helpers -------------------------------------------------------------
    def _read_body(self):
        """Returns (body_bytes, too_large).  Raises ApiError(400) on broken framing."""
        te = self.headers.get("Transfer-Encoding")
        if te is not None and "chunked" in te.lower():
            return self._read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", False
        cl = cl.strip()
        if not cl.isdigit() or len(cl) > 15:
            raise ApiError(400, "bad_request", "Invalid Content-Length header",
                           {"Content-Length": ["must be a non-negative integer"]}, close=True)
        n = int(cl)
        if n > MAX_BODY:
            if not self._skip_drain:
                self._discard(n)
            self._skip_drain = False
            return None, True
        data = self.rfile.read(n) if n else b""
        if len(data) < n:
            raise ConnectionError("short body")
        return data, False

    def _discard(self, n):
        """Reads and drops up to n bytes (at most DRAIN_MAX), so that the client, still sending
        an oversized body, gets to read the 413 instead of a connection reset."""
        left = min(n, DRAIN_MAX)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    def _discard_chunks(self):
        drained = 0
        while drained < DRAIN_MAX:
            line = self.rfile.readline(1026)
            if not line:
                return
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return
            if size == 0:
                return
            self._discard(size)
            self.rfile.readline(3)
            drained += size

    def _read_chunked(self):
        chunks = []
        total = 0
        while True:
            line = self.rfile.readline(1026)
            if not line:
                raise ConnectionError("eof in chunked body")
            size_txt = line.split(b";", 1)[0].strip()
            try:
                size = int(size_txt, 16)
            except ValueError:
                raise ApiError(400, "bad_request", "Malformed chunked body",
                               {"Transfer-Encoding": ["bad chunk size"]}, close=True)
            if size == 0:
                while True:          # trailers
                    tl = self.rfile.readline(65537)
                    if not tl or tl in (b"\r\n", b"\n"):
                        break
                return b"".join(chunks), False
            total += size
            if total > MAX_BODY:
                self._discard(size)
                self.rfile.readline(3)
                self._discard_chunks()
                return None, True
            data = self.rfile.read(size)
            if len(data) < size:
                raise ConnectionError("eof in chunk")
            chunks.append(data)
            self.rfile.readline(3)

    def _parse_if_none_match(self):
        inm = self.headers.get("If-None-Match")
        if inm is None:
            return None
        tags = set()
        for part in inm.split(","):
            p = part.strip()
            if p == "*":
                tags.add("*")
                continue
            if p.startswith("W/"):
                p = p[2:]
            p = p.strip('"')
            if p.endswith("-gzip"):
                p = p[:-5]
            if p:
                tags.add(p)
        return tags

    def _accepts_gzip(self):
        ae = self.headers.get("Accept-Encoding")
        if not ae:
            return False
        for part in ae.split(","):
            bits = part.strip().split(";")
            coding = bits[0].strip().lower()
            q = 1.0
            for b in bits[1:]:
                b = b.strip()
                if b.lower().startswith("q="):
                    try:
                        q = float(b[2:])
                    except ValueError:
                        q = 0.0
            if coding in ("gzip", "x-gzip", "*") and q > 0:
                return True
        return False

    def _cookie(self, name):
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                k, sep, v = part.strip().partition("=")
                if sep and k.strip() == name:
                    return v.strip().strip('"')
        return None

    # -- main dispatch -----------------------------------------------------------------------
    def handle_any(self):
        self.conn_requests += 1
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
            self.close_connection = True
        self._rid = uuid.uuid4().hex
        self._is_head = self.command == "HEAD"
        self._accept_gzip = self._accepts_gzip()
        self._etag_candidates = self._parse_if_none_match()
        try:
            try:
                self._handle()
            except ApiError as err:
                self.send_api_error(err)
        except OSError:              # client went away / timed out (ConnectionError, TimeoutError)
            self.close_connection = True
        except Exception:            # a bug: never a 500, but say so clearly
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_api_error(ApiError(400, "unprocessable_request",
                                             "The request could not be processed",
                                             {"request": ["could not be processed"]}))
            except OSError:
                pass

    def _handle(self):
        target = self.path
        m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", target)
        if m:
            target = target[m.end():] or "/"
        raw_path, _, raw_query = target.partition("?")
        try:
            path = unquote(raw_path, errors="strict")
        except UnicodeDecodeError:
            path = raw_path
        is_api = path.startswith("/api/")

        body, too_large = self._read_body()
        pairs = parse_query(raw_query)
        qlast = last_values(pairs)

        # a JSON body (parsed once; also the source of a body apikey)
        parsed, parse_error = None, None
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body:
            try:
                text = body.decode("utf-8")
                parsed = parse_json(text)
            except UnicodeDecodeError:
                parse_error = "the body is not valid UTF-8"
            except RecursionError:
                parse_error = "the JSON body is nested too deeply"
            except ValueError as e:
                parse_error = "malformed JSON: %s" % safe_name(e, 160)
        body_apikey = None
        if isinstance(parsed, dict) and isinstance(parsed.get("apikey"), str):
            body_apikey = parsed["apikey"]
        form = None
        if body and parsed is None and ctype in ("application/x-www-form-urlencoded", ""):
            try:
                form = last_values(parse_qsl(body.decode("utf-8", errors="replace"),
                                             keep_blank_values=True))
            except ValueError:
                form = {}

        if not is_api:
            raise ApiError(404, "not_found", "No such resource", {"path": ["is not served"]})

        # rate limit / maintenance
        bucket = qlast.get("apikey") or body_apikey or (form or {}).get("apikey")
        if not bucket:
            sid = self._cookie("_session_id")
            if sid:
                with LOCK:
                    sess = STATE["sessions"].get(sid)
                bucket = sess[1] if sess else None
        err = admit(bucket or "-anonymous-")
        if err:
            raise err
        if too_large:
            raise ApiError(413, "payload_too_large", "The request body is larger than 1 MB",
                           {"body": ["is larger than %d bytes" % MAX_BODY]}, close=True)

        r = route(path)
        if r is None:
            raise ApiError(404, "not_found", "No such resource", {"path": ["is not served"]})
        kind, params = r
        if kind == "login":
            allowed = ("POST",)
        else:
            allowed = RESOURCES[params["resource"]][kind]
        if self.command not in allowed:
            raise ApiError(405, "method_not_allowed", "Method %s is not available for this "
                           "resource" % safe_name(self.command, 20),
                           {"method": ["%s is not allowed here" % safe_name(self.command, 20)]})

        fmt = qlast.get("format")
        if fmt is not None and fmt.strip().lower() not in ("json", ""):
            raise bad_request({"format": ["only json is served"]})

        if kind == "login":
            return self._login(qlast, parsed, parse_error, form, ctype, body)

        if not ID_RE.match(params["gid"]):
            raise ApiError(404, "not_found", "Group not found", {"group_id": ["not found"]})
        gid = int(params["gid"])
        rid = None
        if kind == "member":
            if not ID_RE.match(params["id"]):
                raise ApiError(404, "not_found", "Record not found", {"id": ["not found"]})
            rid = int(params["id"])
        resource = params["resource"]
        method = "GET" if self.command == "HEAD" else self.command

        # 1. validate the input (before authentication: 400 for a bad body wins)
        list_query = changes = None
        if kind == "collection" and method == "GET":
            list_query = validate_list_query(resource, pairs)
        elif method in ("POST", "PUT"):
            if ctype != "application/json":
                raise bad_request({"Content-Type": ["must be application/json (got %s)"
                                                    % (safe_name(ctype, 60) or "none")]})
            if not body:
                raise bad_request({"calendar": ["the body is empty; send "
                                                "{\"calendar\": {...}}"]})
            if parse_error:
                raise bad_request({"body": [parse_error]}, "Malformed JSON body")
            changes = validate_calendar_body(parsed, gid, creating=(method == "POST"))

        # 2. authenticate
        user = self._authenticate(qlast.get("apikey"), body_apikey)

        # 3. group scope
        if user["group_id"] != gid or gid not in GROUPS:
            raise ApiError(404, "not_found", "Group not found or not accessible",
                           {"group_id": ["not found"]})

        # 4. the operation
        if kind == "collection" and method == "GET":
            return self._list(resource, gid, list_query)
        if kind == "collection":
            return self._create(gid, changes)
        if method == "GET":
            return self._show(resource, gid, rid)
        if method == "PUT":
            return self._update(gid, rid, changes)
        return self._delete(gid, rid)

    # -- authentication ----------------------------------------------------------------------
    def _authenticate(self, query_apikey, body_apikey):
        apikey = query_apikey if query_apikey else body_apikey
        auth = self.headers.get("Authorization")
        email = None
        if auth is not None:
            email = basic_user(auth)
            if email is None:
                raise ApiError(401, "unauthorized", "Wrong login or password",
                               {"Authorization": ["wrong login or password"]})
        else:
            sid = self._cookie("_session_id")
            sess = None
            if sid:
                with LOCK:
                    sess = STATE["sessions"].get(sid)
            if sess is None:
                raise ApiError(401, "unauthorized", "User credentials are required (HTTP Basic "
                               "or a _session_id cookie)",
                               {"Authorization": ["missing user credentials"]})
            email = sess[0]
            if not apikey:
                apikey = sess[1]
        if not apikey:
            raise ApiError(401, "unauthorized", "The apikey query parameter is required",
                           {"apikey": ["is required"]})
        if apikey != API_KEY:
            raise ApiError(401, "unauthorized", "Unknown apikey", {"apikey": ["is not valid"]})
        return USERS[email]

    # -- login -------------------------------------------------------------------------------
    def _login(self, qlast, parsed, parse_error, form, ctype, body):
        email = qlast.get("pro[email]")
        password = qlast.get("pro[password]")
        apikey = qlast.get("apikey")
        if ctype == "application/json" and body:
            if parse_error:
                raise bad_request({"body": [parse_error]}, "Malformed JSON body")
            if isinstance(parsed, dict):
                pro = parsed.get("pro")
                if isinstance(pro, dict):
                    if email is None and isinstance(pro.get("email"), str):
                        email = pro["email"]
                    if password is None and isinstance(pro.get("password"), str):
                        password = pro["password"]
                if email is None and isinstance(parsed.get("pro[email]"), str):
                    email = parsed["pro[email]"]
                if password is None and isinstance(parsed.get("pro[password]"), str):
                    password = parsed["pro[password]"]
                if not apikey and isinstance(parsed.get("apikey"), str):
                    apikey = parsed["apikey"]
        elif form:
            email = email if email is not None else form.get("pro[email]")
            password = password if password is not None else form.get("pro[password]")
            apikey = apikey or form.get("apikey")
        errs = {}
        if not email:
            add_err(errs, "pro[email]", "is required")
        if not password:
            add_err(errs, "pro[password]", "is required (SHA1 hex of the password)")
        if errs:
            raise bad_request(errs)
        if not apikey:
            raise ApiError(401, "unauthorized", "The apikey query parameter is required",
                           {"apikey": ["is required"]})
        if apikey != API_KEY:
            raise ApiError(401, "unauthorized", "Unknown apikey", {"apikey": ["is not valid"]})
        user = USERS.get(email.strip().lower())
        ok = False
        if user is not None:
            sha = hashlib.sha1(user["password"].encode("utf-8")).hexdigest()
            ok = password.strip().lower() == sha or password == user["password"]
        if not ok:
            raise ApiError(401, "unauthorized", "Wrong login or password",
                           {"pro[password]": ["wrong login or password"]})
        sid = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        with LOCK:
            sessions = STATE["sessions"]
            if len(sessions) > 10000:
                for k in list(sessions)[:5000]:
                    del sessions[k]
            sessions[sid] = (email.strip().lower(), apikey)
        pro = {"id": user["id"], "email": email.strip().lower(),
               "firstname": user["firstname"], "lastname": user["lastname"],
               "group_id": user["group_id"], "created_at": "2019-01-02 09:00:00",
               "updated_at": "2023-01-02 09:00:00"}
        headers = [("Set-Cookie", "lb_route=stg-web-2; path=/"),
                   ("Set-Cookie", "_session_id=%s; path=/; HttpOnly" % sid),
                   ("Status", "200")]
        self.write_response(200, dumps({"pro": pro, "error": None}), headers)

    # -- operations --------------------------------------------------------------------------
    def _list(self, resource, gid, q):
        fields = RESOURCES[resource]["fields"]
        with LOCK:
            table = STATE[resource]
            recs = [present(resource, r) for r in table.values() if r["group_id"] == gid]
            offers = {k: set(v) for k, v in STATE["offers"].items()}
        if resource == "calendars":
            ids = q.get("intervention_ids")
            if ids is not None:
                keep = None
                for i in ids:
                    cals = offers.get(i, set()) if i is not None else set()
                    keep = set(cals) if keep is None else keep & cals
                keep = keep or set()
                recs = [r for r in recs if r["id"] in keep]
            sets = q.get("calendarset_ids")
            if sets is not None:
                wanted = set(i for i in sets if i is not None)
                recs = [r for r in recs if r["calendarset_id"] in wanted]
        elif resource == "interventions":
            cids = q.get("calendar_ids")
            if cids is not None:
                wanted = [c for c in cids]
                recs = [r for r in recs
                        if all(c is not None and c in offers.get(r["id"], ()) for c in wanted)]
            if q.get("interventionset_id_given"):
                isid = q.get("interventionset_id")
                recs = [r for r in recs if isid is not None and r["interventionset_id"] == isid]
        if q["search"] is not None:
            s = q["search"]
            recs = [r for r in recs
                    if s in (r.get("name") or "").lower() or s in (r.get("publicname") or "").lower()]
        for pred in q["conds"]:
            recs = [r for r in recs if pred(r)]
        recs = sort_records(recs, fields, q["sort"], q["dir"])
        total = len(recs)
        start = q["startIndex"]
        results = q["results"]
        if isinstance(start, RawInt):
            page = []
        elif results == "all" or isinstance(results, RawInt):
            page = recs[start:]
        else:
            page = recs[start:start + results]
        envelope = {
            "records": page,
            "sort": q["sort"],
            "dir": q["dir"],
            "totalRecords": total,
            "startIndex": start,
            "recordsReturned": len(page),
            "pageSize": total if results == "all" else results,
        }
        self.write_response(200, dumps(envelope), [], allow_etag=True)

    def _show(self, resource, gid, rid):
        with LOCK:
            rec = STATE[resource].get(rid)
            out = present(resource, rec) if rec is not None and rec["group_id"] == gid else None
        if out is None:
            raise ApiError(404, "not_found", "Record not found", {"id": ["not found"]})
        self.write_response(200, dumps(out), [], allow_etag=True)

    def _create(self, gid, changes):
        with LOCK:
            cals = STATE["calendars"]
            cid = STATE["next_calendar_id"]
            STATE["next_calendar_id"] += 1
            sorts = [c["sort"] for c in cals.values() if c["group_id"] == gid]
            stamp = now_str()
            c = {"id": cid, "group_id": gid, "calendarset_id": None, "name": "",
                 "publicname": "", "address": "", "zipcode": "", "city": "",
                 "sort": (max(sorts) + 1) if sorts else 1}
            for k, v in CAL_DEFAULTS.items():
                c[k] = v
            c["deleted"] = False
            c.update(changes)
            if c["sort"] > INT_MAX:
                c["sort"] = INT_MAX
            c["created_at"] = stamp
            c["updated_at"] = stamp
            cals[cid] = c
            out = present_calendar(c)
        self.write_response(201, dumps(out), [("Location", "/api/v1/groups/%d/calendars/%d"
                                                % (gid, cid))])

    def _update(self, gid, rid, changes):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is None or c["group_id"] != gid:
                c = None
            else:
                c.update(changes)
                c["updated_at"] = now_str()
                out = present_calendar(c)
        if c is None:
            raise ApiError(404, "not_found", "Calendar not found", {"id": ["not found"]})
        self.write_response(200, dumps(out), [])

    def _delete(self, gid, rid):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is None or c["group_id"] != gid:
                c = None
            else:
                c["deleted"] = True
                c["updated_at"] = now_str()
                out = present_calendar(c)
        if c is None:
            raise ApiError(404, "not_found", "Calendar not found", {"id": ["not found"]})
        self.write_response(200, dumps(out), [])


def basic_user(header):
    """Returns the e-mail of a valid HTTP Basic header, else None."""
    scheme, _, cred = header.strip().partition(" ")
    if scheme.lower() != "basic" or not cred.strip():
        return None
    try:
        raw = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
    except Exception:
        return None
    email, sep, password = raw.partition(":")
    if not sep:
        return None
    user = USERS.get(email.strip().lower())
    if user is None or password != user["password"]:
        return None
    return email.strip().lower()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(description="Independent busy-staging ClicRDV Calendar server")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost"):
        ap.error("this server binds only to 127.0.0.1")
    VERBOSE = args.verbose
    srv = Server(("127.0.0.1", args.port), Handler)
    sys.stderr.write("busy-staging/1.0 listening on http://127.0.0.1:%d\n" % srv.server_address[1])
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
