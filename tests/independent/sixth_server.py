#!/usr/bin/env python3
"""Sixth independent server of the ClicRDV REST API v1 Calendar resource.

Python 3.11 standard library only.  Run:  python3 sixth_server.py --port PORT
Binds 127.0.0.1 only, threaded, state in memory (fresh seed on every start).
Choices: see sixth_server.md beside this file.
"""
import argparse
import base64
import hashlib
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
import unicodedata
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.set_int_max_str_digits(0)

# ---------------------------------------------------------------------------
# seed / configuration
# ---------------------------------------------------------------------------
APIKEY = "six-key-2f9c"
GROUP_A = 271828          # qa6's group, Pacific/Noumea wall clock (UTC+11)
GROUP_B = 161803          # second user's group, Pacific/Tahiti wall clock (UTC-10)
GROUP_TZ = {GROUP_A: timezone(timedelta(hours=11)), GROUP_B: timezone(timedelta(hours=-10))}
USERS = {  # email (exact case) -> (password, pro id, group)
    "qa6@indep.test": ("six-pass-6!", 604, GROUP_A),
    "rival6@indep.test": ("rival-pass-6?", 605, GROUP_B),
}
CALENDARSETS = {7001: GROUP_A, 7002: GROUP_A, 7003: GROUP_A, 7004: GROUP_A, 7100: GROUP_B}
INTERVENTIONS = {31: GROUP_A, 32: GROUP_A, 33: GROUP_A, 34: GROUP_A, 35: GROUP_A, 90: GROUP_B}

PAGE_CAP = 50             # a page never holds more than 50 records (results=all excepted)
MAX_BODY = 1024 * 1024
MAX_DRAIN = 16 * 1024 * 1024

CONTRACT_FIELDS = ["id", "group_id", "calendarset_id", "name", "publicname", "address",
                   "zipcode", "city", "sort", "generate_interval", "mintime_rdv",
                   "maxrdv_period", "mintime_annulation", "deleted", "created_at",
                   "updated_at"]
EXTRA_FIELDS = ["intervention_ids", "online"]          # extra, read-only
READABLE = CONTRACT_FIELDS + EXTRA_FIELDS
INT_FIELDS = {"id", "group_id", "calendarset_id", "sort", "generate_interval",
              "mintime_rdv", "maxrdv_period", "mintime_annulation"}
STR_FIELDS = {"name", "publicname", "address", "zipcode", "city"}
BOOL_FIELDS = {"deleted", "online"}
DATE_FIELDS = {"created_at", "updated_at"}
STR_LIMITS = {"name": 255, "publicname": 255, "address": 255, "zipcode": 16, "city": 64}
NULLABLE = {"calendarset_id", "address", "zipcode", "city"}
TIMING = {"generate_interval", "mintime_rdv", "maxrdv_period", "mintime_annulation"}
WRITABLE = {"group_id", "calendarset_id", "name", "publicname", "address", "zipcode",
            "city", "sort", "generate_interval", "mintime_rdv", "maxrdv_period",
            "mintime_annulation", "deleted"}
READ_ONLY = {"id", "created_at", "updated_at", "intervention_ids", "online"}
DEFAULTS = {"calendarset_id": None, "publicname": "", "address": None, "zipcode": None,
            "city": None, "generate_interval": 15, "mintime_rdv": 0,
            "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False}
OPS = {"=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in"}

LOCK = threading.Lock()
RNG = random.Random(606)
CALS = {}                 # id -> dict (stored fields + hidden "_interventions")
SESSIONS = {}             # session id -> email
USED_IDS = set()


def new_id():
    while True:
        i = RNG.randint(10_000_000, 2**31 - 1)
        if i not in USED_IDS:
            USED_IDS.add(i)
            return i


def now_str(group):
    tz = GROUP_TZ.get(group, timezone.utc)
    return datetime.now(tz).strftime("%Y-%m-%d %H:%M:%S")


def _seed():
    words = ["Cabinet", "Salle", "Dr", "Agenda", "Kiné", "Ostéo", "Écho", "Radiologie",
             "Pédiatrie", "Laboratoire", "Téléconsult", "Annexe", "Permanence", "Bureau"]
    oddities = ["Salle 100%", "Remise_50%", "  Leading spaces", "Ça va 🙂", "dr ÉLODIE",
                "élodie", "Élodie", "ELODIE", "%%%", "___", "a_b", "a%b", "Nuit 🌙 garde",
                " espace", "Zoé", "zoe", "Œil & ORL", "straße", "STRASSE", "ǅemal",
                "Ünïcödé", "x" * 255, "🙂", "名前", "tab\tname", "O'Brien", "quote\"d",
                "back\\slash", "Médecin généraliste", "MEDECIN GENERALISTE"]
    cities = [None, "Nouméa", "Paris", "Lyon", "Dumbéa", "Mont-Dore", "Païta", "Koné"]
    sets_a = [None, 7001, 7002, 7003, 7004]
    base = datetime(2023, 2, 1, 8, 0, 0)
    r = random.Random(6)
    for n in range(150):
        cid = new_id()
        if n < len(oddities):
            name = oddities[n]
        else:
            name = "%s %s %d" % (r.choice(words), r.choice(["Nord", "Sud", "bleu", "Rouge",
                                                           "été", "🙂", "_x", "5%"]), n)
        pub = r.choice(["", name, "Public " + name[:40], "Réservation en ligne"])
        created = base + timedelta(hours=r.randint(0, 20000))
        updated = created + timedelta(hours=r.randint(0, 3000))
        city = r.choice(cities)
        CALS[cid] = {
            "id": cid, "group_id": GROUP_A, "calendarset_id": r.choice(sets_a),
            "name": name, "publicname": pub,
            "address": r.choice([None, "%d rue de l'Alma" % n, "BP %d" % n]),
            "zipcode": r.choice([None, "98800", "98835", "98890"]),
            "city": city, "sort": r.randint(-2, 12),
            "generate_interval": r.choice([15, 15, 10, 20, 30]),
            "mintime_rdv": r.choice([0, 0, 60, 1440]),
            "maxrdv_period": r.choice([131400, 44640, 20160]),
            "mintime_annulation": r.choice([2880, 0, 1440]),
            "deleted": n % 29 == 7,
            "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
            "updated_at": updated.strftime("%Y-%m-%d %H:%M:%S"),
            "_interventions": sorted(r.sample([31, 32, 33, 34, 35], r.randint(0, 4))),
        }
    for n, (name, cs, ints) in enumerate([("Cabinet Papeete", 7100, [90]),
                                          ("Salle Moorea", None, []),
                                          ("Annexe Bora", 7100, [90])]):
        cid = new_id()
        CALS[cid] = {
            "id": cid, "group_id": GROUP_B, "calendarset_id": cs, "name": name,
            "publicname": name, "address": None, "zipcode": "98713", "city": "Papeete",
            "sort": n + 1, "generate_interval": 15, "mintime_rdv": 0,
            "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False,
            "created_at": "2024-03-0%d 10:00:00" % (n + 1),
            "updated_at": "2024-03-0%d 10:00:00" % (n + 1), "_interventions": ints,
        }


_seed()


def render(c):
    out = {k: c[k] for k in CONTRACT_FIELDS}
    out["intervention_ids"] = list(c["_interventions"])
    out["online"] = bool(c["publicname"]) and not c["deleted"]
    return out


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 500: "Internal Server Error"}


class ApiError(Exception):
    def __init__(self, status, detail, invalid=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.invalid = invalid or []
        self.headers = headers or {}

    def body(self):
        b = {"type": "about:blank", "title": TITLES.get(self.status, "Error"),
             "status": self.status, "detail": self.detail}
        if self.invalid:
            b["invalid_params"] = [{"name": n, "reason": r} for n, r in self.invalid]
        return b


def bad(field, reason):
    return ApiError(400, "%s %s" % (field, reason), [(field, reason)])


# ---------------------------------------------------------------------------
# value helpers
# ---------------------------------------------------------------------------
def fold(s):
    """case- and accent-insensitive form (a MySQL *_general_ci like collation)."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return s.casefold()


def as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")) and v.is_integer():
        return int(v)
    return None


def like_match(pattern, text):
    """% = any run, _ = one character; case-insensitive; no escape; linear two-pointer."""
    p, t = pattern.lower(), text.lower()
    pi = ti = 0
    star_p, star_t = -1, 0
    while ti < len(t):
        if pi < len(p) and p[pi] != "%" and (p[pi] == "_" or p[pi] == t[ti]):
            pi += 1
            ti += 1
        elif pi < len(p) and p[pi] == "%":
            star_p, star_t = pi, ti
            pi += 1
        elif star_p >= 0:
            pi = star_p + 1
            star_t += 1
            ti = star_t
        else:
            return False
    while pi < len(p) and p[pi] == "%":
        pi += 1
    return pi == len(p)


def text_form(field, v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$")
INT_RE = re.compile(r"^[+-]?\d+$")


def parse_cond_value(field, raw, name):
    raw_s = raw.strip()
    if field in INT_FIELDS:
        if not INT_RE.match(raw_s):
            raise bad(name, "must be an integer for field %s" % field)
        return int(raw_s)
    if field in BOOL_FIELDS:
        low = raw_s.lower()
        if low in ("1", "true", "t"):
            return True
        if low in ("0", "false", "f"):
            return False
        raise bad(name, "must be true/false/1/0 for field %s" % field)
    if field in DATE_FIELDS:
        m = DATE_RE.match(raw_s)
        if not m:
            raise bad(name, "must be a date YYYY-MM-DD HH:MM:SS for field %s" % field)
        return "%s %s:%s:%s" % (m.group(1), m.group(2) or "00", m.group(3) or "00",
                                m.group(4) or "00")
    return raw


def cond_holds(rec, field, op, val, vals):
    v = rec.get(field)
    if op in ("like", "not like"):
        if v is None:
            return False          # `not like` leaves nulls out
        ok = like_match(val, text_form(field, v))
        return ok if op == "like" else not ok
    if op in ("in", "not in"):
        if v is None:
            return op == "not in"  # `not in` keeps nulls
        if isinstance(v, str):
            hit = fold(v) in {fold(x) for x in vals}
        elif isinstance(v, list):
            hit = text_form(field, v) in vals
        else:
            hit = v in vals
        return hit if op == "in" else not hit
    if v is None:
        return op == "!="         # `!=` keeps nulls
    if isinstance(v, list):
        v = text_form(field, v)
    if isinstance(v, str) and isinstance(val, str):
        if op in ("=", "!="):
            eq = fold(v) == fold(val)
            return eq if op == "=" else not eq
        a, b = v, val
    else:
        a, b = v, val
    try:
        return {"=": a == b, "!=": a != b, ">": a > b, ">=": a >= b, "<": a < b,
                "<=": a <= b}[op]
    except TypeError:
        return False


def sort_key(field, v):
    # nulls first in ascending order (smallest), strings by a folded collation
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, str):
        return (1, fold(v), v)
    if isinstance(v, list):
        return (1, tuple(v))
    return (1, v)


# ---------------------------------------------------------------------------
# query parsing
# ---------------------------------------------------------------------------
def parse_query(qs):
    """-> list of (key, value).  A glued second '?' ends the value: `a=1?format=json`
    reads as a=1, the glued part is dropped."""
    pairs = []
    for part in qs.split("&"):
        if not part:
            continue
        k, sep, v = part.partition("=")
        try:
            k = urllib.parse.unquote_plus(k, errors="strict")
            v = urllib.parse.unquote_plus(v, errors="strict")
        except UnicodeDecodeError:
            raise bad("query", "is not valid UTF-8")
        if "?" in v:
            v = v.split("?", 1)[0]
        if "?" in k:
            k = k.split("?", 1)[0]
        pairs.append((k, v))
    return pairs


def first(pairs, key):
    for k, v in pairs:
        if k == key:
            return v
    return None


def list_param(pairs, base):
    out = []
    for k, v in pairs:
        if k == base or k == base + "[]" or re.fullmatch(re.escape(base) + r"\[\d+\]", k):
            for item in v.split(","):
                item = item.strip()
                if item == "":
                    continue
                if not INT_RE.match(item):
                    raise bad(base + "[]", "must hold integers")
                out.append(int(item))
    return out


COND_RE = re.compile(r"^conditions\[([^\[\]]*)\]\[(field|op|value)\]$")


def parse_conditions(pairs):
    conds = {}
    order = []
    for k, v in pairs:
        if not k.startswith("conditions"):
            continue
        m = COND_RE.match(k)
        if not m:
            raise bad(k, "is not a valid condition parameter (conditions[i][field|op|value])")
        idx, part = m.group(1), m.group(2)
        if idx not in conds:
            conds[idx] = {}
            order.append(idx)
        conds[idx].setdefault(part, v)
    out = []
    for idx in order:
        c = conds[idx]
        for part in ("field", "op", "value"):
            if part not in c:
                raise bad("conditions[%s][%s]" % (idx, part), "is missing")
        field = c["field"]
        if field not in READABLE:
            raise bad("conditions[%s][field]" % idx, "is not a readable field")
        op = " ".join(c["op"].lower().split())
        if op not in OPS:
            raise bad("conditions[%s][op]" % idx, "is not a known operator")
        name = "conditions[%s][value]" % idx
        if op in ("in", "not in"):
            vals = [parse_cond_value(field, x.strip() if field not in STR_FIELDS else x.strip(), name)
                    for x in c["value"].split(",")]
            out.append((field, op, None, vals))
        elif op in ("like", "not like"):
            out.append((field, op, c["value"], None))
        else:
            out.append((field, op, parse_cond_value(field, c["value"], name), None))
    return out


# ---------------------------------------------------------------------------
# body validation
# ---------------------------------------------------------------------------
def read_calendar_body(raw, is_post, group):
    """-> (changes dict, problems list). Raises ApiError for structural problems."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("body", "is not valid UTF-8")

    def _const(x):
        raise ValueError("bad constant " + x)
    try:
        data = json.loads(text, parse_constant=_const)
    except (ValueError, RecursionError):
        raise bad("body", "is not valid JSON")
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    if "calendar" in data:
        cal = data["calendar"]
        if not isinstance(cal, dict):
            raise bad("calendar", "must be an object")
    else:
        # Rails wrap_parameters: a bare object of calendar attributes is the calendar
        cal = {k: v for k, v in data.items() if k not in ("apikey", "format")}
    problems = []
    changes = {}
    for k, v in cal.items():
        if k in READ_ONLY:
            continue
        if k not in WRITABLE:
            problems.append((k, "is not a known attribute of calendar"))
            continue
        if k in STR_FIELDS:
            if v is None:
                if k in NULLABLE:
                    changes[k] = None
                else:
                    problems.append((k, "can't be null"))
                continue
            if not isinstance(v, str):
                problems.append((k, "must be a string"))
                continue
            if len(v) > STR_LIMITS[k]:
                problems.append((k, "is too long (maximum is %d characters)" % STR_LIMITS[k]))
                continue
            if k == "name" and v == "":
                problems.append((k, "can't be empty"))
                continue
            changes[k] = v
        elif k in INT_FIELDS:
            if v is None:
                if k in NULLABLE:
                    changes[k] = None
                else:
                    problems.append((k, "can't be null"))
                continue
            iv = as_int(v)
            if iv is None:
                problems.append((k, "must be an integer"))
                continue
            if k in TIMING and iv < 0:
                problems.append((k, "must be greater than or equal to 0"))
                continue
            changes[k] = iv
        elif k == "deleted":
            if isinstance(v, bool):
                changes[k] = v
            elif v in ("0", "1"):
                changes[k] = v == "1"
            else:
                problems.append((k, "must be true or false"))
    if is_post and "name" not in changes and not any(p[0] == "name" for p in problems):
        problems.append(("name", "is required"))
    return changes, problems


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------
ROUTE_RE = re.compile(
    r"^/api/v1/groups/([^/]+)/calendars(?:/([^/]+?))?(\.json|\.xml)?/?$")
LOGIN_RE = re.compile(r"^/api/v1/sessions/login(\.json|\.xml)?/?$")
ID_RE = re.compile(r"^[1-9][0-9]{0,18}$")
ALLOW_COLL = "GET, HEAD, POST, OPTIONS"
ALLOW_MEMBER = "GET, HEAD, PUT, DELETE, OPTIONS"
ALLOW_LOGIN = "POST, OPTIONS"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClicRDV-Six/1.0"
    sys_version = ""
    timeout = 60

    verbose = False

    def log_message(self, fmt, *a):
        if self.verbose:
            sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % a))

    # every method name goes to dispatch (never 501)
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (bad request line, long URI, ...) -> 400 JSON
        if code not in (400, 401, 403, 404, 405, 500):
            code = 400
        self.close_connection = True
        try:
            self.respond(code, ApiError(code, message or "malformed request").body(),
                         extra={"Connection": "close"})
        except Exception:
            pass

    # -- transport ---------------------------------------------------------
    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def respond(self, status, obj, extra=None):
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        head_only = getattr(self, "command", None) == "HEAD"
        version = getattr(self, "request_version", "HTTP/1.1")
        reason = {200: "OK", 201: "Created"}.get(status, TITLES.get(status, ""))
        lines = ["HTTP/1.1 %d %s" % (status, reason),
                 "Date: " + self.date_time_string(),
                 "Server: " + self.server_version,
                 "Content-Type: application/json;charset=UTF-8",
                 "Cache-Control: private, no-store",
                 "X-Request-Id: " + str(uuid.uuid4()),
                 "X-Runtime: 0.00%d" % random.randint(1, 9),
                 "Vary: Accept, Authorization",
                 'ETag: W/"%s"' % hashlib.md5(body).hexdigest()]
        for k, v in (extra or {}).items():
            lines.append("%s: %s" % (k, v))
        chunked = version == "HTTP/1.1"
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append("Content-Length: %d" % len(body))
            self.close_connection = True
            lines.append("Connection: close")
        out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only:
            if chunked:
                out += b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
            else:
                out += body
        self.wfile.write(out)

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            data = b""
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    raise bad("body", "has broken chunked encoding")
                if size == 0:
                    while True:
                        t = self.rfile.readline(1024)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                if len(data) + size > MAX_DRAIN:
                    self.close_connection = True
                    raise bad("body", "is too large (over 1 MB)")
                data += self.rfile.read(size)
                self.rfile.readline(16)
            if len(data) > MAX_BODY:
                raise bad("body", "is too large (over 1 MB)")
            return data
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        if not cl.strip().isdigit():
            self.close_connection = True
            raise bad("Content-Length", "is not a number")
        n = int(cl)
        if n > MAX_BODY:
            if n > MAX_DRAIN:
                self.close_connection = True
            else:
                left = n
                while left > 0:
                    chunk = self.rfile.read(min(65536, left))
                    if not chunk:
                        break
                    left -= len(chunk)
            raise bad("body", "is too large (over 1 MB)")
        return self.rfile.read(n) if n else b""

    # -- main entry ----------------------------------------------------------
    def dispatch(self):
        try:
            try:
                raw = self.read_body()
            except ApiError as e:
                raw = None
                body_err = e
            else:
                body_err = None
            status, obj, extra = self.route(raw, body_err)
        except ApiError as e:
            status, obj, extra = e.status, e.body(), e.headers
        except Exception as e:  # pragma: no cover - defensive
            status, obj, extra = 500, ApiError(500, "internal error: %s" % type(e).__name__).body(), {}
        self.log_message('"%s" %d%s', self.requestline[:300], status,
                         (" body=" + raw[:300].decode("utf-8", "replace")) if raw else "")
        self.respond(status, obj, extra)

    # -- auth -----------------------------------------------------------------
    def apikey_of(self, pairs, raw):
        k = first(pairs, "apikey")
        if k is not None:
            return k
        if raw:
            ctype = self.headers.get("Content-Type", "")
            if "x-www-form-urlencoded" in ctype:
                try:
                    form = parse_query(raw.decode("utf-8"))
                except (UnicodeDecodeError, ApiError):
                    return None
                return first(form, "apikey")
            try:
                d = json.loads(raw.decode("utf-8"))
            except Exception:
                return None
            if isinstance(d, dict) and isinstance(d.get("apikey"), str):
                return d["apikey"]
        return None

    def authenticate(self, pairs, raw):
        """-> email. Raises 401."""
        unauth = {"WWW-Authenticate": 'Basic realm="ClicRDV API v1", charset="UTF-8"'}
        key = self.apikey_of(pairs, raw)
        if key is None:
            raise ApiError(401, "an apikey query parameter is required", headers=unauth)
        if not secrets.compare_digest(key.encode("utf-8", "replace"), APIKEY.encode()):
            raise ApiError(401, "the apikey is unknown", headers=unauth)
        auth = self.headers.get("Authorization")
        if auth is not None:
            scheme, _, cred = auth.strip().partition(" ")
            if scheme.lower() != "basic":
                raise ApiError(401, "only HTTP Basic authorization is supported", headers=unauth)
            try:
                dec = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
            except Exception:
                raise ApiError(401, "malformed Basic credentials", headers=unauth)
            email, sep, pwd = dec.partition(":")
            u = USERS.get(email)
            if not sep or u is None or not secrets.compare_digest(pwd.encode(), u[0].encode()):
                raise ApiError(401, "wrong email or password", headers=unauth)
            return email
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            name, _, val = part.strip().partition("=")
            if name == "_session_id":
                with LOCK:
                    email = SESSIONS.get(val.strip())
                if email:
                    return email
                raise ApiError(401, "the session is unknown or has ended", headers=unauth)
        raise ApiError(401, "credentials are required (HTTP Basic or a session)", headers=unauth)

    # -- routing ----------------------------------------------------------------
    def route(self, raw, body_err):
        method = self.command.upper()
        path, _, qs = self.path.partition("?")
        if path.startswith("http://") or path.startswith("https://"):
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        pairs = parse_query(qs)
        if LOGIN_RE.match(path):
            return self.login(method, pairs, raw, body_err, LOGIN_RE.match(path).group(1))
        # authentication comes first, before the path is even looked at
        email = self.authenticate(pairs, raw if body_err is None else b"")
        m = ROUTE_RE.match(path)
        if not m or m.group(3) == ".xml" or (first(pairs, "format") or "json").lower() == "xml":
            raise ApiError(404, "no such resource")
        gid_s, cid_s = m.group(1), m.group(2)
        allow = ALLOW_MEMBER if cid_s is not None else ALLOW_COLL
        served = allow.split(", ")
        if method not in served:
            raise ApiError(405, "%s is not available on this resource" % method,
                           headers={"Allow": allow})
        group = int(gid_s) if ID_RE.match(gid_s) else None
        if group is None or USERS[email][2] != group:
            raise ApiError(404, "no such resource")
        if method == "OPTIONS":
            return 200, {"methods": served}, {"Allow": allow}
        if body_err is not None and method in ("POST", "PUT"):
            raise body_err
        if cid_s is None:
            if method in ("GET", "HEAD"):
                return self.list(group, pairs)
            return self.create(group, raw)
        cid = int(cid_s) if ID_RE.match(cid_s) else None
        if method in ("GET", "HEAD"):
            return 200, render(self.lookup(group, cid)), {}
        if method == "DELETE":
            with LOCK:
                c = self.lookup(group, cid)
                c["deleted"] = True
                c["updated_at"] = now_str(group)   # every DELETE touches updated_at
                return 200, render(c), {}
        return self.update(group, cid, raw)

    @staticmethod
    def lookup(group, cid):
        c = CALS.get(cid) if cid is not None else None
        if c is None or c["group_id"] != group:
            raise ApiError(404, "no such resource")
        return c

    # -- login ------------------------------------------------------------------
    def login(self, method, pairs, raw, body_err, suffix):
        if suffix == ".xml":
            raise ApiError(404, "no such resource")
        if method == "OPTIONS":
            return 200, {"methods": ["POST", "OPTIONS"]}, {"Allow": ALLOW_LOGIN}
        if method != "POST":
            raise ApiError(405, "%s is not available on this resource" % method,
                           headers={"Allow": ALLOW_LOGIN})
        if body_err is not None:
            raise body_err
        params = list(pairs)
        if raw:
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype or raw.lstrip()[:1] == b"{":
                try:
                    d = json.loads(raw.decode("utf-8"))
                except Exception:
                    raise bad("body", "is not valid JSON")
                if isinstance(d, dict):
                    if isinstance(d.get("apikey"), str):
                        params.append(("apikey", d["apikey"]))
                    pro = d.get("pro")
                    if isinstance(pro, dict):
                        for k in ("email", "password"):
                            if isinstance(pro.get(k), str):
                                params.append(("pro[%s]" % k, pro[k]))
            else:
                try:
                    params += parse_query(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    raise bad("body", "is not valid UTF-8")
        key = first(params, "apikey")
        unauth = {"WWW-Authenticate": 'Basic realm="ClicRDV API v1", charset="UTF-8"'}
        if key != APIKEY:
            raise ApiError(401, "the apikey is missing or unknown", headers=unauth)
        email, pwd = first(params, "pro[email]"), first(params, "pro[password]")
        u = USERS.get(email or "")
        if u is None or pwd is None or \
                pwd.lower() != hashlib.sha1(u[0].encode()).hexdigest():
            raise ApiError(401, "wrong email or password", headers=unauth)
        sid = secrets.token_hex(20)
        with LOCK:
            SESSIONS[sid] = email
        g = u[2]
        pro = {"id": u[1], "email": email, "firstname": "QA", "lastname": "Six",
               "group_id": g, "created_at": "2023-01-05 09:00:00",
               "updated_at": "2024-06-01 12:00:00"}
        extra = {"Set-Cookie": "_session_id=%s; path=/; HttpOnly; SameSite=Lax" % sid}
        return 200, {"pro": pro, "error": None}, extra

    # -- list -------------------------------------------------------------------
    def list(self, group, pairs):
        results_s = first(pairs, "results")
        start_s = first(pairs, "startIndex")
        if results_s is None:
            results = 25
        elif results_s == "all":
            results = "all"
        elif results_s.isdigit() and results_s.isascii() and int(results_s) >= 1:
            results = int(results_s)
        else:
            raise bad("results", "must be an integer >= 1 or 'all'")
        if start_s is None:
            page = 0
        elif start_s.isdigit() and start_s.isascii():
            page = int(start_s)
        else:
            raise bad("startIndex", "must be a page number >= 0")
        sort_s = first(pairs, "sort")
        dir_s = first(pairs, "dir")
        if sort_s is not None and sort_s not in READABLE:
            raise bad("sort", "is not a readable field")
        if dir_s is not None and dir_s.lower() not in ("asc", "desc"):
            raise bad("dir", "must be asc or desc")
        ints = list_param(pairs, "intervention_ids")
        sets = list_param(pairs, "calendarset_ids")
        search = first(pairs, "search")
        conds = parse_conditions(pairs)
        with LOCK:
            recs = [render(c) for c in CALS.values() if c["group_id"] == group]
        if ints:
            need = set(ints)
            recs = [r for r in recs if need.issubset(r["intervention_ids"])]
        if sets:
            allowed = set(sets)
            recs = [r for r in recs if r["calendarset_id"] in allowed]
        if search:
            s = search.lower()
            recs = [r for r in recs if s in r["name"].lower() or s in r["publicname"].lower()]
        for field, op, val, vals in conds:
            recs = [r for r in recs if cond_holds(r, field, op, val, vals)]
        recs.sort(key=lambda r: r["id"])
        desc = dir_s is not None and dir_s.lower() == "desc"
        key_field = sort_s if sort_s is not None else ("updated_at" if dir_s is not None else None)
        if key_field is not None:
            # ascending: nulls first, folded collation, ties by id; descending: exact mirror
            recs.sort(key=lambda r: (sort_key(key_field, r[key_field]), r["id"]), reverse=desc)
        total = len(recs)
        if results == "all":
            size = total
            start = page * total
            page_recs = recs[start:] if page == 0 else []
        else:
            size = min(results, PAGE_CAP)
            start = page * size
            page_recs = recs[start:start + size]
        env = {"records": page_recs, "totalRecords": total, "startIndex": page,
               "recordsReturned": len(page_recs), "pageSize": size,
               "sort": sort_s, "dir": dir_s}
        return 200, env, {}

    # -- create / update ------------------------------------------------------------
    def check_refs(self, group, changes, is_post):
        if "group_id" in changes and changes["group_id"] != group:
            if is_post:
                # the path decides the group: a body group_id is not read on create
                changes.pop("group_id")
            else:
                raise bad("group_id", "cannot be changed (must be %d)" % group)
        cs = changes.get("calendarset_id")
        if cs is not None and CALENDARSETS.get(cs) != group:
            raise ApiError(404, "calendarset %s does not exist" % cs,
                           [("calendarset_id", "does not exist")])

    def create(self, group, raw):
        changes, problems = read_calendar_body(raw or b"", True, group)
        if problems:
            raise ApiError(400, "Validation failed: " + "; ".join("%s %s" % p for p in problems),
                           problems)
        self.check_refs(group, changes, True)
        with LOCK:
            cid = new_id()
            stamp = now_str(group)
            c = dict(DEFAULTS)
            c.update({"id": cid, "group_id": group, "created_at": stamp, "updated_at": stamp,
                      "_interventions": []})
            if "sort" not in changes or changes["sort"] is None:
                sorts = [x["sort"] for x in CALS.values() if x["group_id"] == group]
                c["sort"] = (max(sorts) + 1) if sorts else 1
            c.update(changes)
            CALS[cid] = c
            return 201, render(c), {"Location": "/api/v1/groups/%d/calendars/%d" % (group, cid)}

    def update(self, group, cid, raw):
        changes, problems = read_calendar_body(raw or b"", False, group)
        if problems:
            raise ApiError(400, "Validation failed: " + "; ".join("%s %s" % p for p in problems),
                           problems)
        self.check_refs(group, changes, False)
        with LOCK:
            c = self.lookup(group, cid)
            changes.pop("group_id", None)
            moved = any(c[k] != v or type(c[k]) is not type(v) for k, v in changes.items())
            c.update(changes)
            if moved:
                c["updated_at"] = now_str(group)
            return 200, render(c), {}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = ap.parse_args()
    Handler.verbose = args.verbose
    srv = Server(("127.0.0.1", args.port), Handler)
    print("sixth_server listening on http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
