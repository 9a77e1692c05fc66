"""Reading a WSGI environ by the rules werkzeug reads it with: query, cookie, length, path.

The API does not go through Flask's request object (building it was the largest single cost
of a request), and it does not import werkzeug: under granian the API answers before
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
