"""An answer of the mock, and the one way it is written as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

JSON_TYPE = "application/json; charset=utf-8"
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)
    refusal: dict[str, Any] | None = None  # why the request was refused (error_reply), for the journal

    def wsgi(self, start_response: Any, *, head_only: bool = False) -> list[bytes]:
        """Start the WSGI response; the body to return."""
        headers, payload = self.encoded()
        start_response(status_line(self.status), headers)
        return [] if head_only else [payload]

    def encoded(self) -> tuple[list[tuple[str, str]], bytes]:
        """The headers and the JSON body, as any server sends them."""
        payload = encode_json(self.body)
        return [("Content-Type", JSON_TYPE), ("Content-Length", str(len(payload))), *self.headers], payload


def status_line(status: int) -> str:
    return STATUS_LINES.get(status, f"{status} Unknown")


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson, not json: a page of 10,000 calendars encodes in a seventh of
    the time (benchmarks/RESULTS.md, "Decisions measured once"). orjson holds integers of 64 bits; an
    echo of a larger one (`startIndex=10**30`) takes the slow path."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json_bytes(body, separators=(",", ":"))


def json_bytes(body: Any, **options: Any) -> bytes:
    """UTF-8 JSON of anything `json` encodes: a lone surrogate a client sent (JSON may spell
    `\\ud800`; no UTF-8 holds it) is written back as that escape, not an encoding error."""
    text = json.dumps(body, ensure_ascii=False, **options)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(body, ensure_ascii=True, **options).encode()
