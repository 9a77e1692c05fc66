"""Real traffic recorded as HAR 1.2, for the tests of seed-from-har and replay.

`HarRecorder` is a WSGI middleware around a real mock: every exchange becomes a HAR entry, with
the secrets masked as `calendar-mock proxy --record` masks them (apikey values, the Basic
password or the whole header, pro[password], the `_session_id` cookie). Only for tests: the
proxy's own HAR writer (mock_server/proxy/har.py) records real deployments.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from contract_tests.client import Api, Identity
from contract_tests.http import WsgiTransport

MASK = "***"
SECRET_PARAMS = frozenset({"apikey", "pro[password]"})


class HarRecorder:
    """Records what passes through to `app` as HAR entries at `origin`. `basic="password"` masks
    the password of a Basic header (the user stays readable), `basic="whole"` the whole header."""

    def __init__(self, app: Any, origin: str = "https://www.clicrdv.example", basic: str = "password"
                 ) -> None:
        self.app, self.origin, self.basic = app, origin, basic
        self.entries: list[dict[str, Any]] = []
        self._clock = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer.update(status=int(status.split()[0]), headers=headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, keep)
        try:
            content = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        self.entries.append(self._entry(environ, body, answer["status"], answer["headers"], content))
        return [content]

    def _entry(self, environ: dict[str, Any], body: bytes, status: int, headers: list[tuple[str, str]],
               content: bytes) -> dict[str, Any]:
        self._clock += timedelta(seconds=1)
        query = masked_query(environ.get("QUERY_STRING", ""))
        request_headers = [{"name": name[5:].replace("_", "-").title(), "value": str(value)}
                           for name, value in environ.items() if name.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            request_headers.append({"name": "Content-Type", "value": environ["CONTENT_TYPE"]})
        for header in request_headers:
            header["value"] = self._masked_header(header["name"], header["value"])
        entry: dict[str, Any] = {
            "startedDateTime": self._clock.isoformat(), "time": 1.0,
            "request": {"method": environ["REQUEST_METHOD"], "httpVersion": "HTTP/1.1",
                        "url": f"{self.origin}{environ['PATH_INFO']}" + (f"?{query}" if query else ""),
                        "headers": request_headers, "cookies": [], "headersSize": -1, "bodySize": len(body),
                        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, True)]},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": k, "value": self._masked_header(k, v)} for k, v in headers],
                         "cookies": [], "redirectURL": "", "headersSize": -1, "bodySize": len(content),
                         "content": {"size": len(content), "mimeType": dict(headers).get("Content-Type", ""),
                                     "text": content.decode("utf-8", "replace")}},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
        }
        if body:
            entry["request"]["postData"] = {"mimeType": environ.get("CONTENT_TYPE", ""),
                                            "text": masked_body(body.decode("utf-8", "replace"),
                                                                environ.get("CONTENT_TYPE", ""))}
        return entry

    def _masked_header(self, name: str, value: str) -> str:
        lower = name.lower()
        if lower == "authorization":
            if self.basic == "whole":
                return f"Basic {MASK}"
            user = base64.b64decode(value.split(" ", 1)[1]).decode().partition(":")[0]
            return "Basic " + base64.b64encode(f"{user}:{MASK}".encode()).decode()
        if lower in ("cookie", "set-cookie"):
            return re.sub(r"(_session_id=)[^;]*", rf"\g<1>{MASK}", value)
        return value

    def har(self, extra: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
        return {"log": {"version": "1.2", "creator": {"name": "tests/har_recording.py", "version": "1"},
                        "entries": [*self.entries, *extra]}}

    def write(self, path: Path, extra: Iterable[dict[str, Any]] = ()) -> Path:
        path.write_text(json.dumps(self.har(extra), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if k in SECRET_PARAMS else v) for k, v in pairs]) if pairs else query


def masked_body(text: str, content_type: str) -> str:
    if "form-urlencoded" in content_type:
        return masked_query(text)
    try:
        document = json.loads(text)
    except ValueError:
        return text
    if isinstance(document, dict) and "apikey" in document:
        document["apikey"] = MASK
    return json.dumps(document, ensure_ascii=False)


def recording_api(recorder: HarRecorder, identity: Identity) -> Api:
    """The suite's own client, its requests going through `recorder`."""
    return Api(WsgiTransport(recorder), identity, [])


def browser_noise(origin: str = "https://www.clicrdv.example") -> list[dict[str, Any]]:
    """What a browser's HAR holds besides the API: a page, a script, an image on a CDN, a CORS
    preflight, an analytics call and a request that never got an answer."""

    def entry(method: str, url: str, status: int, mime: str, text: str | None) -> dict[str, Any]:
        content = {"size": len(text or ""), "mimeType": mime, **({"text": text} if text is not None else {})}
        return {"startedDateTime": "2026-03-02T08:59:00+00:00", "time": 3,
                "request": {"method": method, "url": url, "httpVersion": "HTTP/2", "headers": [],
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": status, "statusText": "", "httpVersion": "HTTP/2", "headers": [],
                             "cookies": [], "content": content, "redirectURL": "", "headersSize": -1,
                             "bodySize": -1},
                "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}

    return [
        entry("GET", f"{origin}/pro/agenda", 200, "text/html", "<html><body>Agenda</body></html>"),
        entry("GET", "https://cdn.example.net/app.js", 200, "application/javascript", "console.log(1)"),
        entry("GET", "https://cdn.example.net/logo.png", 200, "image/png", None),
        entry("OPTIONS", f"{origin}/api/v1/groups/7/calendars", 204, "", ""),
        entry("POST", "https://analytics.example.org/collect?v=1", 200, "application/json", '{"ok": true}'),
        entry("GET", f"{origin}/api/v1/groups/7/calendars/101", 0, "", None),
    ]


def cut_as_the_proxy_cuts(content: dict[str, Any]) -> None:
    """A recorded answer's `content` as `calendar-mock proxy --record` keeps a body past its
    limit: the first half of the body, padded past the limit so that the proxy's own writer
    cuts it and words the comment."""
    from mock_server.proxy.har import MAX_TEXT, body_text

    raw = content["text"].encode()
    padded = raw[: len(raw) // 2] + b" " * MAX_TEXT
    content["text"], content["comment"] = body_text(padded, "application/json")
