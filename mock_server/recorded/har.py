"""A HAR 1.2 file (from `calendar-mock proxy --record`, a browser or Postman) read as the Calendar
API calls it holds, in time order.

An entry is an API call when its URL path is one of the spec's paths (with or without `.json`);
other hosts' files, pages, images and CORS preflights (OPTIONS) are counted and left out. Each
is an `ApiCall` (calls.py), whose masked secrets are unknown. A file that is not HAR raises
`HarError` naming the file, the entry and the field.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from calendar_spec import load_spec
from calendar_spec.walk import operations_by_id, path_pattern, path_suffixes

from .calls import ApiCall

__all__ = ["ApiCall", "HarError", "Recording", "read_har", "recording_of"]

# The comment `calendar-mock proxy --record` gives a body it kept only the start of
# (mock_server/proxy/har.py, body_text).
CUT_COMMENT = re.compile(r"cut to its first \d+ bytes")


class HarError(ValueError):
    """Not a HAR file this kit can read: the message names the file, the entry and the field."""


@functools.cache
def _routes() -> tuple[tuple[re.Pattern[str], dict[str, str]], ...]:
    """(pattern of a spec path, METHOD -> operationId), the most specific path first."""
    spec = load_spec("mock")
    suffixes = path_suffixes(spec)
    by_template: dict[str, dict[str, str]] = {}
    for operation_id, (method, template, _) in operations_by_id(spec).items():
        by_template.setdefault(template, {})[method] = operation_id
    ordered = sorted(by_template.items(), key=lambda item: -item[0].count("/"))
    return tuple((path_pattern(template, suffixes), methods) for template, methods in ordered)


@dataclass
class Recording:
    """The API calls of one HAR file, in time order, and what was left out."""

    source: str
    entries: int
    calls: list[ApiCall] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> entries
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.source}: {self.entries} entries, {len(self.calls)} API calls"
        if self.left_out:
            text += " (left out: " + ", ".join(f"{n} {why}" for why, n in self.left_out.most_common()) + ")"
        return text


def read_har(path: str | Path) -> Recording:
    """The API calls of the HAR file at `path`; HarError when it cannot be read as HAR 1.2."""
    source = str(path)
    try:
        # utf-8-sig: HAR 1.2 asks readers to accept a byte order mark.
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise HarError(f"{source}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise HarError(f"{source}: not UTF-8 text, so not a HAR file") from None
    except ValueError as error:
        raise HarError(f"{source}: not JSON, so not a HAR file: {error}") from None
    return recording_of(document, source)


def recording_of(document: Any, source: str = "HAR") -> Recording:
    """The API calls of a HAR document already parsed."""
    log = _member(document, "log", dict, source, "the top level")
    entries = _member(log, "entries", list, source, "log")
    recording = Recording(source, len(entries))
    found: list[tuple[datetime | None, ApiCall]] = []
    for index, entry in enumerate(entries):
        where = f"log.entries[{index}]"
        if not isinstance(entry, dict):
            raise HarError(f"{source}: {where}: an entry must be an object, not {type(entry).__name__}")
        call, reason = _call(entry, index, source, where)
        if call is None:
            recording.left_out[reason] += 1
        else:
            found.append((_started(entry, source, where), call))
    if found and all(started is not None for started, _ in found):
        found.sort(key=lambda item: item[0])  # type: ignore[arg-type,return-value]  # stable: ties keep file order
    elif found:
        recording.notes.append("some entries have no startedDateTime: calls kept in file order")
    recording.calls = [call for _, call in found]
    origins = sorted({call.origin for call in recording.calls})
    if len(origins) > 1:
        recording.notes.append(f"API calls to {len(origins)} hosts: {', '.join(origins)}")
    return recording


def _call(entry: dict[str, Any], index: int, source: str, where: str) -> tuple[ApiCall | None, str]:
    request = _member(entry, "request", dict, source, where)
    response = _member(entry, "response", dict, source, where)
    method = _member(request, "method", str, source, f"{where}.request").upper()
    url = _member(request, "url", str, source, f"{where}.request")
    status = _member(response, "status", int, source, f"{where}.response")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None, "not HTTP"
    path = unquote(parts.path)
    route = next(((found, methods) for pattern, methods in _routes()
                  if (found := pattern.fullmatch(path))), None)
    if route is None:
        return None, "not the API (other paths or hosts)"
    if method == "OPTIONS":
        return None, "CORS preflights"
    if status == 0:
        return None, "without an answer (status 0)"
    matched, methods = route
    post = request.get("postData") if isinstance(request.get("postData"), dict) else {}
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    request_headers = _headers(request, source, f"{where}.request", with_cookies=True)
    response_headers = _headers(response, source, f"{where}.response")
    return ApiCall(
        entry=index, started=str(entry.get("startedDateTime", "")), method=method,
        origin=f"{parts.scheme}://{parts.netloc}", path=path,
        operation=methods.get(method) or next(iter(methods.values())), served=method in methods,
        path_values=matched.groupdict(), query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        request_headers=request_headers,
        request_mime=str(post.get("mimeType") or _first(request_headers, "content-type") or ""),
        request_text=_post_text(post, source, f"{where}.request.postData"),
        status=status, response_headers=response_headers,
        response_mime=str(content.get("mimeType") or _first(response_headers, "content-type") or ""),
        response_text=_content_text(content, source, f"{where}.response.content"),
        response_cut=_cut(content),
    ), ""


def _member(owner: Any, name: str, kind: type, source: str, where: str) -> Any:
    if not isinstance(owner, dict):
        raise HarError(f"{source}: {where}: must be an object")
    if name not in owner:
        raise HarError(f"{source}: {where}: the field {name!r} is missing (HAR 1.2)")
    value = owner[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise HarError(f"{source}: {where}.{name}: must be {_KINDS[kind]}, not {json.dumps(value)[:60]}")
    return value


_KINDS = {dict: "an object", list: "an array", str: "a string", int: "an integer"}


def _headers(owner: dict[str, Any], source: str, where: str, *, with_cookies: bool = False
             ) -> tuple[tuple[str, str], ...]:
    """The headers, names lower-cased; for a request, its `cookies` as a Cookie header when the
    recorder kept them apart."""
    listed = owner.get("headers", [])
    if not isinstance(listed, list):
        raise HarError(f"{source}: {where}.headers: must be an array of {{name, value}}")
    pairs = []
    for number, item in enumerate(listed):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise HarError(f"{source}: {where}.headers[{number}]: must be an object with a string 'name'")
        pairs.append((item["name"].lower(), str(item.get("value", ""))))
    cookies = owner.get("cookies")
    if with_cookies and isinstance(cookies, list) and not any(name == "cookie" for name, _ in pairs):
        text = "; ".join(f"{c.get('name')}={c.get('value', '')}" for c in cookies if isinstance(c, dict))
        if text:
            pairs.append(("cookie", text))
    return tuple(pairs)


def _first(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in pairs if key == name), None)


def _post_text(post: dict[str, Any], source: str, where: str) -> str | None:
    if "text" in post:
        if not isinstance(post["text"], str):
            raise HarError(f"{source}: {where}.text: must be a string")
        return post["text"]
    params = post.get("params")
    if isinstance(params, list):  # a form some recorders keep as name/value pairs only
        pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params if isinstance(p, dict)]
        return urlencode(pairs)
    return None


def _content_text(content: dict[str, Any], source: str, where: str) -> str | None:
    text = content.get("text")
    if text is None:
        return None
    if not isinstance(text, str):
        raise HarError(f"{source}: {where}.text: must be a string")
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except binascii.Error:
            raise HarError(f"{source}: {where}.text: says base64 but is not") from None
    return text


def _cut(content: dict[str, Any]) -> str | None:
    """The recorder's comment when it kept only the start of the answer's body."""
    comment = content.get("comment")
    return comment if isinstance(comment, str) and CUT_COMMENT.fullmatch(comment.strip()) else None


def _started(entry: dict[str, Any], source: str, where: str) -> datetime | None:
    value = entry.get("startedDateTime")
    if value is None:
        return None
    try:
        started = datetime.fromisoformat(str(value))
    except ValueError:
        raise HarError(f"{source}: {where}.startedDateTime: {value!r} is not an ISO 8601 date-time") from None
    return started if started.tzinfo else started.replace(tzinfo=UTC)
