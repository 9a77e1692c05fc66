"""A recorded call to the Calendar API and what it carried: its credentials as recorded (a
secret the recorder masked - `***`, `[Filtered]`, `REDACTED`... - is unknown, never a value),
its query, body and answer."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

# What recorders put in place of a secret; a value made only of these characters is masked too.
MASK_WORDS = frozenset({"filtered", "masked", "redacted", "hidden", "removed", "secret", "omitted"})
_MASK_CHARACTERS = frozenset("*•#")
FORM = "application/x-www-form-urlencoded"


def masked(value: str | None) -> bool:
    """Whether a recorded secret was masked (or left out): its value is then unknown."""
    if value is None:
        return True
    text = value.strip().strip("[]<>(){}").strip()
    return not text or set(text) <= _MASK_CHARACTERS or text.casefold() in MASK_WORDS


@dataclass(frozen=True)
class BasicAuth:
    """An `Authorization: Basic` header as recorded: the user and password where not masked."""

    email: str | None
    password: str | None


@dataclass(frozen=True)
class ApiCall:
    """One recorded request to the Calendar API and its answer. Header names are lower-cased;
    `response_text` is None when the recorder kept no body; `response_cut` is the recorder's
    comment when it kept only the body's start (then the text is no data)."""

    entry: int  # its index in log.entries
    started: str
    method: str
    origin: str  # scheme://host[:port]
    path: str
    operation: str  # the operationId of the path (for a method the path does not serve: its first)
    served: bool  # whether the spec serves this method on this path
    path_values: dict[str, str]
    query: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    request_mime: str
    request_text: str | None
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_mime: str
    response_text: str | None
    response_cut: str | None = None

    @property
    def label(self) -> str:
        return f"entry {self.entry} ({self.method} {self.path})"

    @property
    def group_id(self) -> int | None:
        return _integer(self.path_values.get("group_id"))

    @property
    def calendar_id(self) -> int | None:
        return _integer(self.path_values.get("calendar_id"))

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.request_headers if key == name), None)

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def response_json(self) -> Any:
        return None if self.response_cut else _json(self.response_text)

    def request_json(self) -> Any:
        return _json(self.request_text) if "json" in self.request_mime or not self.is_form() else None

    def is_form(self) -> bool:
        return FORM in self.request_mime

    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.request_text or "", keep_blank_values=True) if self.is_form() else []

    def apikey(self) -> tuple[bool, str | None]:
        """Whether the request carried an apikey (query, JSON body or form), and its value
        when not masked."""
        body = self.request_json()
        found = self.params("apikey") or [v for k, v in self.form() if k == "apikey"]
        if not found and isinstance(body, dict) and isinstance(body.get("apikey"), str):
            found = [body["apikey"]]
        if not found:
            return False, None
        return True, None if masked(found[0]) else found[0]

    def basic(self) -> BasicAuth | None:
        """The Basic credentials, or None when the request had no Authorization header."""
        header = self.header("authorization")
        if header is None:
            return None
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic" or masked(encoded):
            return BasicAuth(None, None)
        try:
            text = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return BasicAuth(None, None)
        email, separator, password = text.partition(":")
        return BasicAuth(None if masked(email) or "@" not in email else email,
                         None if not separator or masked(password) else password)

    def sends_session(self) -> bool:
        """Whether the request carried the `_session_id` cookie (its value is never needed)."""
        return "_session_id=" in (self.header("cookie") or "")

    def login_email(self) -> str | None:
        values = self.params("pro[email]") or [v for k, v in self.form() if k == "pro[email]"]
        return values[0] if values and not masked(values[0]) else None


def _json(text: str | None) -> Any:
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _integer(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None
