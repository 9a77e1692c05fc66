"""Judging one exchange: the request (request_check), then the answer - its status among those
the operation documents, its media type, its body under the level view's response schema - and
the contract rules one exchange can show (mock_server.proxy.rules).

The rule a failure breaks is the one the contract suite names for it (contract_tests'
schemathesis layer, `rule_for`): a status outside the set is transport.status-set; a 2xx other
than the operation's own, or a 5xx to a valid request, breaks the operation's `x-answer-rules`
status rule; a body the schema refuses breaks its body rule, transport.date-format for a date,
or show.assumed-representation when only an assumption of ours is broken.
"""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from calendar_spec import load_spec
from calendar_spec.walk import HTTP_METHODS, escape_token

from ..contract import Contract
from ..contract.problems import MAX_PROBLEMS
from ..contract.schema_check import SchemaCheck
from . import rules
from .answer import NOT_JSON, UNREAD, Answer, Defaults
from .findings import Findings, Level
from .recent import Recent
from .request_check import RequestChecker, RequestVerdict, basic_user

JSON_MEDIA_TYPE = "application/json"
SHARED_ENTRIES = 512  # verdicts, and findings, kept for requests seen again
SHARED_BODY_BYTES = 16 * 1024  # answers with larger bodies are judged anew each time


class ResponseSchemas:
    """The JSON Schema of each (operation, documented status) of one view, compiled once."""

    def __init__(self, contract: Contract) -> None:
        self.by_answer: dict[tuple[str, str], SchemaCheck] = {}
        self.documented: dict[str, frozenset[int]] = {}
        self.answer_rules: dict[str, dict[str, str]] = {}
        for template, item in contract.spec["paths"].items():
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                op_id = operation["operationId"]
                self.answer_rules[op_id] = operation.get("x-answer-rules", {})
                self.documented[op_id] = frozenset(int(code) for code in operation["responses"]
                                                   if code.isdigit())
                for code, response in operation["responses"].items():
                    pointer = response.get("$ref") or \
                        f"#/paths/{escape_token(template)}/{method}/responses/{code}"
                    target = contract.merged(response)
                    if "schema" in target.get("content", {}).get(JSON_MEDIA_TYPE, {}):
                        self.by_answer[(op_id, code)] = contract.validator_for(
                            f"{pointer}/content/application~1json/schema")

    def validator(self, operation_id: str, status: int) -> SchemaCheck | None:
        return self.by_answer.get((operation_id, str(status)))


class ExchangeJudge:
    """Judges requests and exchanges at one level; built once, shared by every thread."""

    def __init__(self, level: Level) -> None:
        self.level = level
        self.contract = Contract(load_spec(level.view))
        self.requests = RequestChecker(self.contract)
        self.schemas = ResponseSchemas(self.contract)
        self.statuses = frozenset(self.contract.spec["x-clicrdv-statuses"]["statuses"])
        # At the strict view, a body only the documented view accepts breaks an assumption of ours.
        self.documented_schemas = (ResponseSchemas(Contract(load_spec("documented")))
                                   if level.view == "strict" else None)
        self.defaults = Defaults.of(level)
        # Repeated reads - an app polling a list - are judged once: what was judged lately of a
        # request without a body, and of an answer to it, is kept (a bounded number of each).
        self._verdicts: Recent[tuple[Any, ...], RequestVerdict] = Recent(SHARED_ENTRIES)
        self._findings: Recent[tuple[Any, ...], Findings] = Recent(SHARED_ENTRIES)

    def judge_request(self, method: str, path: str, query_string: str, headers: dict[str, str],
                      body: bytes | None) -> RequestVerdict:
        """The verdict on a request (`headers` lower-cased). Judging is a function of the request
        alone: a request without a body that was judged lately shares that verdict."""
        if body != b"":
            return self.requests.check(method, path, query_string, headers, body)
        authorization = headers.get("authorization", "")
        key = (method, path, query_string, headers.get("content-type"), authorization[:6],
               basic_user(authorization), headers.get("cookie"))
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self.requests.check(method, path, query_string, headers, body)
            verdict.shared_as = key
            self._verdicts.put(key, verdict)
        return verdict

    def judge_answer(self, verdict: RequestVerdict, status: int, headers: list[tuple[str, str]],
                     body: bytes | None) -> Findings:
        """The rules the answer was checked against and those it breaks (not to be changed: an
        answer judged lately to a shared verdict shares its findings); `body` None when it was
        too large to keep (then only the status and headers are judged)."""
        if verdict.shared_as is None or body is None or len(body) > SHARED_BODY_BYTES:
            return self._judge_answer(verdict, status, headers, body)
        key = (verdict.shared_as, status, tuple(headers), body)
        findings = self._findings.get(key)
        if findings is None:
            findings = self._judge_answer(verdict, status, headers, body)
            self._findings.put(key, findings)
        return findings

    def _judge_answer(self, verdict: RequestVerdict, status: int, headers: list[tuple[str, str]],
                      body: bytes | None) -> Findings:
        findings = Findings(self.level)
        operation = verdict.operation
        if operation is None:
            if verdict.problems and verdict.problems[0].rule == "method.405":
                rules.unserved_method(findings, verdict.method, status, headers)
            return findings
        op_id = operation.operation_id
        answer = Answer(status, headers, body, _json(body, headers))
        self._status(findings, verdict, answer)
        self._media_type(findings, verdict, answer)
        if answer.is_json and verdict.method != "HEAD":
            self._schema(findings, op_id, answer)
        rules.check(findings, verdict, answer, self.defaults)
        return findings

    def _status(self, findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
        status, op_id = answer.status, verdict.operation_id
        findings.expect("transport.status-set", status in self.statuses,
                        f"{status} is not one of the statuses the API answers "
                        f"({', '.join(map(str, sorted(self.statuses)))})", "status")
        status_rule = self.schemas.answer_rules[op_id].get("status", "transport.status-set")
        success = verdict.operation.success_status  # type: ignore[union-attr]
        if 200 <= status < 300:
            findings.expect(status_rule, status == success,
                            f"a successful {verdict.method} answers {success}, not {status}", "status")
        elif status >= 500:
            refused = verdict.expected_refusals()
            rule = refused[0].rule if refused else status_rule
            findings.fail(rule, f"answered {status}: the server failed on "
                          + ("a request it must refuse" if refused else "a valid request"), "status")
        elif status in self.statuses:
            findings.expect("transport.status-set", status in self.schemas.documented[op_id],
                            f"{status} is not documented for {op_id}", "status")

    def _media_type(self, findings: Findings, verdict: RequestVerdict, answer: Answer) -> None:
        if not answer.has_body or verdict.method == "HEAD":
            return
        media_type = answer.media_type
        if 200 <= answer.status < 300:
            findings.expect("transport.json-responses", media_type == JSON_MEDIA_TYPE,
                            f"a {answer.status} answer with a body must be application/json, "
                            f"not {answer.header('content-type')!r}", "header Content-Type")
        if media_type == JSON_MEDIA_TYPE or media_type.endswith("+json"):
            findings.expect("transport.json-responses", answer.json is not NOT_JSON,  # UNREAD passes
                            f"the {answer.status} answer says {media_type} but is not JSON", "body")

    def _schema(self, findings: Findings, op_id: str, answer: Answer) -> None:
        validator = self.schemas.validator(op_id, answer.status)
        if validator is None:
            return
        if validator.is_valid(answer.json):
            if 200 <= answer.status < 300:  # the rules a valid body exercised, passing
                body_rule = self.schemas.answer_rules[op_id].get("body", "transport.status-set")
                findings.expect(body_rule, True, "")
                if op_id != "login":  # a calendar, or a list of them
                    findings.expect("transport.date-format", True, "")
                    findings.expect("show.assumed-representation", True, "")
            return
        # The first few errors only: explaining one costs ~0.5 ms, and an answer of 20,000 bad
        # records would hold every other client of the loop for seconds.
        explained = itertools.islice(validator.iter_errors(answer.json), MAX_PROBLEMS)
        first = min(explained, key=lambda e: list(map(str, e.absolute_path)), default=None)
        path = list(first.absolute_path) if first is not None else []
        where = "body" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
        message = f"the body breaks the {self.level.view} schema: {first.message if first else 'invalid'}"
        if path and path[-1] in ("created_at", "updated_at"):
            findings.fail("transport.date-format", message, where)
        elif answer.status >= 400:
            findings.fail("invalid.rules", message, where)  # the error body's shape is ours (ASM)
        else:
            self._body_schema(findings, op_id, answer, message, where)

    def _body_schema(self, findings: Findings, op_id: str, answer: Answer, message: str,
                     where: str) -> None:
        body_rule = self.schemas.answer_rules[op_id].get("body", "transport.status-set")
        if self.documented_schemas is not None and _valid(self.documented_schemas, op_id, answer) \
                and self.level.tag(body_rule) != "ASM":
            body_rule = "show.assumed-representation"  # only an assumption of ours about calendars
        findings.fail(body_rule, message, where)


def _valid(schemas: ResponseSchemas, op_id: str, answer: Answer) -> bool:
    validator = schemas.validator(op_id, answer.status)
    return validator is None or validator.is_valid(answer.json)


def _json(body: bytes | None, headers: list[tuple[str, str]]) -> Any:
    """The decoded body; NOT_JSON for none or one that is not JSON, UNREAD for one not judged
    (too large to keep, or compressed: passed on as it is)."""
    if body is None:
        return UNREAD
    if not body:
        return NOT_JSON
    if any(name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
           for name, value in headers):
        return UNREAD
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return NOT_JSON
