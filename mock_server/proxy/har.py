"""HAR 1.2 files (http://www.softwareishard.com/blog/har-12-spec/): one entry per exchange,
secrets masked, written as they come.

Any tool can use it: `har_entry(...)` builds an entry from plain values, masking the apikey in
the query and in a JSON or form body, `pro[password]`, the password of Basic credentials (any
other Authorization whole) and the `_session_id` cookie, in Cookie and Set-Cookie, as
mock_server.recorded reads them back; `HarWriter` appends entries to a file that is a complete
HAR document after every flush - every `flush_every` entries and on `close` - so a crash loses
at most the entries not yet flushed, and memory holds no more than those.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from ..replies import json_bytes
from ..traffic.journal import MASK, is_secret, mask_body, mask_text
from ..wsgi import query_pairs

HAR_VERSION = "1.2"
MAX_TEXT = 256 * 1024  # characters of a body kept in an entry; a longer one is cut, and says so
_SESSION = re.compile(r"(?i)(_session_id=)[^;,]*")
_TAIL = b"\n]}}\n"


def mask_header(name: str, value: str) -> str:
    """The header with its secret masked: a Basic password (the user stays readable, so that a
    recording still says who called), any other credentials whole, the session cookie."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, colon, _ = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                colon = ""
            if colon:
                return f"{scheme} {base64.b64encode(f'{user}:{MASK}'.encode()).decode()}"
        return f"{scheme} {MASK}".strip() if token else MASK
    if lowered in ("cookie", "set-cookie"):
        return _SESSION.sub(lambda found: found[1] + MASK, value)
    return value


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pieces = []
    for piece in parts.query.split("&"):
        name = query_pairs(piece)[0][0] if piece else ""
        pieces.append(f"{piece.partition('=')[0]}={MASK}" if is_secret(name) else piece)
    return urlunsplit(parts._replace(query="&".join(pieces)))


def body_text(raw: bytes | None, mimetype: str, missing: str = "") -> tuple[str | None, str | None]:
    """The body as HAR text, secrets masked, and a comment when it was cut; (None, why) for a body
    that was not kept (`missing`): HAR leaves `text` out then, and an empty one would read as data."""
    if raw is None:
        return None, missing or "the body was not kept"
    if not raw:
        return "", None
    comment = None
    if len(raw) > MAX_TEXT:
        raw, comment = raw[:MAX_TEXT], f"cut to its first {MAX_TEXT} bytes"
    text = raw.decode("utf-8", "replace")
    if "json" in mimetype and comment is None:
        try:
            return json.dumps(mask_body(json.loads(text)), ensure_ascii=False), None
        except (ValueError, RecursionError):
            pass
    if mimetype.endswith("x-www-form-urlencoded"):
        return "&".join(f"{name}={MASK if is_secret(name) else value}"
                        for name, value in query_pairs(text)), comment
    return mask_text(text), comment  # a body of another type, or cut: its secrets found as text


def _pairs(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": mask_header(name, value)} for name, value in headers]


def _cookies(headers: Iterable[tuple[str, str]], header: str) -> list[dict[str, Any]]:
    found = []
    for name, value in headers:
        if name.lower() != header:
            continue
        parts = [value] if header == "set-cookie" else value.split(";")
        for part in parts:
            key, _, rest = part.split(";", 1)[0].strip().partition("=")
            if key:
                found.append({"name": key, "value": MASK if is_secret(key) else rest})
    return found


def _mimetype(headers: Iterable[tuple[str, str]]) -> str:
    return next((value for name, value in headers if name.lower() == "content-type"), "")


def har_entry(*, started: float, duration_ms: float, method: str, url: str,
              request_headers: list[tuple[str, str]], request_body: bytes | None, request_size: int,
              status: int, status_text: str,
              response_headers: list[tuple[str, str]], response_body: bytes | None, response_size: int,
              http_version: str = "HTTP/1.1", wait_ms: float | None = None,
              response_missing: str = "") -> dict[str, Any]:
    """One HAR entry; sizes are the whole bodies' (a body may be kept only in part). A body given
    as None was not kept: its entry has no `text`, and a comment saying why (`response_missing`)."""
    request_type, response_type = _mimetype(request_headers), _mimetype(response_headers)
    request: dict[str, Any] = {
        "method": method, "url": mask_url(url), "httpVersion": http_version,
        "headers": _pairs(request_headers), "cookies": _cookies(request_headers, "cookie"),
        "queryString": [{"name": name, "value": MASK if is_secret(name) else value}
                        for name, value in query_pairs(urlsplit(url).query)],
        "headersSize": -1, "bodySize": request_size,
    }
    if request_size or request_body:
        text, comment = body_text(request_body, request_type.split(";")[0].strip().lower(),
                                  "the body was too large to keep: not recorded")
        request["postData"] = {"mimeType": request_type, "params": [],
                               **({"text": text} if text is not None else {})}
        if comment:
            request["postData"]["comment"] = comment
    text, comment = body_text(response_body, response_type.split(";")[0].strip().lower(), response_missing)
    content: dict[str, Any] = {"size": response_size, "mimeType": response_type,
                               **({"text": text} if text is not None else {})}
    if comment:
        content["comment"] = comment
    location = next((value for name, value in response_headers if name.lower() == "location"), "")
    wait = duration_ms if wait_ms is None else wait_ms
    return {
        "startedDateTime": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": round(duration_ms, 3),
        "request": request,
        "response": {
            "status": status, "statusText": status_text, "httpVersion": http_version,
            "headers": _pairs(response_headers), "cookies": _cookies(response_headers, "set-cookie"),
            "content": content, "redirectURL": location, "headersSize": -1, "bodySize": response_size,
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": round(wait, 3),
                    "receive": round(max(0.0, duration_ms - wait), 3), "ssl": -1},
    }


class HarWriter:
    """Entries appended to a HAR file, thread-safe; the file is whole after every flush."""

    def __init__(self, path: str | os.PathLike[str], creator: str, version: str,
                 flush_every: int = 20) -> None:
        self.path = Path(path)
        self.flush_every = max(1, flush_every)
        self._pending: list[bytes] = []
        self._written = 0
        self._lock = threading.Lock()
        head = {"log": {"version": HAR_VERSION, "creator": {"name": creator, "version": version},
                        "pages": [], "entries": []}}
        opening = json.dumps(head)[: -len("]}}")].encode()  # ...,"entries": [
        self._file: IO[bytes] | None = self.path.open("w+b")
        self._file.write(opening + _TAIL)
        self._file.flush()

    def add(self, entry: dict[str, Any]) -> None:
        encoded = json_bytes(entry)
        with self._lock:
            self._pending.append(encoded)
            if len(self._pending) >= self.flush_every:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if not self._pending or self._file is None:
            return
        self._file.seek(-len(_TAIL), os.SEEK_END)
        self._file.write((b",\n" if self._written else b"\n") + b",\n".join(self._pending) + _TAIL)
        self._file.truncate()
        self._file.flush()
        self._written += len(self._pending)
        self._pending.clear()

    @property
    def entries_written(self) -> int:
        return self._written

    def close(self) -> None:
        with self._lock:
            self._flush()
            if self._file is not None:
                self._file.close()
                self._file = None
