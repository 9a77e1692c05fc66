"""requests through a mock: `HTTPAdapter.send` answered in-process.

The answer goes back through requests' own `HTTPAdapter.build_response` over a urllib3
response, so cookies, redirects, hooks, encodings and `raise_for_status` behave as over a
socket; a dropped connection, a body cut short and an expired read timeout raise what
requests raises then (ConnectionError, ChunkedEncodingError, ReadTimeout).
"""

from __future__ import annotations

import io
import time
from http.client import HTTPMessage, RemoteDisconnected
from typing import Any
from urllib.parse import urlsplit

import requests.adapters
from requests import exceptions
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from .exchange import Call, Exchange, Outcome


def hooks(router: Any) -> list[tuple[type, str, Any]]:
    """`HTTPAdapter.send` as it answers what `router.route` sends to a mock."""
    owner = requests.adapters.HTTPAdapter

    def send(adapter: Any, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> Any:
        target = router.route(request.method, request.url)
        if target is None:
            return router.original(owner, "send")(adapter, request, stream=stream, timeout=timeout,
                                                  verify=verify, cert=cert, proxies=proxies)
        headers = [(_text(name), _text(value)) for name, value in request.headers.items()]
        exchange = Exchange(target.app, Call(request.method, request.url, headers, _body(request.body),
                                             _read_timeout(timeout)))
        wait, timed_out = exchange.delay()
        if wait:
            time.sleep(wait)
        outcome = exchange.outcome()
        if timed_out:
            message = f"Read timed out. (read timeout={wait})"
            raise exceptions.ReadTimeout(ReadTimeoutError(_pool_name(request.url), request.url, message),
                                         request=request)
        return adapter.build_response(request, _urllib3_response(request, outcome))

    return [(owner, "send", send)]


def _urllib3_response(request: Any, outcome: Outcome) -> HTTPResponse:
    if outcome.status is None:
        raise exceptions.ConnectionError(ProtocolError(
            "Connection aborted.", RemoteDisconnected("Remote end closed connection without response")),
            request=request)
    # A body cut short stays shorter than its Content-Length: urllib3 reads it as a broken
    # connection, and requests raises ChunkedEncodingError, as over a socket.
    return HTTPResponse(body=io.BytesIO(outcome.body), headers=outcome.headers, status=outcome.status,
                        preload_content=False, decode_content=False, request_method=request.method,
                        request_url=request.url, original_response=_Headers(outcome.headers))


class _Headers:
    """What requests' cookie handling reads of http.client's response: its headers (`msg`)."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.msg = HTTPMessage()
        for name, value in headers:
            self.msg[name] = value  # appends: Set-Cookie may repeat

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _pool_name(url: str) -> str:
    """How urllib3 names the connection pool of `url` in its errors."""
    parts = urlsplit(url)
    kind = "HTTPSConnectionPool" if parts.scheme == "https" else "HTTPConnectionPool"
    return f"{kind}(host={parts.hostname!r}, port={parts.port or (443 if parts.scheme == 'https' else 80)})"


def _read_timeout(timeout: Any) -> float | None:
    """The read timeout in requests' forms: a number, (connect, read), or urllib3's Timeout."""
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    read = getattr(timeout, "read_timeout", timeout)
    return float(read) if isinstance(read, int | float) else None


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body(body.read())
    return b"".join(_body(chunk) for chunk in body)  # a generator: sent chunked


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value
