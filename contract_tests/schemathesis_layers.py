"""The conformance and stateful layers: schemathesis' engine, pointed at the suite's own data.

conformance - examples, coverage and fuzzing phases, positive and negative cases, every built-in
              check except `use_after_free` (DELETE is soft: the calendar stays readable), plus
              the suite's soft-delete / write-persisted checks.
              Positive cases are generated from the mock's view of the spec, the narrowest (only
              surely valid input is sent); negative cases from the level's view (only input the
              level makes invalid is expected to be refused - never one of the mock's own caps);
              responses are judged against the level's view by a custom check.
              At --level documented `ignored_auth` is off too (its exact 401/403 is ASM - the
              auth layer checks "no data" instead).
stateful    - the stateful phase over the spec's explicit links (create -> show / update / delete
              -> restore); link inference is off (it crashes on this spec, see the notes).

Staging safety: a global `before_call` hook (a no-op for schemas that are not ours) rewrites
every generated write so it only reaches the suite's own calendars: a PUT/DELETE calendar id
that is not one of ours becomes one of ours or an id that does not exist; a write to another
group goes to the user's group; a valid generated `name` becomes `contract-kit-<run>-st-<n>`.
Rewrites keep each value valid or invalid as it was, and schemathesis re-validates an edited
case before judging it. Whatever a POST creates is remembered and soft-deleted at the end.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import calendar_spec
import schemathesis
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.checks import CHECKS
from schemathesis.engine import Status, events, from_schema

from .context import UNKNOWN_ID, SuiteContext
from .model import CheckFailed, Failure, Outcome
from .registry import SPEC_RULES, rule_tag
from .views import coercible_type_case, positive_view

WRITES = ("POST", "PUT", "DELETE")
BUILT_IN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)
CUSTOM_CHECKS = (
    "contract_documented_response_schema",
    "contract_success_media_type",
    "contract_unserved_method",
    "contract_refusal_changes_nothing",
    "contract_soft_delete",
    "contract_write_persisted",
    "contract_created_readable",
)
# Built-in checks that demand what CONTRACT.md leaves open, replaced by the suite's own:
# content_type_conformance wants JSON on every error (only "JSON when it says so" holds; the
# success media type is contract_success_media_type's); unsupported_method and
# allow_header_conformance want an Allow header on 405 (CONTRACT.md: a 405, nothing more;
# contract_unserved_method); response_schema_conformance judges against the mock's view
# (contract_documented_response_schema judges against the level's); use_after_free assumes
# hard deletes (DELETE is soft here).
NOT_ASSERTED = frozenset({"content_type_conformance", "unsupported_method", "allow_header_conformance",
                          "response_schema_conformance", "use_after_free"})
# The rule a response-schema failure breaks, by operation (success responses).
RESPONSE_RULES = {
    "listCalendars": "list.envelope",
    "getCalendar": "show.calendar",
    "createCalendar": "create.created",
    "updateCalendar": "update.partial",
    "deleteCalendar": "delete.body",
    "login": "auth.session-cookie",
}
# The rule an undocumented success status of an operation breaks (e.g. POST answering 200).
SUCCESS_RULES = {**RESPONSE_RULES, "deleteCalendar": "delete.status-200"}
_RUBY_INT = re.compile(r"\s*[+-]?([0-9]+)")  # what `"12abc".to_i` reads: writes must not reach id 12
_LOCK = threading.Lock()
_POLICIES: dict[int, Policy] = {}


# -- per-run policy -----------------------------------------------------------------------------------
@dataclass
class Policy:
    ctx: SuiteContext
    checks: set[str]  # custom checks enabled for this schema
    name_validator: Any  # decides whether a generated name is valid (then we may rename it)
    documented_responses: DocumentedResponses | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    snapshots: dict[int, Any] = field(default_factory=dict)  # id(case) -> state before a write

    def own_ids(self) -> list[int]:
        return sorted(cid for cid, group in self.ctx.created.items() if group == self.ctx.group_id)

    def steer(self, case: Any) -> None:
        """Point a generated write at the suite's own data (see the module docstring)."""
        method = case.method.upper()
        if method not in WRITES:
            return
        path = case.path_parameters if isinstance(case.path_parameters, dict) else None
        if path is not None and "group_id" in path:
            group = _leading_int(path["group_id"])
            if group is not None and group >= 1 and group != self.ctx.group_id:
                path["group_id"] = _like(path["group_id"], self.ctx.group_id)
        if path is not None and "calendar_id" in path and method in ("PUT", "DELETE"):
            calendar_id = _leading_int(path["calendar_id"])
            own = self.own_ids()
            if calendar_id is not None and calendar_id >= 1 and calendar_id not in own:
                choice = self.rng.choice([*own, UNKNOWN_ID]) if own else UNKNOWN_ID
                path["calendar_id"] = _like(path["calendar_id"], choice)
        body = case.body
        calendar = body.get("calendar") if isinstance(body, dict) else None
        if isinstance(calendar, dict):
            group_id = calendar.get("group_id")
            path_group = _leading_int((path or {}).get("group_id", ""))
            if isinstance(group_id, int | float) and not isinstance(group_id, bool) and path_group:
                # The body's group_id must equal the path's (CONTRACT.md); no schema can say so.
                calendar["group_id"] = float(path_group) if isinstance(group_id, float) else path_group
            name = calendar.get("name")
            if isinstance(name, str) and self.name_validator.is_valid(name):
                calendar["name"] = f"{self.ctx.prefix}-st-{next(self.counter)}"
            sort = calendar.get("sort")
            if isinstance(sort, int) and not isinstance(sort, bool) and abs(sort) > 100_000:
                calendar["sort"] = sort % 1000  # keep the group's sorts far from the 32-bit edge

    def observe(self, case: Any, response: Any) -> None:
        if case.method.upper() != "POST" or not 200 <= response.status_code < 300:
            return
        try:
            body = response.json()
        except Exception:
            return
        group = _leading_int((case.path_parameters or {}).get("group_id", ""))
        if isinstance(body, dict) and isinstance(body.get("id"), int) and group is not None:
            if group == self.ctx.group_id:
                self.ctx.remember_created(body["id"])
            elif self.ctx.other_api is not None and group == self.ctx.other_api.group_id:
                self.ctx.remember_created(body["id"], self.ctx.other_api)


def _leading_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    found = _RUBY_INT.match(str(value))
    return int(found[1]) if found else None


def _like(original: Any, value: int) -> Any:
    return value if isinstance(original, int) and not isinstance(original, bool) else str(value)


def _policy(case: Any) -> Policy | None:
    try:
        return _POLICIES.get(id(case.operation.schema))
    except AttributeError:
        return None


# -- documented-view response validation ------------------------------------------------------------------
class DocumentedResponses:
    """Response bodies validated against the run's level view of the spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        uri = "urn:calendar-contract-kit:level-view"
        self.registry = Registry().with_resource(
            uri, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self.uri = uri
        self._validators: dict[tuple[str, str, str], Any] = {}

    def validator(self, path: str, method: str, status: int) -> Any:
        operation = self.spec["paths"].get(path, {}).get(method.lower())
        if operation is None:
            return None
        responses = operation.get("responses", {})
        code = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        if code not in responses:
            code = "default" if "default" in responses else ""
        if not code:
            return None
        key = (path, method.lower(), code)
        if key not in self._validators:
            response = responses[code]
            ref = response.get("$ref")
            pointer = (
                ref
                if ref
                else "#/paths/"
                + path.replace("~", "~0").replace("/", "~1")
                + f"/{method.lower()}/responses/{code}"
            )
            resolved = response if not ref else self._resolve(ref)
            content = resolved.get("content", {}).get("application/json")
            if content is None or "schema" not in content:
                self._validators[key] = None
            else:
                schema = {"$ref": f"{self.uri}{pointer}/content/application~1json/schema"}
                self._validators[key] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


# -- schemathesis extension points (global, inert for schemas that are not ours) ------------------------
def _install() -> None:
    """Register the suite's hooks and checks with schemathesis (its registries are global), again
    if something unregistered them since: without `before_call` generated writes would not be steered."""
    with _LOCK:
        _patch_wsgi_transport()
        for hook in (before_call, after_call):
            if hook not in schemathesis.hooks.get_all_by_name(hook.__name__):
                schemathesis.hook(hook)
        for check in (
            contract_documented_response_schema,
            contract_success_media_type,
            contract_unserved_method,
            contract_refusal_changes_nothing,
            contract_soft_delete,
            contract_created_readable,
            contract_write_persisted,
        ):
            if check.__name__ not in CHECKS.get_all_names() or CHECKS.get_one(check.__name__) is not check:
                schemathesis.check(check)


# Each hook and check is inert for schemas that are not the suite's (no policy registered).
def before_call(context, case, **kwargs):
    policy = _policy(case)
    if policy is not None:
        policy.steer(case)
        if "contract_refusal_changes_nothing" in policy.checks and case.method.upper() in WRITES:
            calendar_id = _leading_int((case.path_parameters or {}).get("calendar_id", ""))
            policy.snapshots[id(case)] = policy.ctx.snapshot([calendar_id] if calendar_id else [])


def after_call(context, case, response):
    policy = _policy(case)
    if policy is not None:
        policy.observe(case, response)


def contract_documented_response_schema(ctx, response, case):
    policy = _policy(case)
    if policy is None or policy.documented_responses is None:
        return None
    operation_id = case.operation.definition.raw.get("operationId")
    if (
        operation_id == "deleteCalendar"
        and 200 <= response.status_code < 300
        and not policy.ctx.applies("delete.body")
    ):
        return None  # the DELETE body is ASM; a deployment may answer an empty body
    validator = policy.documented_responses.validator(case.operation.path, case.method, response.status_code)
    if validator is None:
        return None
    media_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and "json" not in media_type:
        return None  # an error body's media type is left open: only "JSON when it says so" holds
    try:
        body = response.json()
    except Exception:
        marker = "[rule:transport.json-responses] " if response.status_code >= 400 else ""
        raise AssertionError(f"{marker}the {response.status_code} answer says {media_type!r} but is "
                             "not JSON") from None
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        marker = "[rule:transport.date-format] " if _is_date(first.absolute_path) else ""
        if policy.ctx.assumptions and 200 <= response.status_code < 300 and _documented_valid(
                case, response.status_code, body):
            marker = "[rule:show.assumed-representation] "  # only an assumption of ours is broken
        raise AssertionError(
            f"{marker}the response violates the documented schema at {where}: {first.message}"
        )
    return True


_DOCUMENTED: list[DocumentedResponses] = []


def _documented_valid(case: Any, status: int, body: Any) -> bool:
    """Whether the documented view accepts the body (then only an assumption of ours is broken)."""
    if not _DOCUMENTED:
        _DOCUMENTED.append(DocumentedResponses(calendar_spec.load_spec("documented")))
    validator = _DOCUMENTED[0].validator(case.operation.path, case.method, status)
    return validator is None or validator.is_valid(body)


def contract_success_media_type(ctx, response, case):
    """A success with a body is application/json (errors: see contract_documented_response_schema)."""
    policy = _policy(case)
    if policy is None or not 200 <= response.status_code < 300 or not response.content:
        return None
    media_type = (response.headers.get("content-type") or [""])[0]
    if media_type.split(";")[0].strip().lower() != "application/json":
        raise AssertionError(f"[rule:transport.json-responses] a {response.status_code} answer with a body "
                             f"must be application/json, not {media_type!r}")
    return True


def contract_unserved_method(ctx, response, case):
    """A method the path does not serve answers 405 (whether an Allow header comes is open)."""
    policy = _policy(case)
    if policy is None:
        return None
    served = case.operation.schema.raw_schema["paths"].get(case.operation.path, {})
    if case.method.lower() in served:
        return None
    if response.status_code != 405:
        raise AssertionError(f"[rule:method.405] {case.method.upper()} is not served on "
                             f"{case.operation.path}: 405 expected, got {response.status_code}")
    return True


def contract_refusal_changes_nothing(ctx, response, case):
    """A write the deployment refuses (4xx, 5xx) changes nothing: the group's ids and
    totalRecords, the suite's own calendars and the calendar the write aimed at are as before."""
    policy = _policy(case)
    if policy is None:
        return None
    before = policy.snapshots.pop(id(case), None)
    if before is None or response.status_code < 400:
        return None
    try:
        policy.ctx.expect_unchanged(before, f"a refused {case.method.upper()} ({response.status_code})", None)
    except CheckFailed as failed:
        rule_id = _REFUSAL_RULES.get(response.status_code, "invalid.rejected")
        raise AssertionError(f"[rule:{rule_id}] {failed.message}: {failed.actual}") from None
    return True


def _deleted(policy: Policy, record: dict[str, Any]) -> bool | None:
    try:
        return policy.ctx.deleted(record)
    except CheckFailed as failed:
        raise AssertionError(f"[rule:{failed.rule}] {failed.message}: {failed.actual}") from None


def _differences(policy: Policy, wanted: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    try:
        return policy.ctx.differences(wanted, got)
    except CheckFailed as failed:
        raise AssertionError(f"[rule:{failed.rule}] {failed.message}: {failed.actual}") from None


# The rule a refusal that changed something breaks, by the status it was refused with.
_REFUSAL_RULES = {401: "auth.no-data-without-credentials", 403: "auth.no-data-without-credentials",
                  404: "notfound.unknown", 405: "method.405"}


def contract_soft_delete(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_soft_delete" not in policy.checks:
        return None
    if case.method.upper() != "DELETE" or response.status_code != 200:
        return None
    calendar_id, group = case.path_parameters["calendar_id"], case.path_parameters["group_id"]
    shown = policy.ctx.api.show(calendar_id, group=group)
    body = shown.json() if isinstance(shown.json(), dict) else {}
    if shown.status == 200 and _deleted(policy, body) is True:
        return True
    try:
        still_listed = any(str(r.get("id")) == str(calendar_id) for r in policy.ctx.records(group=group))
    except CheckFailed:
        still_listed = False
    if still_listed and shown.status != 200:
        raise AssertionError(
            f"[rule:show.deleted] a soft-deleted calendar (still listed) must answer 200 with "
            f"deleted true; {shown.curl()} answered {shown.summary()}"
        )
    raise AssertionError(
        f"[rule:delete.soft] DELETE is soft: the calendar must still answer 200 with deleted true; "
        f"{shown.curl()} answered {shown.summary()}"
    )


def contract_created_readable(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_created_readable" not in policy.checks:
        return None
    if case.method.upper() != "POST" or response.status_code != 201:
        return None
    try:
        created = response.json()
    except Exception:
        return None
    if not isinstance(created, dict) or not isinstance(created.get("id"), int):
        return None
    shown = policy.ctx.api.show(created["id"], group=case.path_parameters["group_id"])
    body = shown.json() if isinstance(shown.json(), dict) else {}
    differs = _differences(policy, created, body)
    if shown.status != 200 or differs:
        raise AssertionError(
            f"[rule:create.created] the created calendar must be readable as answered; "
            f"{shown.curl()} answered {shown.summary() if shown.status != 200 else differs}"
        )
    return True


def contract_write_persisted(ctx, response, case):
    policy = _policy(case)
    if policy is None or "contract_write_persisted" not in policy.checks:
        return None
    if case.method.upper() != "PUT" or response.status_code != 200:
        return None
    try:
        answered = response.json()
    except Exception:
        return None
    if not isinstance(answered, dict):
        return None
    shown = policy.ctx.api.show(case.path_parameters["calendar_id"], group=case.path_parameters["group_id"])
    body = shown.json() if isinstance(shown.json(), dict) else {}
    differs = _differences(policy, answered, body)
    if shown.status != 200 or differs:
        raise AssertionError(
            f"after PUT, show must return what the PUT answered; {shown.curl()} answered "
            f"{shown.status} with (PUT answer, shown) differences {differs}"
        )
    sent = case.body.get("calendar") if isinstance(case.body, dict) else None
    if isinstance(sent, dict) and sent.get("deleted") is False and _deleted(policy, body) is not False:
        raise AssertionError(
            "[rule:restore.put-deleted-false] PUT {calendar: {deleted: false}} must "
            "restore the calendar (deleted false)"
        )
    return True


def _patch_wsgi_transport() -> None:
    """schemathesis 4.32.5: `ignored_auth` probes pass `max_redirects` (a requests-only setting) to the
    WSGI transport, which hands it to Werkzeug: TypeError. Drop the socket-level settings there."""
    from schemathesis.transport import wsgi

    original = wsgi.WSGITransport.send
    if getattr(original, "_contract_kit", False):
        return

    def send(self, case, *, session=None, **kwargs):
        import requests

        if not isinstance(session, requests.Session):
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return original(self, case, session=session, **kwargs)

    send._contract_kit = True  # type: ignore[attr-defined]
    wsgi.WSGITransport.send = send


# -- running ------------------------------------------------------------------------------------------------
_MARKER = re.compile(r"\[rule:([a-z0-9.-]+)\]\s*")
DOCUMENTED_STATUSES = frozenset({200, 201, 400, 401, 403, 404, 405, 500})


def _is_date(path: Iterable[Any]) -> bool:
    parts = list(path)
    return bool(parts) and parts[-1] in ("created_at", "updated_at")


def _rule_for(check: str, case: Any, status: int | None, failure: Any = None) -> str:
    """The x-contract-rules id a schemathesis check (or one of its failures) stands for."""
    operation_id = case.operation.definition.raw.get("operationId", "")
    method = case.method.upper()
    negative = _is_negative(case)
    marked = _MARKER.match(getattr(failure, "message", "") or "")
    if marked:
        return marked[1]
    if check in ("response_schema_conformance", "contract_documented_response_schema"):
        if _is_date(getattr(failure, "instance_path", ()) or ()):
            return "transport.date-format"
        if status is not None and status >= 400:
            return "invalid.rules"  # the error body's shape is the kit's (ASM)
        return RESPONSE_RULES.get(operation_id, "show.calendar")
    if check == "status_code_conformance" and failure is not None:
        if status in DOCUMENTED_STATUSES and status is not None and 200 <= status < 300:
            return SUCCESS_RULES.get(operation_id, "transport.status-set")  # e.g. POST answering 200
        return "transport.status-set"
    return {
        # A valid request answered 5xx (or refused) breaks the rule of what that operation answers.
        "not_a_server_error": "invalid.rejected" if negative else SUCCESS_RULES.get(operation_id,
                                                                                    "auth.apikey-query"),
        "status_code_conformance": "transport.status-set",
        "content_type_conformance": "transport.json-responses",
        "response_headers_conformance": "auth.session-cookie",
        "negative_data_rejection": "invalid.rejected",
        "positive_data_acceptance": "transport.json-body"
        if method in ("POST", "PUT")
        else SUCCESS_RULES.get(operation_id, "auth.apikey-query"),
        "missing_required_header": "auth.no-data-without-credentials",
        "unsupported_method": "method.405",
        "allow_header_conformance": "method.405",
        "ensure_resource_availability": "create.created",
        "ignored_auth": "auth.no-data-without-credentials",
        "object_level_authorization": "isolation.other-group-calendar-404",
        "contract_soft_delete": "delete.soft",
        "contract_write_persisted": "update.partial",
        "contract_created_readable": "create.created",
        "contract_success_media_type": "transport.json-responses",
        "contract_unserved_method": "method.405",
        "contract_refusal_changes_nothing": "invalid.rejected",
    }.get(check, "transport.status-set")


def _is_negative(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    try:
        return str(meta.generation.mode.value) == "negative"
    except AttributeError:
        return False


@dataclass
class _Run:
    """One engine run: its schema (strict or documented view), generation mode and checks."""

    spec_level: str  # which view of the spec generates the cases
    mode: str
    builtin: set[str]
    custom: set[str]
    responses: str | None = None  # the view responses are judged against


def _plan(ctx: SuiteContext, layer: str) -> list[_Run]:
    builtin = set(BUILT_IN_CHECKS) - NOT_ASSERTED
    custom = {"contract_soft_delete", "contract_write_persisted", "contract_created_readable",
              "contract_success_media_type", "contract_refusal_changes_nothing"}
    if not ctx.read_only:
        custom.add("contract_unserved_method")  # it sends PATCH/PUT/DELETE...
    if ctx.level == "documented":
        builtin -= {"ignored_auth"}  # its exact 401/403 is ASM; the auth layer checks "no data"
    runs = [_Run("positive", "positive", builtin, custom, responses=ctx.level)]
    if layer == "conformance":
        # Acceptance of valid input is the positive run's job: a negative case that the steering
        # hook turned valid under the level's view may still break a cap of the mock's own.
        negative = builtin - {"positive_data_acceptance"}
        runs.append(_Run(ctx.level, "negative", negative, custom, responses=ctx.level))
    return runs


def _config(ctx: SuiteContext, layer: str, run: _Run) -> dict[str, Any]:
    options = ctx.options
    own = sorted(cid for cid, group in ctx.created.items() if group == ctx.group_id)
    readable = own[:5] + [r["id"] for r in ctx.baseline[:5]]
    groups = [ctx.group_id] + ([ctx.other_api.group_id] if ctx.other_api is not None else [])
    conformance = layer == "conformance"
    config: dict[str, Any] = {
        "auth": {
            "openapi": {
                "apikey": {"api_key": options.apikey},
                "basicAuth": {"username": options.user, "password": options.password},
            }
        },
        "checks": {name: {"enabled": name in run.builtin} for name in BUILT_IN_CHECKS},
        "phases": {
            "examples": {"enabled": conformance},
            # --read-only: no PATCH/PUT/DELETE... probes for unsupported methods either.
            "coverage": {"enabled": conformance, **({"unexpected-methods": []} if ctx.read_only else {})},
            "fuzzing": {"enabled": conformance},
            "stateful": {"enabled": not conformance, "max-steps": 8, "inference": {"algorithms": []}},
        },
        "generation": {"max-examples": int(options.max_examples), "mode": run.mode, "database": "none"},
        "cache": {"enabled": False},
        "workers": 1,
        "dictionaries": {
            "contract_groups": {"values": groups},
            "contract_calendars": {"values": readable or [UNKNOWN_ID]},
            # Page sizes and offsets worth trying: the bounds, the default, past the end.
            "contract_results": {"values": [1, 2, 25, 100, 999, 1000, "all"]},
            "contract_offsets": {"values": [0, 1, len(ctx.baseline), len(ctx.baseline) + 1, 1000]},
        },
        "parameters": {
            "path.group_id": {"dictionary": "contract_groups", "probability": 0.7},
            "path.calendar_id": {"dictionary": "contract_calendars", "probability": 0.7},
            "query.results": {"dictionary": "contract_results", "probability": 0.3},
            "query.startIndex": {"dictionary": "contract_offsets", "probability": 0.3},
        },
    }
    if options.seed is not None:
        config["seed"] = int(options.seed)
    if options.base_url:
        config["base-url"] = options.base_url.rstrip("/")
    return config


def _spec(ctx: SuiteContext, run: _Run) -> dict[str, Any]:
    if run.spec_level == "positive":
        return positive_view(ctx.calendarsets)
    return calendar_spec.load_spec(run.spec_level)


def _load(ctx: SuiteContext, layer: str, run: _Run) -> Any:
    config = schemathesis.Config.from_dict(_config(ctx, layer, run))
    schema = schemathesis.openapi.from_dict(_spec(ctx, run), config=config)
    if ctx.options.app is not None:
        schema.app = ctx.options.app
    if run.mode == "negative":
        # Only documented-invalid input is sent from this view: the coverage phase also yields
        # positive cases, which may break our (strict) assumptions - those come from the strict run.
        documented = ctx.level == "documented"

        @schema.hook
        def filter_case(context, case):
            return _is_negative(case) and not (documented and coercible_type_case(case.body))

    if ctx.read_only:
        schema = schema.include(method="GET")
    return schema


def run_layer(ctx: SuiteContext, layer: str, result: Any) -> Iterable[Outcome]:
    """Run the conformance or stateful layer; yields one Outcome per operation (or the chain)."""
    _install()
    started = time.monotonic()
    outcomes: dict[str, Outcome] = {}
    if not ctx.read_only:
        # Two calendars of ours for generated PUT/DELETE to land on (see Policy.steer).
        for _ in range(2 - sum(1 for group in ctx.created.values() if group == ctx.group_id)):
            try:
                ctx.new_calendar(f"{layer}-target")
            except CheckFailed as failed:
                outcome = _outcome(outcomes, layer, failed.operation or layer)
                outcome.failures.append(
                    Failure(
                        "create.created",
                        rule_tag("create.created"),
                        layer,
                        failed.operation,
                        f"could not create a calendar for generated writes to target: {failed.message}",
                        curl=failed.exchange.curl() if failed.exchange is not None else "",
                        expected=failed.expected,
                        actual=failed.actual,
                    )
                )
                break
    if layer == "stateful" and ctx.read_only:
        yield Outcome(
            "stateful",
            "links (create -> show/update/delete -> restore)",
            status="skipped",
            reason="needs writes (--read-only)",
        )
        return
    seen: dict[tuple[str, str, str, str], Failure] = {}
    statuses: dict[str, list[int]] = {}
    for run in _plan(ctx, layer):
        schema = _load(ctx, layer, run)
        spec = _spec(ctx, run)
        validator = Draft202012Validator(
            {"$ref": "#/components/schemas/Name", "components": spec["components"]}
        )
        policy = Policy(ctx, run.custom, validator, rng=random.Random(ctx.options.seed or 0))
        if run.responses:
            policy.documented_responses = DocumentedResponses(calendar_spec.load_spec(run.responses))
        key = id(schema)
        _POLICIES[key] = policy
        try:
            for event in from_schema(schema).execute():
                _consume(ctx, layer, event, outcomes, seen, statuses, result)
        finally:
            _POLICIES.pop(key, None)
    _canary(ctx, layer, outcomes, statuses)
    elapsed = time.monotonic() - started
    for outcome in outcomes.values():
        outcome.seconds = elapsed / max(len(outcomes), 1)
        outcome.status = "failed" if outcome.failures else "passed"
        yield outcome


def _outcome(outcomes: dict[str, Outcome], layer: str, name: str) -> Outcome:
    if name not in outcomes:
        outcomes[name] = Outcome(layer, name)
    return outcomes[name]


def _consume(
    ctx: SuiteContext,
    layer: str,
    event: Any,
    outcomes: dict[str, Outcome],
    seen: dict[tuple[str, str, str, str], Failure],
    statuses: dict[str, list[int]],
    result: Any,
) -> None:
    if isinstance(event, events.NonFatalError):
        name = event.label if layer == "conformance" else "links (create -> show/update/delete -> restore)"
        outcome = _outcome(outcomes, layer, name)
        outcome.failures.append(
            Failure(
                "suite.error",
                "-",
                layer,
                event.label,
                f"schemathesis could not test this: {event.info.title}: {event.info.message}",
            )
        )
        return
    if not isinstance(event, events.ScenarioFinished):
        return
    recorder = event.recorder
    result.cases += len(recorder.cases)
    for case_id, node in recorder.cases.items():
        case = node.value
        label = case.operation.label
        response = recorder.interactions.get(case_id)
        if response is not None and response.response is not None:
            statuses.setdefault(label, []).append(response.response.status_code)
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        name = (
            case.operation.label
            if layer == "conformance"
            else "links (create -> show/update/delete -> restore)"
        )
        outcome = _outcome(outcomes, layer, name)
        interaction = recorder.interactions.get(case_id)
        status = interaction.response.status_code if interaction and interaction.response else None
        operation_id = case.operation.definition.raw.get("operationId", "")
        for node in nodes:
            if node.status not in (Status.SUCCESS, Status.FAILURE):
                continue
            failure = node.failure_info.failure if node.failure_info is not None else None
            rule_id = _rule_for(node.name, case, status, failure)
            if not ctx.applies(rule_id):
                continue
            outcome.checks += 1
            if _concerns(rule_id, operation_id) or failure is not None:
                outcome.rules.add(rule_id)
            if failure is None:
                continue
            dedupe = (outcome.name, rule_id, node.name, failure.title)
            if dedupe in seen:
                seen[dedupe].occurrences += 1
                continue
            recorded = Failure(
                rule_id=rule_id,
                tag=rule_tag(rule_id),
                layer=layer,
                operation=case.operation.label,
                message=f"{failure.title} (schemathesis check {node.name}, "
                f"{'negative' if _is_negative(case) else 'positive'} case): "
                f"{_MARKER.sub('', failure.message or '')}".strip(),
                curl=_curl(node.failure_info.code_sample),
                expected=_expected(node.name),
                actual=f"status {status}" if status is not None else "",
            )
            seen[dedupe] = recorded
            outcome.failures.append(recorded)


def _concerns(rule_id: str, operation_id: str) -> bool:
    """Whether the rule speaks about this operation (its `operations` in x-contract-rules)."""
    operations = SPEC_RULES.get(rule_id, {}).get("operations") or []
    return not operations or operation_id in operations


def _canary(
    ctx: SuiteContext, layer: str, outcomes: dict[str, Outcome], statuses: dict[str, list[int]]
) -> None:
    """A run that was never served proves nothing (schemathesis passes when everything is a 401)."""
    served = sum(1 for codes in statuses.values() for code in codes if 200 <= code < 300)
    if statuses and not served:
        name = next(iter(outcomes), layer)
        _outcome(outcomes, layer, name).failures.append(
            Failure(
                "auth.apikey-query",
                rule_tag("auth.apikey-query"),
                layer,
                name,
                "no generated request was served (no 2xx at all): the credentials were not accepted, so the "
                "layer proved nothing",
                expected="some 2xx answers",
                actual=f"statuses {sorted({code for codes in statuses.values() for code in codes})}",
            )
        )


def _curl(code_sample: str) -> str:
    lines = [line.strip() for line in (code_sample or "").splitlines() if line.strip()]
    curls = [line for line in lines if line.startswith("curl ")]
    return " && ".join(curls) if curls else " ".join(lines)


def _expected(check: str) -> str:
    return {
        "not_a_server_error": "no 5xx",
        "status_code_conformance": "a status the spec documents for this operation",
        "content_type_conformance": "application/json",
        "response_schema_conformance": "a body valid under the spec's response schema",
        "contract_documented_response_schema": "a body valid under the documented view's response schema",
        "negative_data_rejection": "a 4xx for input the spec makes invalid",
        "positive_data_acceptance": "2xx (or 401/403/404) for input the spec makes valid",
        "ignored_auth": "401/403 without credentials",
        "unsupported_method": "405 for a method the path does not serve",
        "allow_header_conformance": "an Allow header listing the served methods",
        "ensure_resource_availability": "the created calendar is readable right away",
        "contract_soft_delete": "after DELETE the calendar answers 200 with deleted true",
        "contract_write_persisted": "after PUT, show returns what the PUT answered",
        "contract_created_readable": "after POST 201, show returns the created calendar",
    }.get(check, "")
