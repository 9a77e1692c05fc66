"""One API request read straight off the WSGI environ, by the rules werkzeug reads it with.

The API path does not go through Flask's request object: building it was the largest
single cost of a request. Nor does it import werkzeug: under granian the API answers before
Flask (and werkzeug) is ever loaded, and importing werkzeug's parsers would cost a tenth of
the cold start and 4 MB (benchmarks/RESULTS.md, "Decisions measured once"). So the four rules
it needs are restated here, werkzeug's behaviour on odd input included; tests/test_api_request.py
holds each to werkzeug's on random input, and the hostile-input tests send the same requests
through both paths. `query_pairs` also remembers decoded names: a long query repeats them.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote, unquote

from ..errors import BadRequest

# Set by a server that saw the body end early (a chunked body cut short, a client gone).
BODY_INCOMPLETE = "calendar_mock.body_incomplete"
_UNDECODABLE = re.compile("[\udc80-\udcff]+")
_PLAIN_INT = re.compile(r"-?\d+", re.ASCII)
_COOKIE_ESCAPE = re.compile(r"\\([0-3][0-7]{2}|.)")


def _requote(match: re.Match[str]) -> str:
    return quote(match[0].encode("utf-8", "surrogateescape"), safe="")


def _unescape_cookie(match: re.Match[str]) -> str:
    escaped = match[1]
    return escaped if len(escaped) == 1 else chr(int(escaped, 8))


def wsgi_text(value: str) -> str:
    """A WSGI string (bytes as latin-1) as the UTF-8 text the client meant."""
    return value.encode("latin-1").decode(errors="replace")


def query_pairs(query_string: str) -> list[tuple[str, str]]:
    """Every pair, as `parse_qsl(keep_blank_values=True)` reads them; a percent escape that is
    not UTF-8 stays percent-encoded (as werkzeug keeps it).

    parse_qsl's own loop, with the percent-decoding of names and short values remembered: a
    long query repeats them (`intervention_ids%5B%5D` a thousand times, `%3E%3D`), and decoding
    them again was most of what a 60 KiB query cost (benchmarks, section `worst`)."""
    pairs = []
    for part in query_string.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((_remembered(name), _remembered(value) if len(value) <= 32 else _decoded(value)))
    return pairs


def _decoded(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    return _UNDECODABLE.sub(_requote, unquote(text, errors="surrogateescape"))


@functools.lru_cache(maxsize=4096)
def _remembered(text: str) -> str:
    return _decoded(text)


def content_length(environ: dict[str, Any]) -> int | None:
    """The declared body length: None for a chunked body or none declared, 0 for nonsense."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    declared = environ.get("CONTENT_LENGTH")
    if declared is None:
        return None
    declared = declared.strip(" \t")
    if not _PLAIN_INT.fullmatch(declared):
        return 0
    try:
        return max(0, int(declared))
    except ValueError:  # more digits than Python parses (4,300): nonsense, as werkzeug reads it
        return 0


def cookie_value(header: str, name: str) -> str | None:
    """The first value of cookie `name` in a Cookie header; quoted values unquoted."""
    for part in header.split(";"):
        key, separator, value = part.partition("=")
        if key.strip(" \t") != name:
            continue
        value = value.strip(" \t") if separator else ""
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _COOKIE_ESCAPE.sub(_unescape_cookie, value[1:-1])
        return value
    return None


def query_args(query_string: str) -> dict[str, list[str]]:
    """Every value of every key, in the order given."""
    args: dict[str, list[str]] = {}
    for key, value in query_pairs(query_string):
        args.setdefault(key, []).append(value)
    return args


def request_path(environ: dict[str, Any]) -> str:
    return "/" + wsgi_text(environ.get("PATH_INFO") or "").lstrip("/")


class ApiRequest:
    """The parts of a request the API reads; the body is read once, on first use."""

    __slots__ = ("_data", "environ", "max_body", "method", "path", "query_string")

    def __init__(self, environ: dict[str, Any], max_body: int) -> None:
        self.environ = environ
        self.max_body = max_body
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = request_path(environ)
        self.query_string = wsgi_text(environ.get("QUERY_STRING") or "")
        self._data: bytes | None = None

    def args(self) -> dict[str, list[str]]:
        return query_args(self.query_string)

    @property
    def mimetype(self) -> str:
        return self.environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip(" \t").lower()

    @property
    def authorization(self) -> str | None:
        return self.environ.get("HTTP_AUTHORIZATION")

    def cookie(self, name: str) -> str | None:
        header = self.environ.get("HTTP_COOKIE")
        return cookie_value(header, name) if header else None

    def data(self) -> bytes:
        """The body, at most `max_body` bytes; a larger one is refused (400, the API has no 413)."""
        if self._data is None:
            length = content_length(self.environ)  # None: chunked, or no length given
            if length is not None and length > self.max_body:
                raise self._too_large()
            if length is None and not self.environ.get("wsgi.input_terminated"):
                data = b""  # a stream of unknown end is not read (werkzeug's safe fallback)
            else:
                data = self.environ["wsgi.input"].read(self.max_body + 1 if length is None else length)
            if len(data) > self.max_body:
                raise self._too_large()
            if (length is not None and len(data) < length) or self.environ.get(BODY_INCOMPLETE):
                raise BadRequest.field("body", "ended before it was complete (the client stopped sending)")
            self._data = data
        return self._data

    def _too_large(self) -> BadRequest:
        return BadRequest.field("body", f"is larger than {self.max_body} bytes")

    def form(self) -> dict[str, list[str]]:
        """A form-encoded body's fields, every value of every key."""
        return query_args(self.data().decode(errors="replace"))

    def journal_body(self) -> bytes | None:
        """The body for the journal: what was read, or a small unread one; never a large one."""
        if self._data is None:
            length = content_length(self.environ)
            if not length or length > self.max_body:
                return None
            try:
                self.data()
            except BadRequest:
                return None
        return self._data
