"""The proxy as a WSGI app: every request relayed to the upstream, every exchange judged.

Traffic passes unchanged - method, path and query as the client wrote them, headers but the
hop-by-hop ones (and Host, which names the upstream), the body; status, reason, headers and body
back - with one header added, `X-Contract-Violations`. Only `--block` changes anything: a
request the spec refuses is answered here, by the mock's own `error_reply`, and never sent.
The proxy's own control plane lives under /_mock (the upstream's, if it has one, is reached
directly): the journal of exchanges, the report, health.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..config import CONTROL_PREFIX
from ..errors import ApiError, MethodNotAllowed, NotFound, error_reply
from ..replies import Reply
from ..traffic.faults import ConnectionCut
from ..traffic.journal import MAX_BODY_CHARS, Journal
from ..wsgi import content_length, query_args, request_path, wsgi_text
from .exchange import Exchange, violations_header
from .findings import Level
from .forward import HOP_BY_HOP, Upstream, UpstreamAnswer, UpstreamFailure
from .har import HarWriter, har_entry
from .report import Report
from .response_check import ExchangeJudge

VIOLATIONS_HEADER = "X-Contract-Violations"
BLOCKED_HEADER = "X-Contract-Blocked"
READ_CHUNK = 64 * 1024
WsgiStart = Callable[..., Any]


@dataclass(frozen=True)
class ProxyConfig:
    """What `calendar-mock proxy` takes. Bodies up to `keep_request_bytes` (requests) and
    `keep_response_bytes` (answers) are read whole and judged; larger ones stream through
    unjudged, so memory stays bounded whatever passes."""

    upstream: str
    level: str = "documented"
    block: bool = False
    record: Path | None = None
    report_dir: Path | None = None
    upstream_timeout_s: float = 30.0
    journal_size: int = 1000
    connections: int = 16  # kept-alive connections to the upstream: one per serving thread
    header_limit: int = 512  # characters of X-Contract-Violations
    keep_request_bytes: int = 256 * 1024
    keep_response_bytes: int = 8 * 1024 * 1024
    har_flush_every: int = 20


class UpstreamError(ApiError):
    """The upstream gave no answer: 502, or 504 when it took too long."""

    def __init__(self, failure: UpstreamFailure) -> None:
        super().__init__(failure.reason)
        self.status = failure.status


class ProxyApp:
    """Relays and judges; thread-safe (the journal, the report and the HAR writer lock)."""

    def __init__(self, config: ProxyConfig) -> None:
        if config.journal_size < 1:
            raise ValueError("--journal-size must be at least 1")
        self.config = config
        self.level = Level(config.level)
        self.judge = ExchangeJudge(self.level)
        self.upstream = Upstream(config.upstream, config.upstream_timeout_s, config.connections)
        self.journal = Journal(config.journal_size)
        self.report = Report(self.level, config.upstream, config.report_dir)
        self.har = HarWriter(config.record, "calendar-mock proxy", _version(), config.har_flush_every) \
            if config.record else None

    def __call__(self, environ: dict[str, Any], start_response: WsgiStart) -> Iterable[bytes]:
        path = request_path(environ)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self._control(environ, start_response, path)
        return self._relay(environ, start_response, path)

    # -- relaying ------------------------------------------------------------------------------
    def _relay(self, environ: dict[str, Any], start_response: WsgiStart, path: str) -> Iterable[bytes]:
        started, wall = time.perf_counter(), time.time()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query_string = wsgi_text(environ.get("QUERY_STRING") or "")
        headers = request_headers(environ)
        lowered = {name.lower(): value for name, value in headers}
        kept, body, size = self._request_body(environ)
        verdict = self.judge.judge_request(method, path, query_string, lowered, kept)
        journal_body = kept[:MAX_BODY_CHARS + 1] if kept else None
        mimetype = lowered.get("content-type", "").split(";", 1)[0].strip().lower()
        exchange = Exchange(wall, method, path, query_string, journal_body, mimetype, None, 0.0,
                            operation=verdict.operation_id, notes=tuple(verdict.notes),
                            request_problems=tuple({"rule": p.rule, "message": p.message, "where": p.where}
                                                   for p in verdict.problems))
        target = request_target(environ)
        if self.config.block and verdict.refusal is not None:
            rule = verdict.problems[0].rule
            reply = error_reply(verdict.refusal)
            self._done(exchange._replace(status=reply.status, blocked=rule), started, target, headers, kept,
                       size, reply.status, "", reply.headers, None)
            return Reply(reply.status, reply.body, [*reply.headers, (BLOCKED_HEADER, rule)]).wsgi(
                start_response, head_only=method == "HEAD")
        try:
            answer = self.upstream.send(method, target, forward_headers(headers), body,
                                        self.config.keep_response_bytes)
        except UpstreamFailure as failure:
            reply = error_reply(UpstreamError(failure))
            self._done(exchange._replace(status=reply.status, upstream_error=failure.reason), started, target,
                       headers, kept, size, reply.status, "", [], None)
            return reply.wsgi(start_response, head_only=method == "HEAD")
        findings = self.judge.judge_answer(verdict, answer.status, answer.headers, answer.body)
        notes = exchange.notes + (() if answer.body is not None else
                                  (f"the answer's body is over {self.config.keep_response_bytes} bytes: "
                                   "passed on unjudged",))
        exchange = exchange._replace(status=answer.status, violations=tuple(findings.violations),
                                     checked=frozenset(findings.checked), notes=notes)
        sent_headers = [*answer.headers,
                        (VIOLATIONS_HEADER, violations_header(findings.violations, self.config.header_limit))]
        start_response(f"{answer.status} {answer.reason}".rstrip(), sent_headers)
        if answer.body is not None:
            self._done(exchange, started, target, headers, kept, size, answer.status, answer.reason,
                       answer.headers, answer.body)
            return [answer.body]
        self._done(exchange, started, target, headers, kept, size, answer.status, answer.reason,
                   answer.headers, None)
        return _streamed(answer)

    def _request_body(self, environ: dict[str, Any]
                      ) -> tuple[bytes | None, bytes | Iterator[bytes] | None, int]:
        """(the body if it fits the limit, else None; what to send upstream; its size)."""
        length = content_length(environ)
        stream = environ.get("wsgi.input")
        if not length or stream is None:
            if length is None and stream is not None and environ.get("wsgi.input_terminated"):
                data = stream.read(self.config.keep_request_bytes + 1)
                if len(data) <= self.config.keep_request_bytes:
                    return data, data or None, len(data)
                return None, _chained(data, stream, None), -1
            return b"", None, 0
        first = stream.read(min(length, self.config.keep_request_bytes + 1))
        if len(first) <= self.config.keep_request_bytes:
            return first, first, len(first)
        return None, _chained(first, stream, length - len(first)), length

    def _done(self, exchange: Exchange, started: float, target: str, headers: list[tuple[str, str]],
              kept: bytes | None, size: int, status: int, reason: str, answer_headers: list[tuple[str, str]],
              answer_body: bytes | None) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        exchange = exchange._replace(duration_ms=duration_ms)
        self.journal.record(exchange)
        self.report.record(exchange)
        if self.har is not None:
            self.har.add(har_entry(
                started=exchange.time, duration_ms=duration_ms, method=exchange.method,
                url=self.upstream.url + target, request_headers=headers, request_body=kept,
                request_size=size, status=status, status_text=reason, response_headers=answer_headers,
                response_body=answer_body, response_size=len(answer_body) if answer_body is not None else -1))

    # -- the proxy's own control plane ---------------------------------------------------------
    def _control(self, environ: dict[str, Any], start_response: WsgiStart, path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        routes = {
            "/requests": {"GET": self._journal, "DELETE": self._clear_journal},
            "/report": {"GET": lambda _: self.report.summary(), "POST": lambda _: self.write_report()},
            "/health": {"GET": lambda _: {"ok": True, "upstream": self.upstream.url,
                                          "level": self.level.name}},
        }
        served = routes.get(path[len(CONTROL_PREFIX):])
        try:
            if served is None:
                raise NotFound(f"there is no resource at {path} (the proxy serves {CONTROL_PREFIX}/requests, "
                               f"{CONTROL_PREFIX}/report and {CONTROL_PREFIX}/health)")
            view = served.get("GET" if method == "HEAD" else method)
            if view is None:
                raise MethodNotAllowed(method, sorted(served))
            reply = Reply(200, view(query_args(wsgi_text(environ.get("QUERY_STRING") or ""))))
        except ApiError as error:
            reply = error_reply(error)
        return reply.wsgi(start_response, head_only=method == "HEAD")

    def _journal(self, args: dict[str, list[str]]) -> dict[str, Any]:
        entries = self.journal.entries({key: values[0] for key, values in args.items()})
        return {"requests": entries, "count": len(entries), "capacity": self.journal.capacity}

    def _clear_journal(self, _: Any) -> dict[str, Any]:
        self.journal.clear()
        return {"cleared": True}

    def write_report(self) -> dict[str, Any]:
        """Write the report files (and flush the HAR file); what was written, and the tallies."""
        written = self.report.write()
        if self.har is not None:
            self.har.flush()
            written.append(self.har.path)
        return {"written": [str(path) for path in written], **self.report.summary()}

    def close(self) -> None:
        """Write everything out and let go of files and connections."""
        self.write_report()
        self.report.close()
        if self.har is not None:
            self.har.close()
        self.upstream.close()


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's headers as the client sent them (names in their usual case: WSGI keeps
    no case; repeated headers come folded into one, as the server folded them)."""
    found = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        found.append(("-".join(part.capitalize() for part in name.split("_")), wsgi_text(value)))
    return found


def forward_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What goes upstream: all but the hop-by-hop headers and Host (urllib3 names the upstream)."""
    named = {token.strip().lower() for name, value in headers if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in headers
            if name.lower() not in HOP_BY_HOP and name.lower() not in named and name.lower() != "host"]


def request_target(environ: dict[str, Any]) -> str:
    """Path and query as the client wrote them (waitress' REQUEST_URI); an absolute URI (a
    client using the proxy as a forward proxy) gives its path and query."""
    raw = environ.get("REQUEST_URI")
    if raw:
        target = raw.encode("latin-1").decode("latin-1")
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return target
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/%;:@&=+$,!~*'()[]")
    query = environ.get("QUERY_STRING")
    return path + (f"?{query}" if query else "")


def _chained(first: bytes, stream: Any, left: int | None) -> Iterator[bytes]:
    """`first`, then the rest of `stream` (`left` bytes, or to its end), in chunks."""
    yield first
    while left is None or left > 0:
        chunk = stream.read(READ_CHUNK if left is None else min(READ_CHUNK, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


def _streamed(answer: UpstreamAnswer) -> Iterator[bytes]:
    """A body too large to keep, relayed as it comes; if the upstream breaks off half-way, the
    connection to the client is cut too (ConnectionCut: the server closes it, sends no more)."""
    try:
        yield from answer.rest or ()
    except UpstreamFailure as failure:
        raise ConnectionCut(failure.reason) from None


def _version() -> str:
    try:
        return metadata.version("calendar-contract-kit")
    except metadata.PackageNotFoundError:
        return "0"
