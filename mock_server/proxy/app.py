"""The proxy's state and decisions, without I/O: what it does with a request before it goes
upstream, with the answer that comes back, and with a failure; its control plane.

Traffic passes unchanged - method, path and query, headers but the hop-by-hop ones (and Host,
which names the upstream), the body; status, headers and body back - with one header added,
`X-Contract-Violations`. Only `--block` changes anything: a request the spec refuses is
answered here, by the mock's own `error_reply`, and never sent. The proxy's own control plane
lives under /_mock (the upstream's, if it has one, is reached directly): the journal of
exchanges, the report, health. mock_server.proxy.relay does the I/O, on the front's event loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..config import CONTROL_PREFIX
from ..errors import ApiError, MethodNotAllowed, NotFound, error_reply
from ..replies import Reply
from ..traffic.journal import MAX_BODY_CHARS, Journal
from ..wsgi import query_args
from .encoding import decoded
from .exchange import Exchange, violations_header
from .findings import Findings, Level
from .har import HarWriter, har_entry
from .report import Report
from .request_check import RequestVerdict
from .response_check import ExchangeJudge
from .upstream import UpstreamFailure, end_to_end

VIOLATIONS_HEADER = "X-Contract-Violations"
# Answers that say the upstream is busy (rate limited, overloaded), not how it keeps the contract:
# the contract suite backs off from the same two (contract_tests.pacing).
BUSY_STATUSES = (429, 503)
BLOCKED_HEADER = "X-Contract-Blocked"


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
    connections: int = 64  # to the upstream at once; more requests wait for one
    header_limit: int = 512  # characters of X-Contract-Violations
    keep_request_bytes: int = 256 * 1024
    keep_response_bytes: int = 8 * 1024 * 1024
    har_flush_every: int = 20


class UpstreamError(ApiError):
    """The upstream gave no answer: 502, or 504 when it took too long."""

    def __init__(self, failure: UpstreamFailure) -> None:
        super().__init__(failure.reason)
        self.status = failure.status


@dataclass
class Pending:
    """A request on its way: what was judged of it, and what the journal and HAR file need."""

    exchange: Exchange
    verdict: RequestVerdict
    started: float
    target: str
    headers: list[tuple[str, str]]
    kept: bytes | None
    size: int
    answer: tuple[str, list[tuple[str, str]], bytes | None] | None = None  # reason, headers, body


class ProxyApp:
    """Judges and records exchanges; thread-safe (the journal, the report and the HAR writer lock)."""

    def __init__(self, config: ProxyConfig) -> None:
        if config.journal_size < 1:
            raise ValueError("--journal-size must be at least 1")
        self.config = config
        self.level = Level(config.level)
        self.judge = ExchangeJudge(self.level)
        self.journal = Journal(config.journal_size)
        self.report = Report(self.level, config.upstream, config.report_dir)
        self.har = HarWriter(config.record, "calendar-mock proxy", _version(), config.har_flush_every) \
            if config.record else None
        self.upstream_url = config.upstream.rstrip("/")

    def begin(self, method: str, path: str, target: str, query_string: str, headers: list[tuple[str, str]],
              kept: bytes | None, size: int, started: float | None = None) -> Pending:
        """Judge a request (`kept`: its body, None when too large to keep; `size`: its length,
        -1 if unknown; `started`: when it arrived, by time.perf_counter, if not now)."""
        now, wall = time.perf_counter(), time.time()
        if started is not None:
            wall -= now - started
        else:
            started = now
        lowered = {name.lower(): value for name, value in headers}
        verdict = self.judge.judge_request(method, path, query_string, lowered, kept)
        mimetype = lowered.get("content-type", "").split(";", 1)[0].strip().lower()
        exchange = Exchange(wall, method, path, query_string, kept[:MAX_BODY_CHARS + 1] if kept else None,
                            mimetype, None, 0.0, operation=verdict.operation_id, notes=tuple(verdict.notes),
                            request_problems=tuple({"rule": p.rule, "message": p.message, "where": p.where}
                                                   for p in verdict.problems))
        return Pending(exchange, verdict, started, target, headers, kept, size)

    def blocked(self, pending: Pending) -> Reply | None:
        """With --block, the answer to a request the spec refuses (never sent upstream)."""
        if not self.config.block or pending.verdict.refusal is None:
            return None
        rule = pending.verdict.problems[0].rule
        reply = error_reply(pending.verdict.refusal)
        exchange = pending.exchange._replace(status=reply.status, blocked=rule)
        self._done(pending, exchange, "", reply.headers, None)
        return Reply(reply.status, reply.body, [*reply.headers, (BLOCKED_HEADER, rule)])

    def failed(self, pending: Pending, failure: UpstreamFailure) -> Reply:
        reply = error_reply(UpstreamError(failure))
        self._done(pending, pending.exchange._replace(status=reply.status, upstream_error=failure.reason),
                   "", [], None)
        return reply

    def answered(self, pending: Pending, status: int, reason: str, headers: list[tuple[str, str]],
                 body: bytes | None) -> list[tuple[str, str]]:
        """Judge the upstream's answer (`body` None: too large to keep); the headers to answer
        with. `record` keeps the exchange."""
        unpacked = decoded(body, headers, self.config.keep_response_bytes)
        plain = body if unpacked.broken else unpacked.body  # bytes no client can read: not JSON
        if status in BUSY_STATUSES:
            findings = Findings(self.level)
            note = f"the upstream answered busy ({status}): not judged, a busy answer is no contract failure"
        else:
            judged = headers if unpacked.body is body else [
                (name, value) for name, value in headers if name.lower() != "content-encoding"]
            findings = self.judge.judge_answer(pending.verdict, status, judged, plain)
            note = unpacked.note or ("" if body is not None else
                                     f"the answer's body is over {self.config.keep_response_bytes} bytes: "
                                     "passed on unjudged")
        notes = pending.exchange.notes + ((note,) if note else ())
        pending.exchange = pending.exchange._replace(status=status, violations=tuple(findings.violations),
                                                     checked=frozenset(findings.checked), notes=notes)
        pending.answer = (reason, headers, plain)  # the HAR keeps the body as the client reads it
        verdict = violations_header(findings.violations, self.config.header_limit)
        return [*headers, (VIOLATIONS_HEADER, verdict)]

    def record(self, pending: Pending) -> None:
        """Keep an answered exchange (journal, report, HAR): called once the client has its
        answer, so that keeping it adds nothing to the client's wait."""
        if pending.answer is not None:
            self._done(pending, pending.exchange, *pending.answer)

    def _done(self, pending: Pending, exchange: Exchange, reason: str, answer_headers: list[tuple[str, str]],
              answer_body: bytes | None) -> None:
        duration_ms = (time.perf_counter() - pending.started) * 1000
        exchange = exchange._replace(duration_ms=duration_ms)
        self.journal.record(exchange)
        self.report.record(exchange)
        if self.har is not None:
            self.har.add(har_entry(
                started=exchange.time, duration_ms=duration_ms, method=exchange.method,
                url=self.upstream_url + pending.target, request_headers=pending.headers,
                request_body=pending.kept, request_size=pending.size, status=exchange.status or 0,
                status_text=reason, response_headers=answer_headers, response_body=answer_body,
                response_size=len(answer_body) if answer_body is not None else -1,
                response_missing="; ".join(exchange.notes) if answer_body is None else ""))

    # -- the proxy's own control plane ---------------------------------------------------------
    def control(self, method: str, path: str, query_string: str) -> Reply:
        routes = {
            "/requests": {"GET": self._journal, "DELETE": self._clear_journal},
            "/report": {"GET": lambda _: self.report.summary(), "POST": lambda _: self.write_report()},
            "/health": {"GET": lambda _: {"ok": True, "upstream": self.upstream_url,
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
            return Reply(200, view(query_args(query_string)))
        except ApiError as error:
            return error_reply(error)

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
        """Write everything out and let go of the files."""
        self.write_report()
        self.report.close()
        if self.har is not None:
            self.har.close()


def forward_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What goes upstream: all but the hop-by-hop headers and Host (which names the upstream)."""
    return [(name, value) for name, value in end_to_end(headers) if name.lower() != "host"]


def _version() -> str:
    try:
        return metadata.version("calendar-contract-kit")
    except metadata.PackageNotFoundError:
        return "0"
