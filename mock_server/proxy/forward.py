"""Sending a request upstream and reading its answer: urllib3's pooled connections, kept alive.

urllib3 (under `requests`, a dependency already) rather than httpx: the proxy's server answers
each request on a thread of its own (waitress), so a blocking client is what it needs, and
urllib3's pool keeps connections to the upstream alive across requests and threads.

Every failure of the upstream becomes an `UpstreamFailure` with the status the proxy answers:
504 when it does not answer within the timeout, 502 when it cannot be reached, answers
something that is not HTTP, or drops the connection, also in the middle of a body.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import SKIP_HEADER

# Headers of one connection, not of the message (RFC 9110, 7.6.1): never passed on.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
STREAM_CHUNK = 64 * 1024
CONNECT_TIMEOUT_S = 10.0


class UpstreamFailure(Exception):
    """The upstream could not answer: `status` (502 or 504) and a reason a person can read."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class UpstreamAnswer:
    """Status, reason phrase and headers (hop-by-hop ones left out) of the upstream's answer, and
    its body: whole in `body` when it fits the limit, else `body` None and every byte in `rest`."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes | None
    rest: Iterator[bytes] | None = None


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` less the hop-by-hop ones, and those the Connection header names."""
    pairs = list(headers)
    named = {token.strip().lower() for name, value in pairs if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in pairs if name.lower() not in HOP_BY_HOP | named]


class Upstream:
    """A base URL (http or https; its path, if any, is put before every request's) and a pool of
    `connections` kept-alive connections to it, shared by every thread."""

    def __init__(self, url: str, timeout_s: float, connections: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--upstream must be an http:// or https:// URL, not {url!r}")
        self.url = url.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self.timeout_s = timeout_s
        self.pool = urllib3.connection_from_url(
            url, maxsize=connections, block=True, retries=False,
            timeout=urllib3.Timeout(connect=min(CONNECT_TIMEOUT_S, timeout_s), read=timeout_s))

    def send(self, method: str, target: str, headers: list[tuple[str, str]],
             body: bytes | Iterable[bytes] | None, keep: int) -> UpstreamAnswer:
        """Send the request (`target` = path and query as the client wrote them); read at most
        `keep` bytes of the answer's body before answering."""
        sent = urllib3.HTTPHeaderDict()
        for name, value in headers:
            sent.add(name, value)
        for name in ("user-agent", "accept-encoding"):  # urllib3 would add its own: add nothing
            if name not in sent:
                sent[name] = SKIP_HEADER
        deadline = time.monotonic() + self.timeout_s
        try:
            response = self.pool.urlopen(
                method, self.prefix + target, body=body, headers=sent, redirect=False,
                retries=False, preload_content=False, decode_content=False, assert_same_host=False)
        except Exception as error:  # every way a request can fail: refused, timed out, garbage
            raise self._failure(error) from None
        headers = end_to_end(response.headers.iteritems())
        answer = UpstreamAnswer(response.status, response.reason or "", headers, None)
        try:
            first = response.read(keep + 1, decode_content=False) if method != "HEAD" else b""
        except Exception as error:
            response.close()
            raise self._failure(error, reading=True) from None
        if len(first) <= keep:
            short = response.length_remaining  # what a Content-Length promised and never came
            if short:
                response.close()
                raise UpstreamFailure(502, f"the upstream {self.url} failed: its body broke off "
                                      f"{short} bytes short of its Content-Length")
            response.release_conn()
            answer.body = first
            if time.monotonic() > deadline + 1:
                raise UpstreamFailure(504, f"the upstream took more than {self.timeout_s:g} s to answer")
            return answer
        answer.rest = self._rest(response, first)
        return answer

    def _rest(self, response: urllib3.BaseHTTPResponse, first: bytes) -> Iterator[bytes]:
        """The body streamed on from `first`; a failure half-way raises UpstreamFailure (the
        answer has begun: the proxy can only cut the connection)."""
        yield first
        try:
            # read(), not stream(): stream() reads a chunked body by its own framing, which the
            # read() of `first` has already begun to consume
            while chunk := response.read(STREAM_CHUNK, decode_content=False):
                yield chunk
        except Exception as error:
            raise self._failure(error, reading=True) from None
        finally:
            response.release_conn()

    def _failure(self, error: Exception, reading: bool = False) -> UpstreamFailure:
        where = f"{self.url}"
        timed_out = isinstance(error, ReadTimeoutError | ConnectTimeoutError)
        if timed_out and not isinstance(error, NewConnectionError):
            return UpstreamFailure(504, f"the upstream {where} did not answer within {self.timeout_s:g} s")
        if isinstance(error, NewConnectionError):
            return UpstreamFailure(502, f"the upstream {where} cannot be reached: {_cause(error)}")
        if isinstance(error, ProtocolError | HTTPError | OSError):
            what = "its body broke off" if reading else "it answered no valid HTTP"
            return UpstreamFailure(502, f"the upstream {where} failed: {what} ({_cause(error)})")
        return UpstreamFailure(502, f"the upstream {where} failed: {type(error).__name__}: {error}")

    def close(self) -> None:
        self.pool.close()


def _cause(error: Exception) -> str:
    """The innermost reason urllib3 wraps (ConnectionRefusedError, IncompleteRead, ...)."""
    seen = error
    while seen.args and isinstance(seen.args[-1], Exception):
        seen = seen.args[-1]
    text = str(seen) or type(seen).__name__
    return text.split(": ", 1)[-1] if "Failed to establish" in text else text
