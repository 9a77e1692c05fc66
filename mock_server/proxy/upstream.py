"""Sending a request upstream and reading its answer, on the proxy's event loop: HTTP/1.1 over
asyncio, connections kept alive in a pool.

Why not urllib3 (a dependency already) or httpx: measured in front of the mock, waitress'
threads with urllib3 cost the proxy 1.3 ms of CPU per request and a fifth of the direct
throughput (benchmarks/decisions.md). An event loop with no thread hop and this client - one
write per request, the answer read off one buffer (mock_server.proxy.link) - is what keeps the
proxy near the mock's own speed; httpx (pure Python, h11) would cost more than it saves, and
aiohttp would be a large dependency for one call.

Every failure of the upstream is an `UpstreamFailure` with the status the proxy answers: 504
when it does not answer within the timeout, 502 when it cannot be reached, answers something
that is not HTTP (or framed so that two readers could read it two ways: conflicting lengths, a
transfer coding other than chunked), or closes the connection early, in the head or in the body.
The timeout counts from the moment the request is sent whole: a streamed body counts it from its
last piece the upstream took, and not while the proxy waits on the client for the next.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import ssl
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .link import BodyReader, Closed, Link
from .via import ProxyRefused, open_link, route

# Headers of one connection, not of the message (RFC 9110, 7.6.1): never passed on.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
MAX_HEADERS = 200
# Methods a request of which may be sent again when a kept-alive connection closes with no answer
# (RFC 9110, 9.2.2): a POST the upstream read before it closed would be acted on twice.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_STATUS_LINE = re.compile(rb"HTTP/(1\.[01]) ([1-9][0-9]{2})(?: ([^\r\n]*))?")
_INTERIM = re.compile(rb"HTTP/1\.[01] 1(?!01)[0-9]{2}[ \r\n]")  # a 1xx but 101 Switching Protocols
Body = bytes | AsyncIterator[bytes] | None


class UpstreamFailure(Exception):
    """The upstream could not answer: `status` (502 or 504) and a reason a person can read."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class UpstreamAnswer:
    """Status, reason and end-to-end headers of the upstream's answer, and its body: whole in
    `body` when it fits the limit, else `body` None and every byte from `rest`."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes | None
    rest: AsyncIterator[bytes] | None = None


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` less the hop-by-hop ones, and those the Connection header names."""
    pairs = list(headers)
    dropped = HOP_BY_HOP | {token.strip().lower() for name, value in pairs if name.lower() == "connection"
                            for token in value.split(",")}
    return [(name, value) for name, value in pairs if name.lower() not in dropped]


class AsyncUpstream:
    """A base URL (http or https; its path, if any, goes before every request's) and a pool of
    kept-alive connections to it. Use it from one event loop."""

    def __init__(self, url: str, timeout_s: float, connections: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--upstream must be an http:// or https:// URL, not {url!r}")
        if parts.username is not None or parts.password is not None:
            # never sent (each request's own credentials are), and every 502 would show them
            raise ValueError("--upstream must not hold credentials (user:password@): the proxy passes "
                             "on each request's own")
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.host_header = parts.netloc.rsplit("@", 1)[-1]
        self.prefix = parts.path.rstrip("/")
        # An upstream behind an internal CA: its file in REQUESTS_CA_BUNDLE, as for the contract suite.
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        self.ssl = ssl.create_default_context(cafile=bundle) if parts.scheme == "https" else None
        self.route = route(parts.scheme, self.host, self.port)  # directly, or through HTTPS_PROXY
        self.timeout_s = timeout_s
        self.connections = connections
        self._idle: list[Link] = []
        self._slots: asyncio.Semaphore | None = None
        self._busy: set[Link] = set()  # with an exchange in flight, cut off at its deadline
        self._watcher: asyncio.Task[None] | None = None

    async def send(self, method: str, target: str, headers: list[tuple[str, str]], body: Body,
                   length: int | None, keep: int, while_waiting: Callable[[], None] | None = None,
                   interim: Callable[[bytes], None] | None = None) -> UpstreamAnswer:
        """Send the request (`target`: path and query; `length` of a streamed body, None to send
        it chunked); read at most `keep` bytes of the answer's body before answering.
        `while_waiting` runs once, as soon as the request is sent: work done then overlaps the
        upstream's. `interim` gets each informational answer but 100 Continue (103 Early Hints):
        a proxy passes those on (RFC 9110, 15.2), the 100 being the front's own to give."""
        loop = asyncio.get_running_loop()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.connections)
            self._watcher = loop.create_task(self._watch())
        deadline = loop.time() + self.timeout_s
        head = self._head(method, target, headers, body, length)
        chunked = body is not None and not isinstance(body, bytes) and length is None
        if self._slots.locked():  # every connection busy: the wait for one counts too
            try:
                async with asyncio.timeout_at(deadline):
                    await self._slots.acquire()
            except TimeoutError:
                raise self._late() from None
        else:
            await self._slots.acquire()
        try:
            return await self._exchange(method, head, body, chunked, keep, while_waiting, interim, deadline)
        finally:
            self._slots.release()

    async def _watch(self) -> None:
        """Cut off the exchanges past their deadline. One sweep for them all, a tenth of the
        timeout apart (0.1 s at most), not a timer per request: a timer set and cancelled
        costs more than the rest of the relay's bookkeeping."""
        period = min(0.1, self.timeout_s / 10)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            for link in [link for link in self._busy if link.deadline <= now]:
                link.expire()

    def _late(self) -> UpstreamFailure:
        return UpstreamFailure(504, f"the upstream {self.url} did not answer within {self.timeout_s:g} s")

    def _head(self, method: str, target: str, headers: list[tuple[str, str]], body: Body,
              length: int | None) -> bytes:
        request_line = f"{method} {self.route.target_prefix}{self.prefix}{target} HTTP/1.1\r\n"
        lines = [f"Host: {self.host_header}"]
        if self.route.target_prefix and self.route.authorization:
            lines.append(f"Proxy-Authorization: {self.route.authorization}")
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "content-length"]
        if isinstance(body, bytes):
            lines.append(f"Content-Length: {len(body)}")
        elif body is not None:
            lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
        # the target as the client's bytes (read as UTF-8, undecodable ones kept), the headers as
        # theirs (read as latin-1: any byte): each sent on exactly as it came
        return request_line.encode("utf-8", "surrogateescape") + \
            ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    async def _exchange(self, method: str, head: bytes, body: Body, chunked: bool, keep: int,
                        while_waiting: Callable[[], None] | None, interim: Callable[[bytes], None] | None,
                        deadline: float) -> UpstreamAnswer:
        retried = False
        while True:
            link, reused = await self._connect(deadline)
            link.deadline = deadline
            self._busy.add(link)
            try:
                try:
                    link.received = link.sent = 0
                    await self._write(link, head, body, chunked)
                    if while_waiting is not None:
                        while_waiting()
                        while_waiting = None
                    head_read = await link.head()
                    while _INTERIM.match(head_read):  # the answer follows
                        if interim is not None and head_read[9:12] != b"100":
                            interim(informational(head_read))
                        head_read = await link.head()
                except (Closed, ConnectionError) as error:
                    nothing = isinstance(error, ConnectionError) or error.partial == 0
                    # A kept-alive connection the upstream closed meanwhile: once more on a new one,
                    # when the request can be sent again (its body is in hand) and either none of it
                    # went out or sending it twice does no harm.
                    if not retried and reused and nothing and not link.expired \
                            and (body is None or isinstance(body, bytes)) \
                            and (link.sent == 0 or method in IDEMPOTENT):
                        link.close()
                        retried = True
                        continue
                    what = "closed the connection without an answer" if nothing else "answered no valid HTTP"
                    raise self._failed(link, what, error) from None
                except ValueError as error:
                    raise self._failed(link, "answered no valid HTTP", error) from None
                try:
                    return await self._answer(link, method, head_read, keep)
                except UpstreamFailure:
                    link.close()
                    raise
                except (Closed, ConnectionError, ValueError) as error:
                    raise self._failed(link, "broke off its answer", error) from None
            finally:
                self._busy.discard(link)

    async def _connect(self, deadline: float) -> tuple[Link, bool]:
        while self._idle:
            link = self._idle.pop()
            if link.usable():
                return link, True
            link.close()
        try:
            async with asyncio.timeout_at(deadline):
                link = await open_link(self.route, self.ssl, self.host)
        except TimeoutError:
            raise self._late() from None
        except ProxyRefused as refused:
            raise UpstreamFailure(502, f"the upstream {self.url} cannot be reached{self.route.through()}: "
                                  f"the proxy answered {refused}") from None
        except (OSError, Closed, ValueError) as error:
            hint = (" - for a certificate of your own CA, give its file in REQUESTS_CA_BUNDLE"
                    if isinstance(error, ssl.SSLCertVerificationError) else "")
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise UpstreamFailure(502, f"the upstream {self.url} cannot be reached{self.route.through()}: "
                                  f"{reason}{hint}") from None
        return link, False

    async def _write(self, link: Link, head: bytes, body: Body, chunked: bool) -> None:
        """One write for a head and a body in hand; a streamed body as it comes (chunked when
        its length is unknown), the timeout counted anew from each piece the upstream took."""
        if body is None or isinstance(body, bytes):
            link.write(head + (body or b""))
            return
        loop = asyncio.get_running_loop()
        try:
            link.write(head)
            pieces = aiter(body)
            while True:
                link.deadline = math.inf  # waiting on the client, whose own bound applies
                chunk = await anext(pieces, None)
                link.deadline = loop.time() + self.timeout_s
                if chunk is None:
                    break
                if chunk:
                    link.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await link.drain()
            if chunked:
                link.write(b"0\r\n\r\n")
            await link.drain()
        except ConnectionError:
            # An upstream may answer before it has read the whole body (a 413, a 401) and close:
            # that answer, already in the buffer, is the one to pass on.
            if not link.buffer:
                raise
        except BaseException:
            link.close()  # the client's body broke off: the request half sent cannot be finished
            raise

    async def _answer(self, link: Link, method: str, head: bytes,
                      keep: int) -> UpstreamAnswer:
        status_line, *lines = _lines(head)
        found = _STATUS_LINE.fullmatch(status_line)
        try:
            if found is None or len(lines) > MAX_HEADERS:
                raise ValueError(repr(status_line[:80]) if found is None else "too many header lines")
            headers = _parse_headers(lines)
            lowered = {name.lower(): value for name, value in headers}
            declared = _content_length(headers)
            chunked = _chunked(headers)
        except ValueError as error:
            raise self._broken("answered no valid HTTP", error) from None
        status = int(found[2])
        if chunked:  # the chunks frame the body; a Content-Length beside them is not passed on
            declared = None
            headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length: int | None = 0
        elif chunked or declared is None:
            length = None  # chunks, or to the end of the connection
        else:
            length = declared
        reader = BodyReader(link, length, chunked)
        # Not after a HEAD: an upstream that writes the body anyway, a moment later, would have
        # those bytes read as the head of the next request's answer, another client's.
        keep_alive = found[1] == b"1.1" and "close" not in lowered.get("connection", "").lower() \
            and (length is not None or chunked) and method != "HEAD"
        answer = UpstreamAnswer(status, (found[3] or b"").decode("latin-1"), end_to_end(headers), None)
        parts: list[bytes] = []
        size = 0
        while size <= keep and (piece := await reader.read_some()):
            parts.append(piece)
            size += len(piece)
        if reader.done:
            answer.body = b"".join(parts)
            self._release(link, keep_alive)
        else:
            answer.rest = self._rest(link, reader, parts, keep_alive)
        return answer

    async def _rest(self, link: Link, reader: BodyReader, first: list[bytes],
                    keep_alive: bool) -> AsyncIterator[bytes]:
        """The body streamed on from what was read; a failure half-way raises UpstreamFailure."""
        complete = False
        try:
            for part in first:
                yield part
            while True:
                async with asyncio.timeout(self.timeout_s):
                    piece = await reader.read_some()
                if not piece:
                    break
                yield piece
            complete = True
        except (TimeoutError, Closed, ConnectionError, ValueError) as error:
            raise self._broken("broke off its answer", error) from None
        finally:  # read to its end, or given up (the client left): the connection is of no more use
            if complete:
                self._release(link, keep_alive)
            else:
                link.close()

    def _release(self, link: Link, keep_alive: bool) -> None:
        if keep_alive and link.usable() and len(self._idle) < self.connections:
            self._idle.append(link)
        else:
            link.close()

    def _failed(self, link: Link, what: str, error: BaseException) -> UpstreamFailure:
        """Close `link`: the failure is a 504 if the sweep cut it off, else a 502 saying `what`."""
        link.close()
        return self._late() if link.expired else self._broken(what, error)

    def _broken(self, what: str, error: BaseException) -> UpstreamFailure:
        detail = str(error) or type(error).__name__
        return UpstreamFailure(502, f"the upstream {self.url} failed: it {what} ({detail})")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        for link in self._idle:
            link.close()
        self._idle.clear()


def informational(head: bytes) -> bytes:
    """A 1xx head as the client gets it: its end-to-end headers, lines ending in CRLF (a head
    that is not well formed goes as its status line alone: the hints are only hints)."""
    status_line, *lines = _lines(head)
    try:
        headers = end_to_end(_parse_headers(lines))
    except ValueError:
        headers = []
    return b"\r\n".join([b"HTTP/1.1" + status_line[8:],
                          *(f"{name}: {value}".encode("latin-1") for name, value in headers)]) + b"\r\n\r\n"


def _lines(head: bytes) -> list[bytes]:
    """A head's lines: each ends in CRLF, or in a bare LF, which a recipient may read as one
    (RFC 9112, 2.2)."""
    return [line.removesuffix(b"\r") for line in head.rstrip(b"\r\n").split(b"\n")]


def _parse_headers(lines: list[bytes]) -> list[tuple[str, str]]:
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        # Whitespace before the colon a proxy removes from an answer (RFC 9112, 5.1); before the
        # name it is a folded line (obs-fold), which is not passed on.
        name = name.rstrip(b" \t")
        if not colon or not name or name != name.lstrip():
            raise ValueError(f"not a header line: {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return headers


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    """The body's length the answer declares: one value, however often repeated (RFC 9112, 6.3);
    different values are a ValueError (which one is true cannot be known)."""
    values = {value.strip() for name, field in headers if name.lower() == "content-length"
              for value in field.split(",")}
    if not values:
        return None
    if len(values) > 1 or not next(iter(values)).isdigit():
        raise ValueError(f"Content-Length {', '.join(sorted(values))[:60]!r}")
    return int(values.pop())


def _chunked(headers: list[tuple[str, str]]) -> bool:
    """Whether the body comes in chunks. A transfer coding besides chunked (gzip, ...) is a
    ValueError: the proxy would have to decode it, or pass on bytes nothing labels."""
    codings = [coding.strip().lower() for name, field in headers if name.lower() == "transfer-encoding"
               for coding in field.split(",") if coding.strip()]
    if codings and codings != ["chunked"]:
        raise ValueError(f"Transfer-Encoding {', '.join(codings)[:60]!r}: only chunked is passed on")
    return bool(codings)
