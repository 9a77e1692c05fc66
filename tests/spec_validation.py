"""Every response a test receives, checked against spec/openapi.yaml, and a client that does it.

`check_response` finds the operation from the method and the path (bare or with a `.json`
alias suffix), then insists that the status is one the operation declares and that the body
is valid under that status's schema, resolved with jsonschema over the whole spec document.
A path the spec does not serve must answer 404; a method its path does not serve, 405 with
an `Allow` header. It is written against the spec alone, never against `mock_server`, so a
bug in the mock's own reading of the spec cannot hide here.

`ApiClient` wraps a mock app's Flask test client and runs `check_response` on every answer;
`check_http_response` does the same for a `requests` response from a served mock.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from calendar_fixtures import load_fixtures
from calendar_spec import load_spec
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = load_spec("mock")
SPEC_URI = "urn:tests:calendar-spec"
# Responses are judged against the mock's view by default; a mock told to answer an open
# question the other way is judged against the view that leaves that answer open.
VIEWS = {view: load_spec(view) for view in ("mock", "strict", "documented")}
REGISTRIES = {
    view: Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
    for view, spec in VIEWS.items()
}
SUFFIXES: tuple[str, ...] = tuple(SPEC.get("x-clicrdv-path-aliases", {}).get("suffixes", ()))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# The mock's answer to every open question, as the spec gives them (x-open-questions).
DEFAULT_SETTINGS = {question["id"]: str(question["default"])
                    for question in SPEC["x-open-questions"]["questions"]}

# -- the demo data's credentials, read from fixtures/demo.json (never retyped) ---------------
DEMO = load_fixtures()
DEMO_APIKEY: str = DEMO["apikeys"][0]["key"]
_USERS = {user["email"]: user for user in DEMO["users"]}
PRO = ("pro@demo.test", _USERS["pro@demo.test"]["password"])  # group 4
PRO5 = ("pro5@demo.test", _USERS["pro5@demo.test"]["password"])  # group 5
MANAGER = ("manager@demo.test", _USERS["manager@demo.test"]["password"])  # groups 4 and 5


def basic(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


# -- finding the operation ----------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """What the spec says about one method on one concrete path."""

    template: str | None  # None: no path of the spec matches
    method: str
    operation: dict[str, Any] | None  # None: the path does not serve the method
    pointer: str | None

    @property
    def allowed(self) -> set[str]:
        item = SPEC["paths"].get(self.template or "", {})
        return {method.upper() for method in METHODS if method in item}


@functools.lru_cache(maxsize=1)
def _templates() -> list[tuple[str, re.Pattern[str]]]:
    suffixes = "|".join(re.escape(suffix) for suffix in SUFFIXES)
    compiled = []
    for template in SPEC["paths"]:
        body = re.sub(r"\\\{\w+\\\}", "[^/]+?", re.escape(template))
        compiled.append((template, re.compile(f"{body}(?:{suffixes})?")))
    return compiled


def find_target(method: str, path: str) -> Target:
    method = "get" if method.lower() == "head" else method.lower()
    for template, pattern in _templates():
        if pattern.fullmatch(path):
            operation = SPEC["paths"][template].get(method)
            pointer = "#/paths/" + _escape(template) + "/" + method if operation else None
            return Target(template, method, operation, pointer)
    return Target(None, method, None, None)


def operation_id(method: str, path: str) -> str | None:
    operation = find_target(method, path).operation
    return operation["operationId"] if operation else None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _resolve(node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
    while "$ref" in node:
        pointer = node["$ref"]
        node = SPEC
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


@functools.cache
def validator(pointer: str, view: str = "mock") -> Draft202012Validator:
    return Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=REGISTRIES[view])


# -- checking one response ----------------------------------------------------------------
def check_response(
    method: str, path: str, status: int, headers: Mapping[str, str], body: bytes, view: str = "mock"
) -> Any:
    """Assert the answer is one the spec allows (in `view`); return the decoded JSON body (or
    None). An Allow header on a 405 must list the path's methods (whether one is sent at all is
    an open question: tests/test_mock_answers.py checks the mock sends it by default)."""
    where = f"{method.upper()} {path} -> {status}"
    target = find_target(method, path)
    if target.template is None:
        assert status == 404, f"{where}: a path the spec does not serve must answer 404"
        return _check_error_body(where, headers, body, method, view)
    if target.operation is None:
        assert status == 405, f"{where}: a method {target.template} does not serve must answer 405"
        allow = {item.strip() for item in headers.get("Allow", "").split(",") if item.strip()}
        assert not allow or allow == target.allowed, f"{where}: Allow is {allow}, expected {target.allowed}"
        return _check_error_body(where, headers, body, method, view)
    responses = target.operation["responses"]
    declared = str(status) if str(status) in responses else f"{str(status)[0]}XX"
    if declared not in responses:
        declared = "default"
    assert declared in responses, (
        f"{where}: {target.operation['operationId']} declares only {sorted(responses)}: "
        f"{body[:300]!r}"
    )
    response, pointer = _resolve(
        responses[declared], f"{target.pointer}/responses/{_escape(declared)}"
    )
    _check_headers(where, response, pointer, headers, view)
    content = response.get("content") or {}
    if method.upper() == "HEAD" or not content:
        assert not content or not body, f"{where}: HEAD answered a body"
        return None
    media_type = headers.get("Content-Type", "")
    mimetype, _, parameters = media_type.partition(";")
    assert mimetype.strip() in content, f"{where}: Content-Type {media_type!r} not in {list(content)}"
    if parameters.strip():
        assert parameters.replace(" ", "").lower() == "charset=utf-8", f"{where}: {media_type!r}"
    decoded = _json(where, body)
    schema_pointer = f"{pointer}/content/{_escape(mimetype.strip())}/schema"
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in validator(schema_pointer, view).iter_errors(decoded)
    ]
    assert not problems, f"{where}: the body breaks {schema_pointer}: {problems[:5]}"
    return decoded


def _check_headers(where: str, response: dict[str, Any], pointer: str,
                   headers: Mapping[str, str], view: str) -> None:
    for name, header in (response.get("headers") or {}).items():
        values = headers.getlist(name) if hasattr(headers, "getlist") else [headers.get(name)]
        values = [value for value in values if value is not None]
        if not values:
            assert not header.get("required"), f"{where}: header {name} is required"
            continue
        for value in values if "schema" in header else ():
            errors = list(validator(f"{pointer}/headers/{_escape(name)}/schema", view).iter_errors(value))
            assert not errors, f"{where}: header {name}={value!r}: {errors[0].message}"


def _check_error_body(where: str, headers: Mapping[str, str], body: bytes, method: str,
                      view: str) -> Any:
    if method.upper() == "HEAD":
        return None
    assert headers.get("Content-Type", "").startswith("application/json"), where
    decoded = _json(where, body)
    errors = list(validator("#/components/schemas/Error", view).iter_errors(decoded))
    assert not errors, f"{where}: not an Error body: {errors[0].message}"
    return decoded


def _json(where: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise AssertionError(f"{where}: the body is not JSON: {body[:300]!r}") from None


def check_http_response(response: Any) -> Any:
    """`check_response` for a `requests.Response`; returns the decoded body."""
    return check_response(
        response.request.method, urlsplit(response.request.url).path,
        response.status_code, response.headers, response.content,
    )


# -- a validating client over an app in-process ---------------------------------------------
_DEFAULT: Any = object()
Query = Mapping[str, Any] | Sequence[tuple[str, Any]] | str | None


class ApiClient:
    """The Flask test client of one mock; every answer is checked by `check_response`.

    By default each request carries the demo apikey in the query and HTTP Basic for
    pro@demo.test (group 4); pass `apikey=None` / `auth=None` to leave them out, `auth=PRO5`
    for another user, `query=` as a dict, pairs or a raw string. Cookies persist across
    requests, as in a browser.
    """

    def __init__(self, app: Any, view: str = "mock") -> None:
        from mock_server import mock_of

        self.app = app
        self.view = view
        self.mock = mock_of(app)
        self.raw = app.test_client()

    def open(self, method: str, path: str, *, query: Query = None, json: Any = _DEFAULT,
             data: Any = None, headers: Mapping[str, str] | None = None,
             apikey: str | None = _DEFAULT, auth: tuple[str, str] | None = _DEFAULT,
             content_type: str | None = None) -> Any:
        apikey = DEMO_APIKEY if apikey is _DEFAULT else apikey
        auth = PRO if auth is _DEFAULT else auth
        url = path
        encoded = _query(([] if apikey is None else [("apikey", apikey)]), query)
        if encoded:
            url += ("&" if "?" in url else "?") + encoded
        sent = dict(headers or {})
        if auth is not None:
            sent.setdefault("Authorization", basic(auth))
        kwargs: dict[str, Any] = {"headers": sent}
        if json is not _DEFAULT:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if content_type is not None:
            kwargs["content_type"] = content_type
        response = self.raw.open(url, method=method, **kwargs)
        check_response(method, response.request.path, response.status_code, response.headers,
                       response.get_data(), self.view)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.open("DELETE", path, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request to the control plane (`/_mock/...`), outside the spec: JSON, never a 5xx."""
        response = self.raw.open("/_mock" + path, method=method, **kwargs)
        assert response.status_code < 500, response.get_data()[:300]
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return response

    def state(self) -> dict[str, Any]:
        """The store's data, without the session count (a login is not a data change)."""
        dump = self.mock.store.dump()
        dump.pop("sessions", None)
        return dump


def _query(first: list[tuple[str, str]], query: Query) -> str:
    """`first` then `query`, url-encoded; a string query is appended as it is (raw)."""
    if isinstance(query, str):
        return "&".join(part for part in (urlencode(first), query) if part)
    items = list(query.items()) if isinstance(query, Mapping) else list(query or [])
    return urlencode(first + items, doseq=True)


def calendars_path(group_id: int = 4) -> str:
    return f"/api/v1/groups/{group_id}/calendars"


def calendar_path(calendar_id: int | str, group_id: int = 4) -> str:
    return f"/api/v1/groups/{group_id}/calendars/{calendar_id}"


def ids(response: Any) -> list[int]:
    """The ids of a list response's records, in order."""
    return [record["id"] for record in response.get_json()["records"]]
