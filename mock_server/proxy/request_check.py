"""Judging a request before it goes upstream, with the mock's own compiled contract.

The steps are the mock's pipeline (mock_server.api.pipeline), in its order - route, credentials,
path ids, body, query - and each uses the same compiled validators (mock_server.contract,
mock_server.api.params and bodies), here compiled from the level's view of the spec rather than
the mock's. Nothing is looked up: the proxy cannot know whether an apikey or a password is
right, only whether the request carries them.

A problem names the rule it falls under. Most are the client's own (a query the spec refuses
is no fault of the server); those marked `refusal_expected` are what CONTRACT.md says the
server must refuse (an invalid body, missing credentials, an unserved method), and a 2xx
answer to them is the server's violation (mock_server.proxy.rules).
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from ..api import bodies, params
from ..contract import FORM_TYPE, Contract, Operation
from ..contract.problems import field_problems, summary
from ..errors import ApiError, BadRequest, MethodNotAllowed, NotFound, Unauthorized
from ..wsgi import cookie_value, query_args

NOT_IN_SPEC = "not-in-spec"  # a path no operation of the spec serves: no rule speaks of it
CREDENTIALS_RULE = "auth.no-data-without-credentials"
# The rule a refused query parameter falls under (the parameter's own behaviour rule).
QUERY_RULES = {
    "results": "list.paging", "startIndex": "list.paging", "sort": "list.sort-order",
    "dir": "list.sort-order", "search": "list.search", "conditions": "list.conditions",
    "intervention_ids[]": "list.intervention-filter", "calendarset_ids[]": "list.calendarset-any",
    "format": "transport.format-param", "pro[email]": "auth.session-cookie",
    "pro[password]": "auth.session-cookie", "apikey": "auth.apikey-query",
}
_ITEM = re.compile(r"(\[[0-9]+\])+$")


@dataclass(frozen=True)
class RequestProblem:
    rule: str
    message: str
    where: str = ""
    refusal_expected: bool = False  # CONTRACT.md says the server refuses it: a 2xx breaks `rule`


@dataclass
class RequestVerdict:
    """What the spec says of one request: its operation and values, and every problem found."""

    method: str
    path: str
    operation: Operation | None = None
    path_values: dict[str, Any] = field(default_factory=dict)
    args: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None  # the decoded JSON body, when there is one and it decodes
    form: dict[str, list[str]] | None = None  # the fields of a form-encoded body (login)
    body_valid: bool = False  # a JSON body that decodes and passes the operation's schema
    has_apikey: bool = False
    has_identity: bool = False
    problems: list[RequestProblem] = field(default_factory=list)
    refusal: ApiError | None = None  # what the mock would answer first; --block answers it
    notes: list[str] = field(default_factory=list)
    shared_as: tuple[Any, ...] | None = None  # a bodiless request's key, when its verdict is shared

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id if self.operation else ""

    @property
    def has_credentials(self) -> bool:
        needs_user = self.operation is not None and self.operation.identifies_user
        return self.has_apikey and (self.has_identity or not needs_user)

    def expected_refusals(self) -> list[RequestProblem]:
        return [problem for problem in self.problems if problem.refusal_expected]

    def add(self, problem: RequestProblem, refusal: ApiError | None = None) -> None:
        self.problems.append(problem)
        if self.refusal is None and refusal is not None:
            # kept without its traceback: its frames would hold the exchange (the answer's body
            # too) for as long as the verdict is shared
            self.refusal = refusal.with_traceback(None)


class RequestChecker:
    """Judges requests against one compiled view of the spec (thread-safe: it keeps nothing)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract

    def check(self, method: str, path: str, query_string: str, headers: dict[str, str],
              body: bytes | None) -> RequestVerdict:
        """`headers` lower-cased; `body` None when it was too large to keep (not judged)."""
        verdict = RequestVerdict(method, path, args=query_args(query_string))
        try:
            verdict.operation, raw_path = self.contract.route(method, path)
        except MethodNotAllowed as error:
            # a path the level leaves out (x-assumed, at documented) is not judged
            problem = RequestProblem("method.405", error.message, "method", refusal_expected=True) \
                if error.allowed else RequestProblem(NOT_IN_SPEC, f"{path}: not judged at this level", "path")
            verdict.add(problem, error)
            return verdict
        except NotFound as error:
            verdict.add(RequestProblem(NOT_IN_SPEC, error.message, "path"), error)
            return verdict
        operation = verdict.operation
        form = verdict.form = self._read_body(verdict, operation, headers, body)
        self._credentials(verdict, headers, form)
        try:
            verdict.path_values = params.path_values(operation, raw_path)
        except NotFound as error:
            verdict.add(RequestProblem("notfound.unknown", error.message, "path"), error)
        if verdict.body is not None and operation.takes_json:
            self._judge_body(verdict, operation)
        try:
            params.query_values(self.contract, operation, verdict.args, form=form)
        except BadRequest as error:
            for name, problems in error.errors.items():
                verdict.add(RequestProblem(_query_rule(name), f"{name} {'; '.join(problems)}",
                                           f"query.{name}"), error)
        return verdict

    def _read_body(self, verdict: RequestVerdict, operation: Operation, headers: dict[str, str],
                   body: bytes | None) -> dict[str, list[str]] | None:
        """Decode the body the operation takes; the form of a form-encoded login."""
        if not operation.body_validators:
            return None
        if body is None:
            verdict.notes.append("the body was too large to keep: not judged")
            return None
        mimetype = headers.get("content-type", "").split(";", 1)[0].strip(" \t").lower()
        if operation.takes_json:
            try:
                bodies.require_json_media_type(mimetype)
                verdict.body = bodies.decode_json(body)
            except BadRequest as error:
                rule = "transport.json-body" if "Content-Type" in error.errors else "invalid.rejected"
                # Malformed JSON must be refused; a body of another media type is only the
                # client's mistake (no rule says what a server does with it).
                verdict.add(RequestProblem(rule, error.message, "body",
                                           refusal_expected=rule == "invalid.rejected"), error)
            return None
        if FORM_TYPE in operation.body_validators and mimetype == FORM_TYPE:
            return query_args(body.decode(errors="replace"))
        return None

    def _credentials(self, verdict: RequestVerdict, headers: dict[str, str],
                     form: dict[str, list[str]] | None) -> None:
        """Whether the request carries an apikey (query, JSON body, form) and, where the
        operation identifies a user, Basic credentials or the session cookie."""
        name = self.contract.apikey_name
        # Only a value counts: `?apikey=` or `Basic Og==` (":") is no credential, and a deployment
        # that answers data to one breaks the contract as surely as to none.
        given = [*verdict.args.get(name, ()), *(form or {}).get(name, ())]
        if isinstance(verdict.body, dict):
            given.append(verdict.body.get(name))
        verdict.has_apikey = any(isinstance(value, str) and value.strip() for value in given)
        cookie = headers.get("cookie")
        verdict.has_identity = basic_user(headers.get("authorization", "")) or bool(
            cookie and cookie_value(cookie, "_session_id"))
        if not verdict.has_credentials:
            missing = "an apikey" if not verdict.has_apikey else "Basic credentials or the _session_id cookie"
            message = f"the request carries no {missing.removeprefix('an ')}"
            verdict.add(RequestProblem(CREDENTIALS_RULE, message, "credentials", refusal_expected=True),
                        Unauthorized(f"missing {missing}"))

    def _judge_body(self, verdict: RequestVerdict, operation: Operation) -> None:
        validator = operation.body_validators["application/json"]
        if validator.is_valid(verdict.body):
            verdict.body_valid = True
            return
        errors = list(validator.iter_errors(verdict.body))
        problems = field_problems(errors, "body", nested_in_root=False)
        refusal = BadRequest(f"Invalid request body: {summary(problems)}", problems)
        for error in errors[:20]:
            where = ".".join(["body", *map(str, error.absolute_path)])
            verdict.add(RequestProblem(body_rule(error, operation), error.message, where,
                                       refusal_expected=True), refusal)


def body_rule(error: Any, operation: Operation) -> str:
    """The rule an invalid body breaks, from the JSON Schema error that refuses it.

    invalid.rejected (DOC): what no reading can take - an array or object for a scalar, a
    calendar that is not an object, a string over its limit; invalid.strict-types (ASM): a
    scalar of another type, which a deployment may coerce; create.name-required (ASM): a
    POST without `name`; invalid.rules (ASM): the rest (unknown key, missing wrapper, empty
    name, negative timing)."""
    keyword, instance = error.validator, error.instance
    path = list(error.absolute_path)
    if keyword in ("type", "anyOf", "oneOf"):
        if isinstance(instance, dict | list) or path == ["calendar"]:
            return "invalid.rejected"
        return "invalid.strict-types"
    if keyword == "maxLength":
        return "invalid.rejected"
    if keyword == "required" and path == ["calendar"] and operation.operation_id == "createCalendar" \
            and "'name'" in error.message:
        return "create.name-required"
    return "invalid.rules"


def _query_rule(name: str) -> str:
    base = "conditions" if name.startswith("conditions") else _ITEM.sub("", name)
    return QUERY_RULES.get(base, "invalid.rejected")


def basic_user(authorization: str) -> bool:
    """Whether the header holds Basic credentials with a user: base64 of `user:password`.
    A client sends the same header on every request: the answer is remembered for short ones."""
    if len(authorization) <= _REMEMBERED_HEADER:
        return _remembered_basic_user(authorization)
    return _basic_user(authorization)


_REMEMBERED_HEADER = 512  # bytes: 256 remembered headers hold at most 128 KiB


def _basic_user(authorization: str) -> bool:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, _ = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(colon and user.strip())


_remembered_basic_user = functools.lru_cache(maxsize=256)(_basic_user)
