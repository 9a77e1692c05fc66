#!/usr/bin/env python3
"""Independent clean-room server "C" of the ClicRDV REST API v1 Calendar resource.

Python 3.11 standard library only. State lives in memory behind one lock.
Run:  python3 assumptions_otherwise_server.py --port PORT      (binds 127.0.0.1 only, logs nothing per request)
"""
import argparse
import base64
import datetime
import hashlib
import html
import json
import math
import re
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

try:
    from zoneinfo import ZoneInfo
except Exception:  # pragma: no cover
    ZoneInfo = None

sys.set_int_max_str_digits(0)

APIKEY = "indep-key-7"
MAX_BODY = 1024 * 1024          # bodies over 1 MB are refused with 400
MAX_DRAIN = 16 * 1024 * 1024    # how much of an oversized body we read and throw away
PAGE_CAP = 7                    # this deployment never serves more than 7 records per page
FIRST_CALENDAR_ID = 9000000001

# --------------------------------------------------------------------------------------------
# Seed data
# --------------------------------------------------------------------------------------------

USERS = {
    "qa@indep.test": {"password": "qa-pass-1", "id": 9, "groups": {40},
                      "firstname": "Quentin", "lastname": "Assurance",
                      "created_at": "2009-11-02 10:15:00", "updated_at": "2010-03-15 17:50:22"},
    "other@indep.test": {"password": "other-pass-2", "id": 10, "groups": {77},
                         "firstname": "Olive", "lastname": "Autre",
                         "created_at": "2010-01-20 08:00:00", "updated_at": "2010-01-20 08:00:00"},
}

GROUPS = {
    40: {"tz": "Europe/Paris", "fallback_offset": 1, "calendarsets": {21, 22}, "interventions": {41, 42, 43}},
    77: {"tz": "Indian/Reunion", "fallback_offset": 4, "calendarsets": {23}, "interventions": {44}},
}

FIELD_ORDER = ["id", "group_id", "calendarset_id", "name", "publicname", "address", "zipcode", "city",
               "sort", "generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation",
               "deleted", "created_at", "updated_at"]
INT_FIELDS = {"id", "group_id", "calendarset_id", "sort", "generate_interval", "mintime_rdv",
              "maxrdv_period", "mintime_annulation"}
STR_FIELDS = {"name", "publicname", "address", "zipcode", "city"}
DATE_FIELDS = {"created_at", "updated_at"}
BOOL_FIELDS = {"deleted"}
READABLE = set(FIELD_ORDER)
TIMING = ("generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation")
MAXLEN = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}
WRITABLE = {"group_id", "calendarset_id", "name", "publicname", "address", "zipcode", "city", "sort",
            "generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation", "deleted"}
IGNORED = {"id", "created_at", "updated_at"}
DEFAULTS = {"calendarset_id": None, "publicname": "", "address": None, "zipcode": None, "city": None,
            "generate_interval": 15, "mintime_rdv": 0, "maxrdv_period": 131400,
            "mintime_annulation": 2880, "deleted": False}


def _seed():
    # (name, publicname, address, zipcode, city, sort, calendarset, interventions, deleted,
    #  generate_interval, mintime_rdv, maxrdv_period, mintime_annulation, created_at, updated_at)
    g40 = [
        ("Dr Martin", "Docteur Martin", "12 rue de la Paix", "75002", "Paris", 1, 21, {41, 42}, False,
         15, 0, 131400, 2880, "2010-03-15 17:50:22", "2010-03-15 17:50:22"),
        ("Dr Bernard", "", None, None, None, 2, 21, {41}, False,
         30, 60, 44640, 1440, "2010-03-16 09:00:00", "2011-01-04 12:30:00"),
        ("Salle A", "Salle A - Kiné", "3 avenue Foch", "69006", "Lyon", 2, 22, {42, 43}, False,
         20, 0, 131400, 2880, "2010-04-01 08:45:10", "2010-04-01 08:45:10"),
        ("Salle B", "Salle B", None, "69006", "Lyon", 3, 22, {43}, False,
         15, 120, 131400, 0, "2010-04-01 08:46:00", "2012-06-30 23:59:59"),
        ("Agenda commun", "", "1 place Bellecour", None, None, 3, None, set(), False,
         15, 0, 131400, 2880, "2010-05-20 14:00:00", "2010-05-20 14:00:00"),
        ("Dr Petit", "Dr Petit (remplaçant)", "8 bd Haussmann", "75009", "Paris", 5, 21, {41, 42, 43}, True,
         10, 30, 20160, 2880, "2010-06-01 10:00:00", "2013-02-11 16:20:00"),
        ("Cabinet Nord", "Cabinet Nord", None, "59000", "Lille", 4, None, {42}, False,
         15, 0, 131400, 4320, "2011-02-14 11:11:11", "2011-02-14 11:11:11"),
        ("Échographie", "Écho", "5 rue Nationale", "59800", "Lille", 1, 22, {41, 43}, False,
         45, 1440, 131400, 2880, "2011-09-09 09:09:09", "2014-01-01 00:00:00"),
        ("dr martin junior", "Martin Jr", None, None, "Paris", 6, 21, {41}, False,
         15, 0, 262800, 2880, "2012-01-05 07:30:00", "2012-01-05 07:30:00"),
        ("Téléconsultation", "Téléconsultation", None, None, None, 7, None, {41, 42, 43}, False,
         5, 0, 131400, 60, "2015-03-01 18:00:00", "2015-03-02 08:00:00"),
        ("Ancien agenda", "", "2 rue Vieille", "75004", "Paris", 4, 22, {42}, True,
         15, 0, 131400, 2880, "2009-12-31 23:00:00", "2010-12-31 23:00:00"),
        ("Salle C_50%", "Salle C", "3 avenue Foch", "69006", "Lyon", 8, 22, {43}, False,
         60, 2880, 525600, 10080, "2016-07-14 12:00:00", "2016-07-14 12:00:00"),
    ]
    g77 = [
        ("Cabinet Saint-Denis", "Cabinet Saint-Denis", "10 rue de Paris", "97400", "Saint-Denis", 1, 23,
         {44}, False, 15, 0, 131400, 2880, "2012-02-02 10:00:00", "2012-02-02 10:00:00"),
        ("Dr Payet", "", None, None, None, 2, None, set(), False,
         30, 0, 131400, 2880, "2012-02-03 10:00:00", "2012-02-03 10:00:00"),
        ("Salle Réunion", "Salle Réunion", None, "97410", "Saint-Pierre", 2, 23, {44}, False,
         15, 60, 44640, 1440, "2013-05-05 15:00:00", "2013-05-05 15:00:00"),
    ]
    cals = []
    nid = FIRST_CALENDAR_ID
    for gid, rows in ((40, g40), (77, g77)):
        for (name, pub, addr, zc, city, sort, cs, itv, dele, gi, mr, mp, ma, ca, ua) in rows:
            cals.append({
                "id": nid, "group_id": gid, "calendarset_id": cs, "name": name, "publicname": pub,
                "address": addr, "zipcode": zc, "city": city, "sort": sort,
                "generate_interval": gi, "mintime_rdv": mr, "maxrdv_period": mp, "mintime_annulation": ma,
                "deleted": dele, "created_at": ca, "updated_at": ua, "_interventions": set(itv),
            })
            nid += 1
    return cals, nid


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.calendars, self.next_id = _seed()   # list in insertion order
        self.by_id = {c["id"]: c for c in self.calendars}
        self.sessions = {}        # token -> email
        self.user_session = {}    # email -> current token


STATE = State()


def now_for_group(gid):
    g = GROUPS.get(gid)
    tz = None
    if g and ZoneInfo is not None:
        try:
            tz = ZoneInfo(g["tz"])
        except Exception:
            tz = None
    if tz is None:
        tz = datetime.timezone(datetime.timedelta(hours=(g or {}).get("fallback_offset", 0)))
    return datetime.datetime.now(tz).strftime("%Y-%m-%d %H:%M:%S")


def public(cal):
    out = {}
    for k in FIELD_ORDER:
        v = cal[k]
        if k == "deleted":
            v = 1 if v else 0
        out[k] = v
    return out


# --------------------------------------------------------------------------------------------
# Errors and small helpers
# --------------------------------------------------------------------------------------------

class HttpError(Exception):
    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


def bad(msg):
    return HttpError(400, msg)


def as_int(v):
    """JSON Schema integer: 101.0 counts as 101; booleans, 1.5, strings do not."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return None


_INT_Q = re.compile(r"^[+-]?[0-9]+(?:\.0+)?$")


def query_int(s):
    """An integer given in a query string ("5", "5.0"); None when it is not one."""
    if not isinstance(s, str) or not _INT_Q.match(s):
        return None
    return int(s.split(".")[0])


def like_match(text, pattern):
    """SQL LIKE with % and _, case-insensitive, no regex, no exponential backtracking."""
    s = text.lower()
    p = re.sub(r"%+", "%", pattern.lower())  # collapse runs of % (plain str op, no matching)
    if len(p) - p.count("%") > len(s):
        return False
    i = j = 0
    star = -1
    mark = 0
    n, m = len(s), len(p)
    while i < n:
        if j < m and p[j] != "%" and (p[j] == "_" or p[j] == s[i]):
            i += 1
            j += 1
        elif j < m and p[j] == "%":
            star = j
            mark = i
            j += 1
        elif star != -1:
            j = star + 1
            mark += 1
            i = mark
        else:
            return False
    while j < m and p[j] == "%":
        j += 1
    return j == m


_DATE_Q = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$")


def norm_date(s):
    m = _DATE_Q.match(s.strip())
    if not m:
        return None
    d, hh, mm, ss = m.groups()
    return "%s %s:%s:%s" % (d, hh or "00", mm or "00", ss or "00")


# --------------------------------------------------------------------------------------------
# Body validation
# --------------------------------------------------------------------------------------------

def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def _parse_int_limited(s):
    if len(s) > 4000:
        raise ValueError("integer too large")
    return int(s)


def parse_json_body(raw):
    if raw is None or len(raw.strip()) == 0:
        raise bad('request body is missing: expected a JSON object {"calendar": {...}}')
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad("request body is not valid UTF-8")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int_limited)
    except (ValueError, RecursionError) as e:
        raise bad("request body is not valid JSON (%s)" % str(e)[:200])


def validate_calendar_body(doc, creating, path_gid):
    """Return the dict of changes to apply. Raises 400 on anything wrong."""
    if not isinstance(doc, dict):
        raise bad('request body must be a JSON object {"calendar": {...}}')
    extra = sorted(k for k in doc if k not in ("calendar", "apikey"))
    if extra:
        raise bad("unknown top-level key(s) in body: %s (only \"calendar\" and \"apikey\" are allowed)"
                  % ", ".join(extra))
    if "calendar" not in doc:
        raise bad('body must wrap the calendar: {"calendar": {...}}; "calendar" is missing')
    cal = doc["calendar"]
    if not isinstance(cal, dict):
        raise bad('"calendar" must be a JSON object')
    unknown = sorted(k for k in cal if k not in WRITABLE and k not in IGNORED)
    if unknown:
        raise bad("calendar: unknown field(s): %s" % ", ".join(unknown))
    changes = {}
    for key in sorted(cal):
        if key in IGNORED:
            continue
        v = cal[key]
        if key in STR_FIELDS:
            if v is None:
                if key in ("name", "publicname"):
                    raise bad("calendar.%s: must be a string, not null" % key)
                changes[key] = None
                continue
            if not isinstance(v, str):
                raise bad("calendar.%s: must be a string" % key)
            if len(v) > MAXLEN[key]:
                raise bad("calendar.%s: is too long (maximum is %d characters)" % (key, MAXLEN[key]))
            if key == "name" and v == "":
                raise bad("calendar.name: can't be blank")
            changes[key] = v
        elif key == "deleted":
            if isinstance(v, bool):
                changes[key] = v
            else:
                iv = as_int(v)
                if iv in (0, 1):
                    changes[key] = bool(iv)
                else:
                    raise bad("calendar.deleted: must be true, false, 0 or 1")
        elif key == "calendarset_id":
            if v is None:
                changes[key] = None
                continue
            iv = as_int(v)
            if iv is None:
                raise bad("calendar.calendarset_id: must be an integer or null")
            changes[key] = iv
        elif key == "group_id":
            iv = as_int(v)
            if iv is None:
                raise bad("calendar.group_id: must be an integer")
            if iv != path_gid:
                raise bad("calendar.group_id: %d differs from the group in the path" % iv)
            # equal to the path: nothing to change
        else:  # sort and timing fields
            iv = as_int(v)
            if iv is None:
                raise bad("calendar.%s: must be an integer" % key)
            if key in TIMING and iv < 0:
                raise bad("calendar.%s: must be greater than or equal to 0" % key)
            changes[key] = iv
    if creating and "name" not in changes:
        raise bad("calendar.name: is required")
    return changes


# --------------------------------------------------------------------------------------------
# List query parsing
# --------------------------------------------------------------------------------------------

OPS = {"=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in"}
_COND_KEY = re.compile(r"^conditions\[([^\[\]]*)\]\[(field|op|value)\]$")


def _parse_cond_value(field, raw):
    if field in INT_FIELDS:
        iv = query_int(raw.strip())
        if iv is None:
            raise bad("conditions: value %r is not an integer (field %s)" % (raw[:50], field))
        return iv
    if field in BOOL_FIELDS:
        r = raw.strip().lower()
        if r in ("1", "true"):
            return 1
        if r in ("0", "false"):
            return 0
        raise bad("conditions: value %r is not a boolean (field deleted takes 0, 1, true, false)" % raw[:50])
    if field in DATE_FIELDS:
        d = norm_date(raw)
        if d is None:
            raise bad("conditions: value %r is not a date \"YYYY-MM-DD HH:MM:SS\" (field %s)" % (raw[:50], field))
        return d
    return raw


def parse_list_query(q):
    """q: list of (key, value). Returns a dict of the list options; raises 400."""
    def last(name):
        vals = [v for k, v in q if k == name]
        return vals[-1] if vals else None

    opts = {}
    r = last("results")
    if r is None:
        opts["results"] = 25
    elif r.strip().lower() == "all":
        opts["results"] = "all"
    else:
        iv = query_int(r)
        if iv is None or iv < 1:
            raise bad("results: must be an integer >= 1 or \"all\" (got %r)" % r[:50])
        opts["results"] = iv
    s = last("startIndex")
    if s is None:
        opts["startIndex"] = 0
    else:
        iv = query_int(s)
        if iv is None or iv < 0:
            raise bad("startIndex: must be an integer >= 0 (got %r)" % s[:50])
        opts["startIndex"] = iv

    sort = last("sort")
    if sort == "":
        sort = None
    if sort is not None and sort not in READABLE:
        raise bad("sort: unknown field %r" % sort[:50])
    d = last("dir")
    if d == "":
        d = None
    if d is not None and d.lower() not in ("asc", "desc"):
        raise bad("dir: must be \"asc\" or \"desc\" (got %r)" % d[:50])
    opts["sort"], opts["dir"] = sort, d

    for pname in ("intervention_ids", "calendarset_ids"):
        vals = [v for k, v in q if k in (pname + "[]", pname)]
        ids = None
        if vals:
            ids = set()
            for v in vals:
                for part in v.split(","):
                    iv = query_int(part.strip())
                    if iv is None:
                        raise bad("%s[]: %r is not an integer id" % (pname, v[:50]))
                    ids.add(iv)
        opts[pname] = ids

    opts["search"] = last("search")

    conds = {}
    for k, v in q:
        if not k.startswith("conditions"):
            continue
        m = _COND_KEY.match(k)
        if not m:
            raise bad("conditions: malformed parameter %r (expected conditions[i][field|op|value])" % k[:80])
        conds.setdefault(m.group(1), {})[m.group(2)] = v
    keys = sorted(conds, key=lambda x: (0, int(x), "") if x.isdigit() else (1, 0, x))
    parsed = []
    for idx in keys:
        c = conds[idx]
        field = c.get("field")
        op = c.get("op")
        if field is None or op is None or "value" not in c:
            raise bad("conditions[%s]: field, op and value are all required" % idx)
        if field not in READABLE:
            raise bad("conditions[%s][field]: unknown field %r" % (idx, field[:50]))
        op = " ".join(op.lower().split())
        if op not in OPS:
            raise bad("conditions[%s][op]: unknown operator %r" % (idx, c["op"][:20]))
        raw = c["value"]
        if op in ("like", "not like"):
            val = raw
        elif op in ("in", "not in"):
            parts = [p.strip() for p in raw.split(",")]
            if field in STR_FIELDS:
                val = parts
            else:
                if any(p == "" for p in parts):
                    raise bad("conditions[%s][value]: empty item in list" % idx)
                val = [_parse_cond_value(field, p) for p in parts]
        else:
            val = _parse_cond_value(field, raw)
        parsed.append((field, op, val))
    opts["conditions"] = parsed
    return opts


def field_value(cal, field):
    v = cal[field]
    if field == "deleted":
        return 1 if v else 0
    return v


def cond_holds(cal, field, op, val):
    fv = field_value(cal, field)
    if op == "like":
        return fv is not None and like_match(str(fv), val)
    if op == "not like":
        return fv is None or not like_match(str(fv), val)
    if op == "in":
        return fv is not None and fv in val
    if op == "not in":
        return fv is None or fv not in val
    if fv is None:
        return False  # =, !=, <, ... never hold on null (!= excludes nulls)
    if op == "=":
        return fv == val
    if op == "!=":
        return fv != val
    if op == ">":
        return fv > val
    if op == ">=":
        return fv >= val
    if op == "<":
        return fv < val
    if op == "<=":
        return fv <= val
    return False


def run_list(gid, opts):
    with STATE.lock:
        items = [dict(c, _interventions=set(c["_interventions"]))
                 for c in STATE.calendars if c["group_id"] == gid and not c["deleted"]]
    if opts["intervention_ids"] is not None:
        want = opts["intervention_ids"]
        items = [c for c in items if c["_interventions"] & want]          # ANY
    if opts["calendarset_ids"] is not None:
        want = opts["calendarset_ids"]
        items = [c for c in items if c["calendarset_id"] in want]         # ANY
    if opts["search"]:
        needle = opts["search"].lower()
        items = [c for c in items if needle in c["name"].lower() or needle in (c["publicname"] or "").lower()]
    for field, op, val in opts["conditions"]:
        items = [c for c in items if cond_holds(c, field, op, val)]

    sort, d = opts["sort"], opts["dir"]
    if sort is None and d is None:
        items.sort(key=lambda c: c["id"])
    else:
        field = sort if sort is not None else "sort"
        desc = (d or "asc").lower() == "desc"
        nulls = [c for c in items if field_value(c, field) is None]
        vals = [c for c in items if field_value(c, field) is not None]
        vals.sort(key=lambda c: field_value(c, field), reverse=desc)  # stable: ties keep insertion order
        items = nulls + vals

    total = len(items)
    start = opts["startIndex"]
    req = opts["results"]
    size = PAGE_CAP if req == "all" else min(req, PAGE_CAP)
    page = items[start:start + size] if start < total else []
    return {
        "records": [public(c) for c in page],
        "sort": sort,
        "dir": d,
        "totalRecords": total,
        "startIndex": start,
        "recordsReturned": len(page),
        "pageSize": size,
    }


# --------------------------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------------------------

ALLOWED_STATUS = {200, 201, 400, 401, 403, 404, 405, 500}
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}

RE_COLLECTION = re.compile(r"^/api/v1/groups/([^/]+?)/calendars(?:\.json)?$")
RE_MEMBER = re.compile(r"^/api/v1/groups/([^/]+?)/calendars/([^/]+?)(?:\.json)?$")
RE_LOGIN = re.compile(r"^/api/v1/sessions/login(?:\.json)?$")
_DIGITS = re.compile(r"^[0-9]{1,30}$")


def path_id(s):
    return int(s) if _DIGITS.match(s) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "ClicRDV-indep-C"
    timeout = 30

    def version_string(self):
        return self.server_version

    # ---- quiet ----
    def log_message(self, format, *args):
        pass

    def log_error(self, format, *args):
        pass

    # every method (GET, PATCH, HEAD, FOO, ...) comes through _handle: never 501
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    # http.server's own errors (bad request line, 414, 431, ...) use our format and our code set
    def send_error(self, code, message=None, explain=None):
        if code not in ALLOWED_STATUS:
            code = 400
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"   # always send a status line and headers
        try:
            self._send_error(code, message or REASONS.get(code, "Bad Request"))
        except Exception:
            pass
        self.close_connection = True

    # ---- responses ----
    def _send(self, status, body, ctype, headers=()):
        self.send_response(status, REASONS.get(status))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)
        try:
            self.wfile.flush()
        except Exception:
            pass
        self.close_connection = True

    def _send_json(self, status, obj, headers=()):
        body = json.dumps(obj, ensure_ascii=True).encode("ascii")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _send_error(self, status, message, headers=()):
        message = str(message)
        if len(message) > 500:
            message = message[:500] + "..."
        body = ("<h1>Error</h1><p>%s</p>" % html.escape(message, quote=True)).encode("utf-8", "replace")
        self._send(status, body, "text/html; charset=utf-8", headers)

    # ---- request body ----
    def _read_body(self):
        """Returns (bytes_or_None, error_message_or_None)."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            return self._read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", None
        cl = cl.strip()
        if not cl.isdigit():
            return None, "invalid Content-Length header"
        n = int(cl)
        if n > MAX_BODY:
            left = min(n, MAX_DRAIN)
            while left > 0:
                chunk = self.rfile.read(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
            return None, "request body is larger than 1 MB"
        data = self.rfile.read(n) if n else b""
        if len(data) < n:
            return None, "request body is shorter than its Content-Length"
        return data, None

    def _read_chunked(self):
        buf = []
        total = 0
        too_big = False
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return None, "truncated chunked body"
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return None, "malformed chunked body"
            if size == 0:
                while True:  # trailers
                    t = self.rfile.readline(8192)
                    if not t or t in (b"\r\n", b"\n"):
                        break
                break
            total += size
            if total > MAX_DRAIN:
                return None, "request body is larger than 1 MB"
            data = self.rfile.read(size)
            self.rfile.readline(8)
            if total > MAX_BODY:
                too_big = True
            else:
                buf.append(data)
        if too_big:
            return None, "request body is larger than 1 MB"
        return b"".join(buf), None

    # ---- main entry ----
    def _handle(self):
        try:
            self._dispatch()
        except HttpError as e:
            try:
                self._send_error(e.status, e.message, e.headers)
            except Exception:
                pass
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        except Exception as e:  # a bug, never bad input: still answer
            try:
                self._send_error(500, "internal error: %s" % type(e).__name__)
            except Exception:
                pass

    def _dispatch(self):
        raw = self.path or ""
        # absolute-form request target
        if raw.lower().startswith(("http://", "https://")):
            rest = raw.split("://", 1)[1]
            raw = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        raw = raw.split("#", 1)[0]
        if "?" in raw:
            path, query = raw.split("?", 1)
        else:
            path, query = raw, ""
        # a second "?" glued into the query (official PHP client habit): read it as "&"
        query = query.replace("?", "&")
        q = parse_qsl(query, keep_blank_values=True)
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]

        body, body_err = self._read_body()

        m_coll = RE_COLLECTION.match(path)
        m_mem = None if m_coll else RE_MEMBER.match(path)
        m_login = RE_LOGIN.match(path)
        if m_coll:
            allowed = ("GET", "POST")
        elif m_mem:
            allowed = ("GET", "PUT", "DELETE")
        elif m_login:
            allowed = ("POST",)
        else:
            raise HttpError(404, "no route matches %s" % path[:200])
        if self.command not in allowed:
            raise HttpError(405, "method %s is not available for this resource" % (self.command or "")[:20],
                            [("Allow", ", ".join(allowed))])

        # parsed body (used for the apikey at the top level, and by POST/PUT)
        ctype = (self.headers.get("Content-Type") or "").lower()
        doc, doc_err, form, has_doc = None, None, None, False
        if body_err is None and body and len(body.strip()) > 0:
            try:
                doc = parse_json_body(body)
                has_doc = True
            except HttpError as e:
                doc_err = e.message
                if "application/x-www-form-urlencoded" in ctype or "=" in body.decode("utf-8", "replace"):
                    form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)

        # ---- apikey: query first, then the body's top level ----
        key = None
        qkeys = [v for k, v in q if k == "apikey"]
        if qkeys:
            key = qkeys[-1]
        elif isinstance(doc, dict) and isinstance(doc.get("apikey"), str):
            key = doc["apikey"]
        elif form is not None:
            fk = [v for k, v in form if k == "apikey"]
            key = fk[-1] if fk else None
        if key is None:
            raise HttpError(403, "apikey is missing")
        if not secrets.compare_digest(key.encode("utf-8", "replace"), APIKEY.encode()):
            raise HttpError(403, "apikey is unknown")

        if m_login:
            if body_err is not None:
                raise bad(body_err)
            return self._login(q, form, doc)

        user = self._authenticate()

        if body_err is not None:
            raise bad(body_err)

        if m_coll:
            gid_s = m_coll.group(1)
            if self.command == "GET":
                opts = parse_list_query(q)
                gid = self._group(gid_s, user)
                return self._send_json(200, run_list(gid, opts))
            # POST
            if not has_doc:
                raise bad(doc_err or 'request body is missing: expected a JSON object {"calendar": {...}}')
            changes = validate_calendar_body(doc, True, path_id(gid_s))
            gid = self._group(gid_s, user)
            return self._create(gid, changes)

        gid_s, cid_s = m_mem.group(1), m_mem.group(2)
        if self.command == "GET":
            gid = self._group(gid_s, user)
            with STATE.lock:
                cal = self._calendar(gid, cid_s)
                out = public(cal)
            return self._send_json(200, out)
        if self.command == "PUT":
            if not has_doc:
                raise bad(doc_err or 'request body is missing: expected a JSON object {"calendar": {...}}')
            changes = validate_calendar_body(doc, False, path_id(gid_s))
            gid = self._group(gid_s, user)
            with STATE.lock:
                cal = self._calendar(gid, cid_s)
                for k, v in changes.items():
                    cal[k] = v
                cal["updated_at"] = now_for_group(gid)   # any PUT moves updated_at
                out = public(cal)
            return self._send_json(200, out)
        # DELETE (a body, if any, is ignored)
        gid = self._group(gid_s, user)
        with STATE.lock:
            cal = self._calendar(gid, cid_s)
            if not cal["deleted"]:
                cal["deleted"] = True
                cal["updated_at"] = now_for_group(gid)   # a second DELETE leaves it alone
            out = public(cal)
        return self._send_json(200, out)

    # ---- pieces ----
    def _authenticate(self):
        auth = self.headers.get("Authorization")
        if auth and auth.strip().lower().startswith("basic"):
            token = auth.strip()[5:].strip()
            try:
                dec = base64.b64decode(token, validate=True).decode("utf-8")
            except Exception:
                raise HttpError(401, "malformed HTTP Basic credentials")
            if ":" not in dec:
                raise HttpError(401, "malformed HTTP Basic credentials")
            email, pw = dec.split(":", 1)
            u = USERS.get(email.strip().lower())
            if u is None or not secrets.compare_digest(pw.encode("utf-8"), u["password"].encode("utf-8")):
                raise HttpError(401, "wrong email or password")
            return email.strip().lower()
        sid = None
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    if k.strip() == "_session_id":
                        sid = v.strip().strip('"')
        if sid:
            with STATE.lock:
                email = STATE.sessions.get(sid)
            if email is None:
                raise HttpError(401, "session is unknown or has ended; log in again")
            return email
        raise HttpError(401, "authentication required: HTTP Basic or the _session_id cookie")

    def _group(self, gid_s, email):
        gid = path_id(gid_s)
        if gid is None or gid not in GROUPS or gid not in USERS[email]["groups"]:
            raise HttpError(404, "group not found")
        return gid

    def _calendar(self, gid, cid_s):
        cid = path_id(cid_s)
        cal = STATE.by_id.get(cid) if cid is not None else None
        if cal is None or cal["group_id"] != gid:
            raise HttpError(404, "calendar not found")
        return cal

    def _create(self, gid, changes):
        with STATE.lock:
            ts = now_for_group(gid)
            in_group = [c["sort"] for c in STATE.calendars if c["group_id"] == gid]
            cal = {"id": STATE.next_id, "group_id": gid, "name": changes["name"]}
            for k, v in DEFAULTS.items():
                cal[k] = v
            cal["sort"] = (max(in_group) + 1) if in_group else 1
            for k, v in changes.items():
                cal[k] = v
            cal["created_at"] = ts
            cal["updated_at"] = ts
            cal["_interventions"] = set()
            STATE.next_id += 1
            STATE.calendars.append(cal)
            STATE.by_id[cal["id"]] = cal
            out = public(cal)
        return self._send_json(201, out)

    def _login(self, q, form, doc):
        params = list(q) + list(form or [])
        email = pw = None
        for k, v in params:
            if k == "pro[email]":
                email = v
            elif k == "pro[password]":
                pw = v
        if email is None and isinstance(doc, dict) and isinstance(doc.get("pro"), dict):
            e2, p2 = doc["pro"].get("email"), doc["pro"].get("password")
            email = e2 if isinstance(e2, str) else None
            pw = p2 if isinstance(p2, str) else None
        if not email or not pw:
            raise HttpError(401, "pro[email] and pro[password] (SHA1 hex) are required")
        key = email.strip().lower()
        u = USERS.get(key)
        want = hashlib.sha1(u["password"].encode("utf-8")).hexdigest() if u else None
        if u is None or not secrets.compare_digest(pw.strip().lower().encode("utf-8", "replace"), want.encode()):
            raise HttpError(401, "wrong email or password")
        token = secrets.token_hex(16)
        with STATE.lock:
            old = STATE.user_session.get(key)
            if old:
                STATE.sessions.pop(old, None)   # a new login ends the previous session
            STATE.sessions[token] = key
            STATE.user_session[key] = token
        pro = {"id": u["id"], "email": key, "firstname": u["firstname"], "lastname": u["lastname"],
               "group_id": sorted(u["groups"])[0], "created_at": u["created_at"], "updated_at": u["updated_at"]}
        self._send_json(200, {"pro": pro, "error": None},
                        [("Set-Cookie", "_session_id=%s; path=/; HttpOnly" % token)])


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # quiet


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
