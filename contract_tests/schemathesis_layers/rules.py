"""Which contract rule a schemathesis check (or one of its failures) stands for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..spec_facts import BODY_RULES, STATUS_RULES, STATUSES
from .lenient import valid_when_read_leniently
from .responses import documented_view, strict_view

# -- running ------------------------------------------------------------------------------------------------
MARKER = re.compile(r"\[rule:([a-z0-9.-]+)\]\s*")


def is_date(path: Iterable[Any]) -> bool:
    parts = list(path)
    return bool(parts) and parts[-1] in ("created_at", "updated_at")


def rule_for(check: str, case: Any, status: int | None, failure: Any = None) -> str:
    """The x-contract-rules id a schemathesis check (or one of its failures) stands for."""
    operation_id = case.operation.definition.raw.get("operationId", "")
    method = case.method.upper()
    negative = is_negative(case)
    marked = MARKER.match(getattr(failure, "message", "") or "")
    if marked:
        return marked[1]
    if check in ("response_schema_conformance", "contract_documented_response_schema"):
        if is_date(getattr(failure, "instance_path", ()) or ()):
            return "transport.date-format"
        if status is not None and status >= 400:
            return "invalid.rules"  # the error body's shape is the kit's (ASM)
        return BODY_RULES[operation_id]
    if check == "status_code_conformance" and failure is not None:
        if status in STATUSES and status is not None and 200 <= status < 300:
            return STATUS_RULES[operation_id]  # e.g. POST answering 200
        return "transport.status-set"
    if check == "negative_data_rejection" and _parameters_only(case):
        return "invalid.parameters-refused"
    if check == "negative_data_rejection" and _only_assumed_in_body(case):
        return "invalid.rules"
    return {
        # A valid request answered 5xx (or refused) breaks the rule of what that operation answers.
        "not_a_server_error": "invalid.rejected" if negative else STATUS_RULES[operation_id],
        "status_code_conformance": "transport.status-set",
        "content_type_conformance": "transport.json-responses",
        "response_headers_conformance": "auth.session-cookie",
        "negative_data_rejection": "invalid.rejected",
        "positive_data_acceptance": "transport.json-body"
        if method in ("POST", "PUT")
        else STATUS_RULES[operation_id],
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


# Checks whose success proves no rule here (their failures still count, under rule_for):
NO_CREDIT = {
    "missing_required_header": "the spec declares no required header, so it never applies",
    "object_level_authorization": "needs several identities in schemathesis' auth; the suite gives it one",
    "ignored_auth": "probes with every credential removed, or one alone and invalid: a server that checks "
    "only some of them passes; the auth layer holds auth.no-data-without-credentials",
}


def credited_rule(check: str, case: Any, status: int | None) -> str | None:
    """The rule a *passing* check shows to hold for this case, or None when its success says
    nothing: schemathesis records a check that did not apply as a success too."""
    if check in NO_CREDIT:
        return None
    operation_id = case.operation.definition.raw.get("operationId", "")
    negative = is_negative(case)
    applies = {
        "negative_data_rejection": negative,
        "positive_data_acceptance": not negative,
        "response_headers_conformance": operation_id == "login",  # the only declared header: Set-Cookie
        "ensure_resource_availability": case.method.upper() == "POST" and status is not None
        and 200 <= status < 300,
        # A refusal that changed nothing shows "400 and nothing changes" (invalid.rejected) for a
        # 400 only; for a 401/404/405 it shows half of the rule at best.
        "contract_refusal_changes_nothing": status == 400,
    }.get(check, True)
    return rule_for(check, case, status) if applies else None


def _invalid_components(case: Any) -> set[str]:
    """Where a negative case was made invalid: "query", "path", "body", "header"..."""
    meta = getattr(case, "meta", None)
    components = getattr(meta, "components", None) or {}
    return {str(getattr(location, "value", location)) for location, info in components.items()
            if getattr(getattr(info, "mode", None), "is_negative", False)}


def _parameters_only(case: Any) -> bool:
    """Whether what makes a negative case invalid is only in its query or path: how a deployment
    answers such values (refused, or read some way, Rails' `to_i`) is undocumented (ASM)."""
    invalid = _invalid_components(case)
    return bool(invalid) and invalid <= {"query", "path"}


def open_reading(check: str, case: Any, uri: str | None) -> bool:
    """Whether a negative case that was accepted is one no rule may judge: only its query is
    invalid, and a reading CONTRACT.md leaves open (an empty value as absent, a key given twice
    as its first or last value: lenient.py) makes that query valid; or only the body's apikey
    is, while the query carries one (`_apikey_read_from_the_query`)."""
    if check != "negative_data_rejection" or uri is None:
        return False
    invalid = _invalid_components(case)
    if invalid == {"query"}:
        return valid_when_read_leniently(case.operation.query, uri)
    return invalid == {"body"} and _apikey_read_from_the_query(case, uri)


def _apikey_read_from_the_query(case: Any, uri: str) -> bool:
    """Whether only the body's top-level `apikey` makes invalid a case whose body alone was made
    invalid, while its query carries an apikey too. CONTRACT.md has the body's accepted "as if it
    were in the query" (C1), not which of two wins: a deployment that reads the query's and never
    looks at the body's accepts the case rightly (tests/independent/strict_server.py does; `make
    seeds` failed it at strict, seed 2081327507, on a number there)."""
    body = case.body
    if not isinstance(body, dict) or "apikey" not in body:
        return False
    if "apikey" not in {name for name, _ in parse_qsl(urlsplit(uri).query, keep_blank_values=True)}:
        return False
    validator = strict_view().request_body(case.operation.path, case.method)
    rest = {key: value for key, value in body.items() if key != "apikey"}
    return validator is not None and validator.is_valid(rest)


def _only_assumed_in_body(case: Any) -> bool:
    """Whether a negative case's JSON body is invalid only by what the documented view leaves out
    (a missing wrapper, an unknown key, an empty name, a negative timing value), and the case
    nowhere else but in its query or path (ASM too: `_parameters_only`): refusing it is
    invalid.rules (ASM), not invalid.rejected."""
    invalid = _invalid_components(case)
    if "body" not in invalid or not invalid <= {"body", "query", "path"} \
            or not isinstance(case.body, dict | list | str | int | float):
        return False
    validator = documented_view().request_body(case.operation.path, case.method)
    return validator is not None and validator.is_valid(case.body)


def is_negative(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    try:
        return str(meta.generation.mode.value) == "negative"
    except AttributeError:
        return False



def curl_of(code_sample: str) -> str:
    lines = [line.strip() for line in (code_sample or "").splitlines() if line.strip()]
    curls = [line for line in lines if line.startswith("curl ")]
    return " && ".join(curls) if curls else " ".join(lines)


def expected(check: str) -> str:
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
