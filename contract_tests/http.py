"""One small HTTP client for the suite's own requests: real HTTP (requests) or in-process (WSGI).

Every request becomes an `Exchange`: what was sent, what came back, and a curl line with the
secrets masked (`[Filtered]`, as schemathesis prints them). The client never stores cookies:
a check that wants the session cookie sends it explicitly, so "no credentials" means none.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import shlex
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException, RemoteDisconnected
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit

import requests
import urllib3.exceptions

from .bounded_http import (
    AnswerTooLarge,
    BoundedAdapter,
    Unreachable,
    UnusableAnswer,
    WholeAnswerLate,
)
from .spec_facts import template_of

MASK = "[Filtered]"
SECRET_QUERY_KEYS = frozenset({"apikey", "pro[password]"})
SECRET_BODY_KEYS = frozenset({"apikey", "password", "pro[password]"})
WSGI_BASE_URL = "http://localhost"
_NO_JSON = object()
Params = Sequence[tuple[str, Any]] | Mapping[str, Any] | None

def operation_label(method: str, path: str) -> str:
    """`METHOD template` of the spec's path a request went to (or its own path)."""
    return f"{method.upper()} {template_of(path) or path}"


@dataclass
class Exchange:
    """One request the suite sent and the answer it got."""

    method: str
    base_url: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    header_pairs: list[tuple[str, str]]  # as received: names lower-cased, repeats kept
    content: bytes
    # (value, problem) once decoded: a body is read by several checks, and decoding is the cost
    _decoded: tuple[Any, str] | None = field(default=None, repr=False, compare=False)

    @property
    def headers(self) -> dict[str, str]:
        """One value per header name (the first, for a repeated one such as Set-Cookie)."""
        first: dict[str, str] = {}
        for name, value in self.header_pairs:
            first.setdefault(name, value)
        return first

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.header_pairs if key == name.lower()]

    def session_cookie(self) -> str | None:
        """`_session_id=<token>` from any of the Set-Cookie headers (their order is not fixed)."""
        for value in self.header_values("set-cookie"):
            pair = value.split(";", 1)[0].strip()
            if pair.startswith("_session_id=") and len(pair) > len("_session_id="):
                return pair
        return None

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def operation(self) -> str:
        return operation_label(self.method, self.path)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def _decoded_body(self) -> tuple[Any, str]:
        if self._decoded is None:
            self._decoded = _decoded(self.content) if self.content.strip() else (_NO_JSON, "empty body")
        return self._decoded

    def json(self) -> Any:
        """The decoded body, or None when it is not JSON."""
        value = self._decoded_body()[0]
        return None if value is _NO_JSON else value

    def is_json(self) -> bool:
        return not self._decoded_body()[1]

    def json_problem(self) -> str:
        """Why the body is not JSON (RFC 8259), or "" when it is."""
        return self._decoded_body()[1]

    def body_text(self, limit: int = 300) -> str:
        text = self.content.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "…"

    def summary(self) -> str:
        """`STATUS body` as shown in a failure report."""
        return f"{self.status} {self.body_text()}".strip()

    def typed_summary(self) -> str:
        """`STATUS, Content-Type ...: body`, for a failure about the body's media type."""
        return f"{self.status}, Content-Type {self.content_type!r}: {self.body_text(120)}"

    def curl(self) -> str:
        return curl_line(self)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _decoded(content: bytes) -> tuple[Any, str]:
    """`content` as JSON (RFC 8259) and "", or _NO_JSON and why not: Python's reader also takes
    NaN and Infinity, which JSON has not and browsers' JSON.parse refuses, and recurses as deep
    as a body nests (100,000 levels raised RecursionError through the whole run)."""
    try:
        return json.loads(content.decode("utf-8"), parse_constant=_not_json), ""
    except RecursionError:
        return _NO_JSON, "nested deeper than the suite reads"
    except (ValueError, UnicodeDecodeError) as error:
        return _NO_JSON, str(error)[:200]


def _masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key in SECRET_QUERY_KEYS for key, _ in pairs):
        return query
    return urlencode([(key, MASK if key in SECRET_QUERY_KEYS else value) for key, value in pairs])


def masked_secrets(text: str, query: str) -> str:
    """`text` (an error naming the request's URL, as sent or decoded) with the values of the
    query's secret parameters masked: such messages reach reports and CI logs."""
    for part in query.split("&"):
        name, _, raw = part.partition("=")
        if raw and unquote_plus(name) in SECRET_QUERY_KEYS:
            value = unquote_plus(raw)
            for form in sorted({raw, value, quote(value, safe="")}, key=len, reverse=True):
                text = text.replace(form, MASK)
    return text


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if k in SECRET_BODY_KEYS else _mask_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(item) for item in value]
    return value


def _masked_body(body: bytes, content_type: str) -> str:
    text = body.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.dumps(_mask_json(json.loads(text)), ensure_ascii=False)
        except ValueError:
            return text
    if "form-urlencoded" in content_type:
        return _masked_query(text)
    return text


def curl_line(exchange: Exchange) -> str:
    """The request as a curl command, apikey / password / session masked."""
    query = _masked_query(exchange.query)
    url = f"{exchange.base_url}{exchange.path}" + (f"?{query}" if query else "")
    parts = ["curl", "-X", exchange.method, shlex.quote(url)]
    content_type = ""
    for name, value in exchange.request_headers.items():
        lower = name.lower()
        if lower == "authorization":
            scheme, _, encoded = value.partition(" ")
            try:
                user = base64.b64decode(encoded).decode("utf-8").partition(":")[0]
            except ValueError:
                user = ""
            if scheme.lower() == "basic" and user:
                parts += ["-u", shlex.quote(f"{user}:{MASK}")]
            else:
                parts += ["-H", shlex.quote(f"Authorization: {MASK}")]
            continue
        if lower == "cookie":
            value = re.sub(r"(_session_id=)[^;]*", rf"\1{MASK}", value)
        if lower == "content-type":
            content_type = value
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        parts += ["-d", shlex.quote(_masked_body(exchange.request_body, content_type))]
    return " ".join(parts)


class Transport:
    base_url: str

    def send(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def twin(self) -> Transport:
        """A transport to the same place with its own connections (one pool per identity)."""
        return self


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False


class BadBaseUrl(ValueError):
    """A base URL no request can go to: a mistake in the options, not a deployment's fault."""


def check_base_url(base_url: str) -> None:
    """BadBaseUrl, naming the problem, for what is not `http(s)://host[:port][/prefix]`. The
    message never repeats the URL's user information (a password there would reach CI logs)."""
    try:
        parts = urlsplit(base_url)
        port = parts.port  # ValueError for a port out of range or not a number
    except ValueError as error:
        raise BadBaseUrl(f"--base-url is not a URL ({error})") from None
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    if parts.scheme not in ("http", "https"):
        raise BadBaseUrl(f"--base-url {shown}: must start with http:// or https:// "
                         "(e.g. https://sandbox.clicrdv.com)")
    if not parts.hostname or port == 0 or any(c.isspace() for c in base_url):
        raise BadBaseUrl(f"--base-url {shown}: names no host to reach")
    if parts.username is not None or parts.password is not None:
        raise BadBaseUrl("--base-url holds credentials (user:password@): give them as --user and --password, "
                         "which the reports mask")
    if parts.query or parts.fragment:
        raise BadBaseUrl(f"--base-url {shown.split('?')[0].split('#')[0]}: give it without a query or "
                         "fragment (the apikey goes in --apikey)")


class HttpTransport(Transport):
    def __init__(self, base_url: str, timeout: float = 30.0, pool_size: int = 10) -> None:
        check_base_url(base_url)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.pool_size = pool_size
        self.session = requests.Session()
        # Keep-alive connections, as many as requests may be in flight (--concurrency).
        adapter = BoundedAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.cookies.set_policy(_NoCookies())
        # No ~/.netrc credentials (they would turn "no credentials" checks into Basic requests);
        # proxies from the environment are still honoured.
        self.session.trust_env = False
        # ... which also drops the CA bundle requests reads from the environment: read it here, so
        # that a staging behind an internal CA is reached as schemathesis' requests reach it.
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        host = urlsplit(self.base_url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1") and not urllib.request.proxy_bypass(host):
            proxies = urllib.request.getproxies()
            self.session.proxies.update({k: v for k, v in proxies.items() if k in ("http", "https")})

    def send(self, method, path, query, headers, body):
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        request = requests.Request(method, url, headers=headers, data=body)
        prepared = self.session.prepare_request(request)
        # requests adds no Content-Type by itself for bytes; keep exactly what the check chose.
        try:
            response = self._send_resending_once(prepared)
        except requests.exceptions.SSLError as error:
            plain = "WRONG_VERSION_NUMBER" in str(error)
            hint = ("the port answers plain HTTP, not TLS: give http://" if plain
                    else "for a certificate of your own CA, give its file in REQUESTS_CA_BUNDLE")
            raise Unreachable(masked_secrets(f"{method} {url}: {error} - {hint}", query)) from error
        except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as error:
            raise _failure(error, f"{method} {url}", query) from error
        pairs = [(name.lower(), value) for name, value in response.raw.headers.items()]
        return response.status_code, pairs, response.content

    def _send_resending_once(self, prepared: requests.PreparedRequest) -> requests.Response:
        try:
            return self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
        except requests.ConnectionError as error:
            if not _dropped_before_response(error):
                raise
        # A deployment closes kept-alive connections it finds idle (2-5 s is common), and one may
        # close as a request goes out on it: like browsers and schemathesis, send it once more, on
        # a fresh connection (urllib3 left the dropped one out of the pool).
        return self.session.send(prepared, timeout=self.timeout, allow_redirects=False)

    def close(self) -> None:
        self.session.close()

    def twin(self) -> HttpTransport:
        return HttpTransport(self.base_url, self.timeout, self.pool_size)


def _failure(error: BaseException, request: str, query: str) -> Unreachable:
    """What a failed exchange tells the run, secrets masked: the server out of reach, or gone
    silent, or an answer it cannot use, and which."""
    def told(kind: type[Unreachable], text: str) -> Unreachable:
        # (an HTTP/0.9 peer's whole body came back inside the error: a few hundred characters do)
        text = text if len(text) <= 600 else text[:600] + "…"
        return kind(masked_secrets(f"{request}: {text}", query))

    if isinstance(error, AnswerTooLarge):
        return told(UnusableAnswer, str(error))
    if isinstance(error, WholeAnswerLate):
        return told(Unreachable, f"no whole answer within --timeout {error.seconds or 0:g} s (the answer "
                                 "came too slowly, or never ended)")
    reason = error.args[0] if error.args else None
    cause = reason.args[1] if isinstance(reason, urllib3.exceptions.ProtocolError) and len(reason.args) == 2 \
        else None
    if isinstance(error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return told(UnusableAnswer, f"the answer could not be read whole ({error})")
    if isinstance(cause, HTTPException) and not isinstance(cause, RemoteDisconnected):
        return told(UnusableAnswer, f"an answer HTTP/1.1 clients refuse ({cause})")
    return told(Unreachable, str(error))


def _dropped_before_response(error: requests.ConnectionError) -> bool:
    """The connection went away before any answer came (closed or reset by the other end)."""
    reason = error.args[0] if error.args else None
    return (isinstance(reason, urllib3.exceptions.ProtocolError) and len(reason.args) == 2
            and isinstance(reason.args[1], RemoteDisconnected | ConnectionResetError | BrokenPipeError
                           | ConnectionAbortedError))


class WsgiTransport(Transport):
    """Calls a WSGI app (the Flask mock, or a variant of it) in-process.

    The environ is werkzeug's (as its test client builds it); the answer is read as a server
    would send it, not wrapped in a test response: the wrapper cost more than the mock's own
    work (0.37 -> 0.23 ms a request) and gave an answer without a Content-Type one (text/plain),
    which no server adds. tests/test_wsgi_transport.py holds it to the same app over HTTP."""

    def __init__(self, app: Any) -> None:
        # Here, not at the module's top: a run by URL never loads werkzeug's test tools.
        from werkzeug.test import EnvironBuilder, run_wsgi_app

        self.app = app
        self.base_url = WSGI_BASE_URL
        self._environ_builder, self._run_wsgi_app = EnvironBuilder, run_wsgi_app

    def send(self, method, path, query, headers, body):
        # The request as HttpTransport sends it: a Content-Length for a body, and 0 for a method
        # that may carry one but has none (requests' rule); the answer as a server sends it: a
        # HEAD's without a body.
        length = len(body) if body else (None if method in ("GET", "HEAD") else 0)
        builder = self._environ_builder(path, method=method, query_string=query or None,
                                 headers=list(headers.items()), data=body or None, content_length=length)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        chunks, status, answer_headers = self._run_wsgi_app(self.app, environ, buffered=True)
        content = b"" if method == "HEAD" else b"".join(chunks)
        return _status_code(status), [(k.lower(), v) for k, v in answer_headers.items()], content


def _status_code(status: str) -> int:
    """The code a WSGI status line opens with; 0 for a line without one (as werkzeug reads it)."""
    code = status.split(None, 1)[0] if status.strip() else ""
    return int(code) if code.isascii() and code.isdigit() else 0


def encode_query(params: Params) -> str:
    if not params:
        return ""
    pairs: Iterable[tuple[str, Any]] = params.items() if isinstance(params, Mapping) else params
    flat: list[tuple[str, str]] = []
    for key, value in pairs:
        if isinstance(value, list | tuple):
            flat.extend((key, _text(item)) for item in value)
        elif value is not None:
            flat.append((key, _text(value)))
    return urlencode(flat)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def basic_header(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
