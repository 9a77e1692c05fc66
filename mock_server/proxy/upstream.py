"""Sending a request upstream and reading its answer, on the proxy's event loop: HTTP/1.1 over
asyncio streams, connections kept alive in a pool.

Why not urllib3 (a dependency already) or httpx: measured in front of the mock, waitress'
threads with urllib3 cost the proxy 1.3 ms of CPU per request and a fifth of the direct
throughput (benchmarks/RESULTS.md, section proxy). An event loop with no thread hop and this
client - one write per request, the head read in one call, the body by its length - is what
keeps the proxy near the mock's own speed; httpx (pure Python, h11) would cost more than it
saves, and aiohttp would be a large dependency for one call.

Every failure of the upstream is an `UpstreamFailure` with the status the proxy answers: 504
when it does not answer within the timeout, 502 when it cannot be reached, answers something
that is not HTTP, or closes the connection early, in the head or in the body.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Headers of one connection, not of the message (RFC 9110, 7.6.1): never passed on.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
MAX_HEAD_BYTES = 64 * 1024  # a head larger than this is not an answer we pass on
MAX_HEADERS = 200
_STATUS_LINE = re.compile(rb"HTTP/(1\.[01]) ([1-9][0-9]{2})(?: ([^\r\n]*))?")
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
    named = {token.strip().lower() for name, value in pairs if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in pairs if name.lower() not in HOP_BY_HOP | named]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class _BodyReader:
    """Reads one answer's body by its framing: a Content-Length, chunks, or to the end."""

    def __init__(self, reader: asyncio.StreamReader, length: int | None, chunked: bool) -> None:
        self.reader, self.left, self.chunked, self.done = reader, length, chunked, length == 0

    async def read_some(self) -> bytes:
        if self.done:
            return b""
        if self.chunked:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)  # ValueError: not a chunk
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, dropped
                    pass
                self.done = True
                return b""
            data = await self.reader.readexactly(size)
            if await self.reader.readexactly(2) != b"\r\n":
                raise ValueError("a chunk does not end with CRLF")
            return data
        if self.left is None:
            data = await self.reader.read(65536)
            self.done = not data
            return data
        data = await self.reader.read(min(65536, self.left))
        if not data:
            raise asyncio.IncompleteReadError(b"", self.left)
        self.left -= len(data)
        self.done = self.left == 0
        return data


class AsyncUpstream:
    """A base URL (http or https; its path, if any, goes before every request's) and a pool of
    kept-alive connections to it. Use it from one event loop."""

    def __init__(self, url: str, timeout_s: float, connections: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--upstream must be an http:// or https:// URL, not {url!r}")
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.host_header = parts.netloc.rsplit("@", 1)[-1]
        self.prefix = parts.path.rstrip("/")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.timeout_s = timeout_s
        self.connections = connections
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None

    async def send(self, method: str, target: str, headers: list[tuple[str, str]], body: Body,
                   length: int | None, keep: int) -> UpstreamAnswer:
        """Send the request (`target`: path and query; `length` of a streamed body, None to send
        it chunked); read at most `keep` bytes of the answer's body before answering."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.connections)
        head = self._head(method, target, headers, body, length)
        chunked = body is not None and not isinstance(body, bytes) and length is None
        try:
            async with asyncio.timeout(self.timeout_s), self._slots:  # waiting for a slot counts too
                return await self._exchange(method, head, body, chunked, keep)
        except TimeoutError:
            raise UpstreamFailure(504, f"the upstream {self.url} did not answer within "
                                  f"{self.timeout_s:g} s") from None

    def _head(self, method: str, target: str, headers: list[tuple[str, str]], body: Body,
              length: int | None) -> bytes:
        lines = [f"{method} {self.prefix}{target} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "content-length"]
        if isinstance(body, bytes):
            lines.append(f"Content-Length: {len(body)}")
        elif body is not None:
            lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")

    async def _exchange(self, method: str, head: bytes, body: Body, chunked: bool,
                        keep: int) -> UpstreamAnswer:
        for attempt in (1, 2):
            connection, reused = await self._connect()
            try:
                await self._write(connection, head, body, chunked)
                head_read = await connection.reader.readuntil(b"\r\n\r\n")  # the whole head, at once
                break
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                connection.close()
                # A kept-alive connection the upstream closed meanwhile: once more on a new one,
                # when the request can be sent again (its body is in hand).
                if attempt == 1 and reused and (body is None or isinstance(body, bytes)):
                    continue
                raise self._broken("closed the connection without an answer", error) from None
            except (asyncio.LimitOverrunError, ValueError) as error:
                connection.close()
                raise self._broken("answered no valid HTTP", error) from None
        try:
            return await self._answer(connection, method, head_read, keep)
        except UpstreamFailure:
            connection.close()
            raise
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            connection.close()
            raise self._broken("broke off its answer", error) from None

    async def _connect(self) -> tuple[_Connection, bool]:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ssl,
                                                           limit=MAX_HEAD_BYTES)
        except OSError as error:
            raise UpstreamFailure(502, f"the upstream {self.url} cannot be reached: "
                                  f"{error.strerror or error}") from None
        return _Connection(reader, writer), False

    @staticmethod
    async def _write(connection: _Connection, head: bytes, body: Body, chunked: bool) -> None:
        """One write for a head and a body in hand; a streamed body as it comes (chunked when
        its length is unknown)."""
        writer = connection.writer
        if body is None or isinstance(body, bytes):
            writer.write(head + (body or b""))
        else:
            writer.write(head)
            async for chunk in body:
                if chunk:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _answer(self, connection: _Connection, method: str, head: bytes,
                      keep: int) -> UpstreamAnswer:
        status_line, *lines = head[:-4].split(b"\r\n")
        found = _STATUS_LINE.fullmatch(status_line)
        try:
            if found is None or len(lines) > MAX_HEADERS:
                raise ValueError(repr(status_line[:80]) if found is None else "too many header lines")
            headers = _parse_headers(lines)
            lowered = {name.lower(): value for name, value in headers}
            declared = lowered.get("content-length")
            if declared is not None and not declared.isdigit():
                raise ValueError(f"Content-Length {declared[:40]!r}")
        except ValueError as error:
            raise self._broken("answered no valid HTTP", error) from None
        status = int(found[2])
        chunked = "chunked" in lowered.get("transfer-encoding", "").lower()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length: int | None = 0
        elif chunked or declared is None:
            length = None  # chunks, or to the end of the connection
        else:
            length = int(declared)
        reader = _BodyReader(connection.reader, length, chunked)
        keep_alive = found[1] == b"1.1" and "close" not in lowered.get("connection", "").lower() \
            and (length is not None or chunked)
        answer = UpstreamAnswer(status, (found[3] or b"").decode("latin-1"), end_to_end(headers), None)
        parts: list[bytes] = []
        size = 0
        while size <= keep and (piece := await reader.read_some()):
            parts.append(piece)
            size += len(piece)
        if reader.done:
            answer.body = b"".join(parts)
            self._release(connection, keep_alive)
        else:
            answer.rest = self._rest(connection, reader, parts, keep_alive)
        return answer

    async def _rest(self, connection: _Connection, reader: _BodyReader, first: list[bytes],
                    keep_alive: bool) -> AsyncIterator[bytes]:
        """The body streamed on from what was read; a failure half-way raises UpstreamFailure."""
        for part in first:
            yield part
        try:
            while True:
                async with asyncio.timeout(self.timeout_s):
                    piece = await reader.read_some()
                if not piece:
                    break
                yield piece
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            raise self._broken("broke off its answer", error) from None
        self._release(connection, keep_alive)

    def _release(self, connection: _Connection, keep_alive: bool) -> None:
        if keep_alive and connection.usable() and len(self._idle) < self.connections:
            self._idle.append(connection)
        else:
            connection.close()

    def _broken(self, what: str, error: BaseException) -> UpstreamFailure:
        if isinstance(error, asyncio.IncompleteReadError):
            detail = f"{len(error.partial)} bytes read, {error.expected} more expected" \
                if error.expected else f"{len(error.partial)} bytes read"
        else:
            detail = str(error) or type(error).__name__
        return UpstreamFailure(502, f"the upstream {self.url} failed: it {what} ({detail})")

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


def _parse_headers(lines: list[bytes]) -> list[tuple[str, str]]:
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ValueError(f"not a header line: {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return headers
