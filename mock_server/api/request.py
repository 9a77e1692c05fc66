"""One API request read straight off the WSGI environ (mock_server.wsgi's rules); its body is
read once, on first use, and never past the size limit."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from ..wsgi import BODY_INCOMPLETE, content_length, cookie_value, query_args, request_path, wsgi_text


class ApiRequest:
    """The parts of a request the API reads; the body is read once, on first use."""

    __slots__ = ("_data", "environ", "max_body", "method", "notes", "operation_id", "path", "query_string")

    def __init__(self, environ: dict[str, Any], max_body: int) -> None:
        self.environ = environ
        self.max_body = max_body
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = request_path(environ)
        self.query_string = wsgi_text(environ.get("QUERY_STRING") or "")
        self._data: bytes | None = None
        self.operation_id: str | None = None  # set by the pipeline once routed
        self.notes: tuple[str, ...] = ()  # what the handler noticed (a restore), for coverage

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
