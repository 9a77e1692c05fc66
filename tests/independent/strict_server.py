#!/usr/bin/env python3
"""Independent clean-room server (B) of the ClicRDV REST API v1 Calendar resource.

Python 3.11 standard library only.  Run:  python3 strict_server.py --port PORT
Binds 127.0.0.1 only, logs nothing per request, keeps all state in memory.
"""
import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.set_int_max_str_digits(0)

# ---------------------------------------------------------------------------
# configuration / seed
# ---------------------------------------------------------------------------
APIKEY = "indep-key-7"
MAX_BODY = 1024 * 1024          # bodies over 1 MB -> 400
MAX_DRAIN = 32 * 1024 * 1024    # larger bodies are not drained; connection closed
MAX_INT_DIGITS = 4000           # JSON integers longer than this are refused (400)
ID_STEP = 7

USERS = {  # email (lower-case) -> (password, set of groups)
    "qa@indep.test": ("qa-pass-1", {40}),
    "other@indep.test": ("other-pass-2", {77}),
}
GROUPS = {40, 77}
CALENDARSETS = {11: 40, 12: 40, 13: 77}
INTERVENTIONS = {3: 40, 7: 40, 9: 40, 15: 77}

ALLOWED_STATUS = {200, 201, 400, 401, 403, 404, 405}

FIELDS = ["id", "group_id", "calendarset_id", "name", "publicname", "address",
          "zipcode", "city", "sort", "generate_interval", "mintime_rdv",
          "maxrdv_period", "mintime_annulation", "deleted", "created_at", "updated_at"]
INT_FIELDS = {"id", "group_id", "calendarset_id", "sort", "generate_interval",
              "mintime_rdv", "maxrdv_period", "mintime_annulation"}
STR_FIELDS = {"name", "publicname", "address", "zipcode", "city"}
DATE_FIELDS = {"created_at", "updated_at"}
BOOL_FIELDS = {"deleted"}
STR_LIMITS = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}
NULLABLE = {"calendarset_id", "address", "zipcode", "city"}
TIMING = {"generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation"}
WRITABLE = {"group_id", "calendarset_id", "name", "publicname", "address", "zipcode",
            "city", "sort", "generate_interval", "mintime_rdv", "maxrdv_period",
            "mintime_annulation", "deleted"}
READ_ONLY = {"id", "created_at", "updated_at"}
DEFAULTS = {"calendarset_id": None, "publicname": "", "address": None, "zipcode": None,
            "city": None, "generate_interval": 15, "mintime_rdv": 0,
            "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False}
OPS = {"=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in"}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
INT_RE = re.compile(r"^-?[0-9]+$")
UINT_RE = re.compile(r"^[0-9]+$")


def now_str():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _seed():
    rows = [
        # id, group, calset, name, publicname, address, zipcode, city, sort,
        # gen, mintime_rdv, maxrdv, mintime_ann, deleted, created, updated, interventions
        (200, 40, 11, "Cabinet Principal", "Dr Martin", "12 rue de la Paix", "75002", "Paris", 1,
         15, 0, 131400, 2880, False, "2023-01-10 09:00:00", "2023-06-01 10:15:00", {3, 7, 9}),
        (207, 40, 11, "Salle B", "", None, None, None, 2,
         30, 60, 44640, 1440, False, "2023-01-11 09:00:00", "2023-01-11 09:00:00", {3}),
        (214, 40, 12, "agenda annexe", "Annexe Lyon", "5 avenue Foch", "69006", "Lyon", 2,
         10, 0, 131400, 2880, False, "2023-02-03 14:20:00", "2024-03-05 08:00:00", {7}),
        (221, 77, 13, "Agence Nord", "Nord", "1 rue du Nord", "59000", "Lille", 1,
         15, 0, 131400, 2880, False, "2023-02-04 10:00:00", "2023-02-04 10:00:00", {15}),
        (228, 40, None, "Dr Dupont", "Docteur Dupont", "1 place Bellecour", "69002", "Lyon", 3,
         20, 4320, 131400, 5760, False, "2023-03-15 11:11:11", "2023-09-09 09:09:09", {3, 7}),
        (235, 40, 12, "Remplaçant", "Remplaçant été", None, "13001", "Marseille", 3,
         15, 0, 262800, 0, True, "2023-04-01 08:30:00", "2024-01-02 12:00:00", {9}),
        (242, 40, 11, "Kiné", "Kinésithérapie", "8 bd Haussmann", "75009", None, 5,
         45, 120, 131400, 2880, False, "2023-05-20 16:45:00", "2023-05-20 16:45:00", {7, 9}),
        (249, 77, 13, "Agence Sud", "Sud", None, None, "Nice", 2,
         15, 0, 131400, 2880, False, "2023-05-21 10:00:00", "2023-05-21 10:00:00", {15}),
        (256, 40, None, "Secrétariat", "", None, None, None, 0,
         15, 0, 131400, 2880, False, "2023-06-30 07:00:00", "2023-06-30 07:00:00", set()),
        (263, 40, 12, "Ostéo_100%", "Ostéopathie", "3 rue Victor Hugo", "33000", "Bordeaux", 5,
         60, 1440, 87600, 2880, False, "2023-08-08 18:00:00", "2024-02-14 14:00:00", {3, 9}),
        (270, 40, 11, "Téléconsultation", "Téléconsultation", None, None, "Paris", 8,
         15, 0, 131400, 2880, False, "2023-10-01 12:00:00", "2023-10-01 12:00:00", {3, 7, 9}),
        (277, 77, None, "Agence Est", "", None, None, None, 3,
         15, 0, 131400, 2880, False, "2023-11-11 11:00:00", "2023-11-11 11:00:00", set()),
    ]
    cals = {}
    for r in rows:
        rec = dict(zip(FIELDS, r[:16]))
        rec["_interventions"] = set(r[16])
        cals[rec["id"]] = rec
    return cals


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.calendars = _seed()
        self.next_id = max(self.calendars) + ID_STEP
        self.sessions = {}  # session id -> email


STORE = Store()


def public(rec):
    return {k: rec[k] for k in FIELDS}


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status, text=None, errors=None, headers=None):
        super().__init__(text)
        self.status = status
        self.text = text or ""
        self.errors = errors  # list of (field, message) for 400
        self.headers = headers or {}

    def body(self):
        if self.status == 400:
            errs = self.errors or [("request", self.text or "bad request")]
            return {"errors": [{"field": f, "message": m} for f, m in errs]}
        return {"error": {"code": self.status, "text": self.text}}


def bad(field, message):
    return ApiError(400, message, [(field, message)])


# ---------------------------------------------------------------------------
# helpers: JSON
# ---------------------------------------------------------------------------
def _no_constant(name):
    raise ValueError("invalid JSON constant " + name)


def _parse_int(s):
    if len(s) > MAX_INT_DIGITS + 1:
        raise ValueError("integer too large")
    return int(s)


def parse_json(raw):
    text = raw.decode("utf-8")  # may raise
    return json.loads(text, parse_float=Decimal, parse_int=_parse_int,
                      parse_constant=_no_constant)


def as_int(v):
    """JSON Schema integer: returns int or None when v is not an integer."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        if v.adjusted() > MAX_INT_DIGITS:
            return None
        if v == v.to_integral_value():
            return int(v)
    return None


def dumps(obj):
    return json.dumps(obj, ensure_ascii=True, separators=(", ", ": ")).encode("ascii")


# ---------------------------------------------------------------------------
# helpers: LIKE without regex (iterative wildcard matcher, O(n*m) worst case)
# ---------------------------------------------------------------------------
def _ceq(a, b):
    return a == b or a.casefold() == b.casefold()


def like_match(text, pattern):
    t, p = 0, 0
    star_p, star_t = -1, 0
    n, m = len(text), len(pattern)
    while t < n:
        if p < m and pattern[p] != "%" and (pattern[p] == "_" or _ceq(pattern[p], text[t])):
            t += 1
            p += 1
        elif p < m and pattern[p] == "%":
            star_p = p
            star_t = t
            p += 1
        elif star_p != -1:
            p = star_p + 1
            star_t += 1
            t = star_t
        else:
            return False
    while p < m and pattern[p] == "%":
        p += 1
    return p == m


# ---------------------------------------------------------------------------
# query parsing
# ---------------------------------------------------------------------------
def parse_query(raw_query):
    # a second '?' glued into the query is treated as a parameter separator
    raw_query = raw_query.replace("?", "&")
    return urllib.parse.parse_qsl(raw_query, keep_blank_values=True,
                                  encoding="utf-8", errors="replace")


def last(params, name):
    val = None
    for k, v in params:
        if k == name:
            val = v
    return val


def id_list(params, base):
    """values of base[], base[n] and base; None when absent."""
    found = False
    out = []
    pat = re.compile(r"^" + re.escape(base) + r"(\[[^\]]*\])?$")
    for k, v in params:
        if pat.match(k):
            found = True
            s = v.strip()
            if not INT_RE.match(s):
                raise bad(base + "[]", "must be a list of integers, got %r" % v)
            out.append(int(s))
    return out if found else None


def normalize_date(v):
    s = v.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}$", s):
        s += " 00:00:00"
    elif re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", s):
        s = s.replace("T", " ")
    if not DATE_RE.match(s):
        return None
    return s


def cond_value(field, raw, label):
    if field in INT_FIELDS:
        s = raw.strip()
        if not INT_RE.match(s):
            raise bad(label, "value %r is not an integer (field %s)" % (raw, field))
        return int(s)
    if field in BOOL_FIELDS:
        s = raw.strip().lower()
        if s in ("true", "1"):
            return True
        if s in ("false", "0"):
            return False
        raise bad(label, "value %r is not a boolean (field %s)" % (raw, field))
    if field in DATE_FIELDS:
        d = normalize_date(raw)
        if d is None:
            raise bad(label, "value %r is not a date 'YYYY-MM-DD HH:MM:SS'" % raw)
        return d
    return raw


def as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_conditions(params):
    conds = {}
    order = []
    pat = re.compile(r"^conditions\[([^\]]*)\]\[([^\]]*)\]$")
    for k, v in params:
        if not k.startswith("conditions"):
            continue
        m = pat.match(k)
        if not m or m.group(2) not in ("field", "op", "value"):
            raise bad(k, "malformed condition parameter; use conditions[i][field|op|value]")
        idx = m.group(1)
        if idx not in conds:
            conds[idx] = {}
            order.append(idx)
        conds[idx][m.group(2)] = v
    out = []
    for idx in order:
        c = conds[idx]
        label = "conditions[%s]" % idx
        for part in ("field", "op", "value"):
            if part not in c:
                raise bad(label + "[" + part + "]", "missing")
        field = c["field"].strip()
        if field not in FIELDS:
            raise bad(label + "[field]", "unknown field %r" % c["field"])
        op = " ".join(c["op"].split()).lower()
        if op not in OPS:
            raise bad(label + "[op]", "unknown operator %r" % c["op"])
        raw = c["value"]
        if op in ("like", "not like"):
            val = raw
        elif op in ("in", "not in"):
            val = [cond_value(field, part, label + "[value]") for part in raw.split(",")]
        else:
            val = cond_value(field, raw, label + "[value]")
        out.append((field, op, val))
    return out


def cond_holds(rec, field, op, val):
    x = rec[field]
    if x is None:
        return False  # null matches no condition (!=, not like, not in exclude nulls)
    if op == "=":
        return x == val
    if op == "!=":
        return x != val
    if op == ">":
        return x > val
    if op == ">=":
        return x >= val
    if op == "<":
        return x < val
    if op == "<=":
        return x <= val
    if op == "like":
        return like_match(as_text(x), val)
    if op == "not like":
        return not like_match(as_text(x), val)
    if op == "in":
        return x in val
    if op == "not in":
        return x not in val
    return False


# ---------------------------------------------------------------------------
# body validation
# ---------------------------------------------------------------------------
def validate_calendar_body(body, creating):
    """returns dict of writable values; raises 400."""
    if not isinstance(body, dict):
        raise bad("body", "the body must be a JSON object wrapping the calendar: {\"calendar\": {...}}")
    if "calendar" not in body:
        raise bad("calendar", "missing: the body must be {\"calendar\": {...}}")
    cal = body["calendar"]
    if not isinstance(cal, dict):
        raise bad("calendar", "must be a JSON object")
    errors = []
    values = {}
    for key, v in cal.items():
        if key in READ_ONLY:
            continue
        if key not in WRITABLE:
            errors.append((key, "unknown field"))
            continue
        if v is None:
            if key in NULLABLE:
                values[key] = None
            else:
                errors.append((key, "may not be null"))
            continue
        if key in INT_FIELDS:
            iv = as_int(v)
            if iv is None:
                if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
                    errors.append((key, "integer out of range"))
                else:
                    errors.append((key, "must be an integer"))
                continue
            if key in TIMING and iv < 0:
                errors.append((key, "must be greater than or equal to 0"))
                continue
            values[key] = iv
        elif key in STR_FIELDS:
            if not isinstance(v, str):
                errors.append((key, "must be a string"))
                continue
            if len(v) > STR_LIMITS[key]:
                errors.append((key, "is too long (maximum is %d characters)" % STR_LIMITS[key]))
                continue
            if key == "name" and v == "":
                errors.append((key, "can't be blank"))
                continue
            values[key] = v
        elif key in BOOL_FIELDS:
            if not isinstance(v, bool):
                errors.append((key, "must be a boolean (true or false)"))
                continue
            values[key] = v
    if creating and "name" not in cal:
        errors.append(("name", "can't be blank"))
    if errors:
        raise ApiError(400, "invalid calendar", errors)
    return values


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------
R_COLL = re.compile(r"^/api/v1/groups/([^/]+)/calendars(\.json)?$")
R_MEMBER = re.compile(r"^/api/v1/groups/([^/]+)/calendars/([^/]+?)(\.json)?$")
R_LOGIN = re.compile(r"^/api/v1/sessions/login(\.json)?$")
ALLOW = {"coll": "GET, POST", "member": "GET, PUT, DELETE", "login": "POST"}


def path_int(s):
    if UINT_RE.match(s):
        return int(s)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Added by the kit, for its tests' speed only: a head and a body in two writes on a kept-alive
    # connection otherwise wait out the client's delayed ACK (40 ms an answer).
    disable_nagle_algorithm = True
    server_version = "ClicRDV-indep-B"
    sys_version = ""

    def version_string(self):
        return self.server_version
    timeout = 120

    # --- quiet -----------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002
        pass

    def log_error(self, format, *args):  # noqa: A002
        pass

    # any method name goes to the same dispatcher (never 501)
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    # errors raised by http.server itself (malformed request line, 414, 431, ...)
    def send_error(self, code, message=None, explain=None):
        if code not in ALLOWED_STATUS:
            code = 400
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # always answer with a status line
        err = ApiError(code, message or "bad request")
        body = dumps(err.body())
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200:
                self.wfile.write(body)
        except Exception:
            pass
        self.close_connection = True

    # --- output ------------------------------------------------------------
    def _send(self, status, obj, headers=None, chunked=False):
        body = dumps(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        use_chunked = chunked and self.request_version == "HTTP/1.1" and self.command != "HEAD"
        if use_chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if use_chunked:
            step = 8192
            for i in range(0, len(body), step):
                piece = body[i:i + step]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    # --- input -------------------------------------------------------------
    def _read_body(self):
        """returns (bytes or None, too_big flag). Raises ApiError(400) on framing errors."""
        te = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if te and te != "identity":
            if te != "chunked":
                self.close_connection = True
                raise bad("Transfer-Encoding", "unsupported transfer encoding")
            return self._read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", False
        cl = cl.strip()
        if not UINT_RE.match(cl):
            self.close_connection = True
            raise bad("Content-Length", "invalid Content-Length")
        n = int(cl)
        if n > MAX_BODY:
            if n <= MAX_DRAIN:
                remaining = n
                while remaining > 0:
                    chunk = self.rfile.read(min(65536, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True
            return None, True
        data = self.rfile.read(n) if n else b""
        if len(data) < n:
            self.close_connection = True
            raise bad("body", "truncated body")
        return data, False

    def _read_chunked(self):
        total = 0
        parts = []
        too_big = False
        while True:
            line = self.rfile.readline(1024)
            if not line:
                self.close_connection = True
                raise bad("body", "truncated chunked body")
            size_s = line.split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                self.close_connection = True
                raise bad("body", "malformed chunked body")
            if size < 0:
                self.close_connection = True
                raise bad("body", "malformed chunked body")
            if size == 0:
                # trailers
                while True:
                    t = self.rfile.readline(65537)
                    if not t or t in (b"\r\n", b"\n"):
                        break
                break
            total += size
            if total > MAX_DRAIN:
                self.close_connection = True
                return None, True
            data = self.rfile.read(size)
            self.rfile.readline(3)
            if total > MAX_BODY:
                too_big = True
            else:
                parts.append(data)
        if too_big:
            return None, True
        return b"".join(parts), False

    # --- auth --------------------------------------------------------------
    def _cookie(self, name):
        raw = self.headers.get_all("Cookie") or []
        val = None
        for header in raw:
            for part in header.split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    if k.strip() == name:
                        val = v.strip().strip('"')
        return val

    def _apikey_ok(self, params, body_obj):
        key = last(params, "apikey")
        if key is None and isinstance(body_obj, dict):
            bk = body_obj.get("apikey")
            if isinstance(bk, str):
                key = bk
        return key is not None and secrets.compare_digest(key.encode("utf-8", "replace"),
                                                          APIKEY.encode())

    def _user(self):
        auth = self.headers.get("Authorization")
        if auth is not None:
            parts = auth.strip().split(None, 1)
            if len(parts) != 2 or parts[0].lower() != "basic":
                return None
            try:
                decoded = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
            except Exception:
                return None
            if ":" not in decoded:
                return None
            email, pw = decoded.split(":", 1)
            u = USERS.get(email.strip().lower())
            if u and secrets.compare_digest(u[0].encode(), pw.encode("utf-8", "replace")):
                return email.strip().lower()
            return None
        sid = self._cookie("_session_id")
        if sid:
            with STORE.lock:
                return STORE.sessions.get(sid)
        return None

    # --- dispatch ----------------------------------------------------------
    def _dispatch(self):
        try:
            self._handle()
        except ApiError as e:
            self._send(e.status, e.body(), headers=e.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # never 500
            self.close_connection = True
            try:
                self._send(400, ApiError(400, "bad request").body())
            except Exception:
                pass

    def _handle(self):
        target = self.path
        if "?" in target:
            raw_path, raw_query = target.split("?", 1)
        else:
            raw_path, raw_query = target, ""
        if "#" in raw_query:
            raw_query = raw_query.split("#", 1)[0]
        if raw_path.startswith("http://") or raw_path.startswith("https://"):
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        path = urllib.parse.unquote(raw_path, errors="replace")
        params = parse_query(raw_query)

        m = R_LOGIN.match(path)
        route = None
        if m:
            route = "login"
        else:
            m = R_MEMBER.match(path)
            if m:
                route = "member"
            else:
                m = R_COLL.match(path)
                if m:
                    route = "coll"
        # read (or drain) the body in every case so keep-alive stays in sync
        body_raw, too_big = self._read_body()
        if route is None:
            raise ApiError(404, "no such resource")

        method = self.command
        body_obj = None
        body_err = None
        if not too_big and body_raw:
            try:
                body_obj = parse_json(body_raw)
            except Exception as exc:  # noqa: BLE001
                body_err = str(exc) or "invalid JSON"

        if route == "login":
            self._login(method, params, body_raw, body_obj, too_big)
            return

        # 1. authentication always first
        if not self._apikey_ok(params, body_obj):
            raise ApiError(401, "missing or invalid apikey")
        email = self._user()
        if email is None:
            raise ApiError(401, "missing or wrong credentials")
        # 2. method
        served = ("GET", "POST") if route == "coll" else ("GET", "PUT", "DELETE")
        if method not in served:
            raise ApiError(405, "method %s not allowed on this resource" % method,
                           headers={"Allow": ALLOW[route]})
        # 3. request validation (query and body) before group access
        fmt = last(params, "format")
        if fmt is not None and fmt.lower() != "json":
            raise bad("format", "only format=json is supported")
        if too_big:
            raise bad("body", "request body larger than 1 MB")
        values = None
        if method in ("POST", "PUT"):
            ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                raise bad("Content-Type", "POST/PUT bodies must be sent as application/json")
            if not body_raw:
                raise bad("body", "empty body: expected {\"calendar\": {...}}")
            if body_err is not None:
                raise bad("body", "malformed JSON: " + body_err)
            values = validate_calendar_body(body_obj, creating=(method == "POST"))
        list_args = None
        if route == "coll" and method == "GET":
            list_args = self._list_args(params)

        # 4. group / calendar access
        user_groups = USERS[email][1]
        gid = path_int(m.group(1))
        if gid is None or gid not in GROUPS or gid not in user_groups:
            raise ApiError(404, "group not found")
        if route == "coll":
            if method == "GET":
                self._list(gid, list_args)
            else:
                self._create(gid, values)
            return
        cid = path_int(m.group(2))
        with STORE.lock:
            rec = STORE.calendars.get(cid) if cid is not None else None
            if rec is None or rec["group_id"] != gid:
                raise ApiError(404, "calendar not found")
            if method == "GET":
                out = public(rec)
            elif method == "DELETE":
                rec["deleted"] = True
                rec["updated_at"] = now_str()
                out = public(rec)
            else:
                if "group_id" in values and values["group_id"] != gid:
                    raise ApiError(403, "group_id differs from the group of the URL")
                values.pop("group_id", None)
                rec.update(values)
                rec["updated_at"] = now_str()
                out = public(rec)
        self._send(200, out)

    # --- login ---------------------------------------------------------------
    def _login(self, method, params, body_raw, body_obj, too_big):
        form = []
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if body_raw and not too_big and ctype != "application/json":
            try:
                form = urllib.parse.parse_qsl(body_raw.decode("utf-8", "replace"),
                                              keep_blank_values=True)
            except Exception:
                form = []
        allp = params + form
        key = last(allp, "apikey")
        if key is None and isinstance(body_obj, dict) and isinstance(body_obj.get("apikey"), str):
            key = body_obj["apikey"]
        if key != APIKEY:
            raise ApiError(401, "missing or invalid apikey")
        if method != "POST":
            raise ApiError(405, "method %s not allowed on this resource" % method,
                           headers={"Allow": ALLOW["login"]})
        email = last(allp, "pro[email]")
        pw = last(allp, "pro[password]")
        if isinstance(body_obj, dict) and isinstance(body_obj.get("pro"), dict):
            pro = body_obj["pro"]
            if email is None and isinstance(pro.get("email"), str):
                email = pro["email"]
            if pw is None and isinstance(pro.get("password"), str):
                pw = pro["password"]
        if email is None or pw is None:
            raise ApiError(401, "missing credentials")
        email = email.strip().lower()
        u = USERS.get(email)
        if not u or hashlib.sha1(u[0].encode()).hexdigest() != pw.strip().lower():
            raise ApiError(401, "wrong email or password")
        sid = secrets.token_hex(20)
        with STORE.lock:
            STORE.sessions[sid] = email
        self._send(200, {"session_id": sid},
                   headers={"Set-Cookie": "_session_id=%s; path=/; HttpOnly" % sid})

    # --- list ----------------------------------------------------------------
    def _list_args(self, params):
        a = {}
        r = last(params, "results")
        if r is None:
            a["results"] = 25
        elif r == "all":
            a["results"] = "all"
        elif UINT_RE.match(r) and int(r) >= 1:
            a["results"] = int(r)
        else:
            raise bad("results", "must be an integer >= 1 or 'all', got %r" % r)
        s = last(params, "startIndex")
        if s is None:
            a["start"] = 0
        elif UINT_RE.match(s):
            a["start"] = int(s)
        else:
            raise bad("startIndex", "must be an integer >= 0, got %r" % s)
        sort = last(params, "sort")
        if sort is not None and sort not in FIELDS:
            raise bad("sort", "unknown field %r" % sort)
        a["sort"] = sort
        d = last(params, "dir")
        if d is not None and d.lower() not in ("asc", "desc"):
            raise bad("dir", "must be 'asc' or 'desc', got %r" % d)
        a["dir"] = d
        a["search"] = last(params, "search")
        a["interventions"] = id_list(params, "intervention_ids")
        a["calendarsets"] = id_list(params, "calendarset_ids")
        a["conditions"] = parse_conditions(params)
        return a

    def _list(self, gid, a):
        with STORE.lock:
            recs = [dict(r) for r in STORE.calendars.values() if r["group_id"] == gid]
        recs.sort(key=lambda r: r["id"])
        if a["interventions"] is not None:
            want = set(a["interventions"])
            recs = [r for r in recs if want <= r["_interventions"]]
        if a["calendarsets"] is not None:
            want = set(a["calendarsets"])
            recs = [r for r in recs if r["calendarset_id"] in want]
        if a["search"] is not None:
            q = a["search"].casefold()
            recs = [r for r in recs
                    if q in (r["name"] or "").casefold() or q in (r["publicname"] or "").casefold()]
        for field, op, val in a["conditions"]:
            recs = [r for r in recs if cond_holds(r, field, op, val)]
        if a["sort"] is not None:
            f = a["sort"]
            desc = (a["dir"] or "asc").lower() == "desc"
            nulls = [r for r in recs if r[f] is None]
            vals = [r for r in recs if r[f] is not None]
            vals.sort(key=lambda r: r[f], reverse=desc)  # stable: ties stay id ASC
            recs = vals + nulls if desc else nulls + vals
        total = len(recs)
        start = a["start"]
        if a["results"] == "all":
            page = recs[start:]
            page_size = total
        else:
            page = recs[start:start + a["results"]] if start < total else []
            page_size = a["results"]
        env = {
            "records": [public(r) for r in page],
            "totalRecords": total,
            "startIndex": start,
            "recordsReturned": len(page),
            "pageSize": page_size,
            "sort": a["sort"],
            "dir": a["dir"],
        }
        self._send(200, env, chunked=True)

    # --- create --------------------------------------------------------------
    def _create(self, gid, values):
        with STORE.lock:
            if "group_id" in values and values["group_id"] != gid:
                raise ApiError(403, "group_id differs from the group of the URL")
            rec = {"id": STORE.next_id, "group_id": gid}
            STORE.next_id += ID_STEP
            for k, v in DEFAULTS.items():
                rec[k] = v
            if "sort" not in values:
                sorts = [r["sort"] for r in STORE.calendars.values() if r["group_id"] == gid]
                values["sort"] = (max(sorts) + 1) if sorts else 1
            values.pop("group_id", None)
            rec.update(values)
            ts = now_str()
            rec["created_at"] = ts
            rec["updated_at"] = ts
            rec["_interventions"] = set()
            full = {k: rec[k] for k in FIELDS}
            full["_interventions"] = rec["_interventions"]
            STORE.calendars[full["id"]] = full
            out = public(full)
        self._send(201, out)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # quiet
        pass


def main():
    ap = argparse.ArgumentParser(description="ClicRDV Calendar API v1 - independent server B")
    ap.add_argument("--port", type=int, required=True)
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
