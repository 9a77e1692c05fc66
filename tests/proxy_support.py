"""What the proxy tests share: real servers on 127.0.0.1 (the mock, plain WSGI upstreams, the
proxy itself, each in a thread) and the session of requests a client sends through them."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests

from mock_server import create_app
from mock_server.proxy.app import ProxyApp, ProxyConfig
from mock_server.proxy.front import Front
from mock_server.proxy.relay import Relay
from mock_server.serve.front_server import serve_front_in_thread
from mock_server.serve.waitress_server import RunningServer, serve_in_thread

APIKEY = "demo-apikey-4f1c2b"
EMAIL, PASSWORD = "pro@demo.test", "demo-password"
AUTH = (EMAIL, PASSWORD)
LIST = "/api/v1/groups/4/calendars"
LOGIN = "/api/v1/sessions/login"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextlib.contextmanager
def upstream_mock(**options: Any) -> Iterator[RunningServer]:
    """A fresh mock (create_app options) served by waitress in a thread."""
    with serve_in_thread(create_app(**options)) as running:
        yield running


@contextlib.contextmanager
def upstream_wsgi(app: WsgiApp) -> Iterator[RunningServer]:
    with serve_in_thread(app) as running:  # type: ignore[arg-type]
        yield running


@contextlib.contextmanager
def proxy(upstream_url: str, **config: Any) -> Iterator[tuple[ProxyApp, str]]:
    """The proxy in front of `upstream_url` (ProxyConfig fields as keywords), served in a thread
    as the command serves it; closed on leaving."""
    app = ProxyApp(ProxyConfig(upstream=upstream_url, **config))
    running = serve_front_in_thread(Front(Relay(app)))
    try:
        yield app, running.base_url
    finally:
        running.stop(timeout=2)
        app.close()


def violations(response: requests.Response) -> list[str]:
    """The rule ids X-Contract-Violations names (empty for `0`)."""
    header = response.headers["X-Contract-Violations"]
    count, _, rules = header.partition("; ")
    named = [rule for rule in rules.split(", ") if rule] if rules else []
    assert int(count) >= len(named), header
    return named


def journal(base_url: str, **filters: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{base_url}/_mock/requests", params=filters, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["requests"]


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def session_steps() -> list[dict[str, Any]]:
    """A client's session: reads, writes, a restore, a login and the cookie alone, bad inputs.
    Each step is requests.request keywords (`url` relative, `auth` False for none)."""
    q = {"apikey": APIKEY}
    one, two = f"{LIST}/1", f"{LIST}/2"
    return [
        {"method": "GET", "url": LIST, "params": q},
        {"method": "GET", "url": LIST, "params": {**q, "results": "2", "startIndex": "1", "sort": "name",
                                                  "dir": "desc"}},
        {"method": "GET", "url": LIST, "params": {**q, "results": "all", "calendarset_ids[]": "8"}},
        {"method": "GET", "url": LIST, "params": {**q, "search": "dr"}},
        {"method": "GET", "url": one, "params": q},
        {"method": "GET", "url": one + ".json", "params": {**q, "format": "json"}},
        {"method": "POST", "url": LIST, "params": q,
         "json": {"calendar": {"name": "Proxy A", "publicname": "A", "city": "Brest",
                               "generate_interval": 30}}},
        {"method": "POST", "url": LIST, "params": q, "json": {"calendar": {"name": "Proxy B"}}},
        {"method": "PUT", "url": one, "params": q, "json": {"calendar": {"city": "Nantes", "sort": 7}}},
        {"method": "DELETE", "url": two, "params": q},
        {"method": "DELETE", "url": two, "params": q},
        {"method": "GET", "url": two, "params": q},
        {"method": "PUT", "url": two, "params": q, "json": {"calendar": {"deleted": False}}},
        {"method": "POST", "url": LOGIN, "auth": False,
         "params": {**q, "pro[email]": EMAIL, "pro[password]": sha1(PASSWORD)}},
        {"method": "GET", "url": LIST, "params": q, "auth": False, "cookie": True},
        # bad inputs
        {"method": "POST", "url": LIST, "params": q, "data": b'{"calendar": {"name": ',
         "headers": {"Content-Type": "application/json"}},
        {"method": "POST", "url": LIST, "params": q, "json": {"calendar": {"name": "x" * 256}}},
        {"method": "POST", "url": LIST, "params": q, "json": {"calendar": {"name": ""}}},
        {"method": "POST", "url": LIST, "params": q,
         "json": {"calendar": {"name": "Proxy C", "colour": "red"}}},
        {"method": "POST", "url": LIST, "params": q,
         "json": {"calendar": {"name": "Proxy D", "group_id": 5}}},
        {"method": "PUT", "url": one, "params": q, "json": {"calendar": {"sort": "12"}}},
        {"method": "PUT", "url": one, "params": q, "json": {"calendar": {"deleted": True}}},
        {"method": "POST", "url": LIST, "json": {"apikey": APIKEY, "calendar": {"name": "Proxy E", "id": 5}}},
        {"method": "GET", "url": LIST, "auth": False},
        {"method": "GET", "url": LIST, "params": q, "auth": (EMAIL, "wrong")},
        {"method": "GET", "url": f"{LIST}/99999", "params": q},
        {"method": "GET", "url": "/api/v1/groups/999/calendars", "params": q},
        {"method": "GET", "url": LIST, "params": {**q, "results": "0"}},
        {"method": "PATCH", "url": one, "params": q, "json": {"calendar": {"city": "x"}}},
        {"method": "GET", "url": "/api/v1/nothing-here", "params": q},
    ]


def run_session(base_url: str) -> list[requests.Response]:
    """Send every step to `base_url`, in order, on one connection-keeping session."""
    answers = []
    with requests.Session() as client:
        cookie = None
        for step in session_steps():
            step = dict(step)
            url = base_url + step.pop("url")
            auth = step.pop("auth", AUTH)
            headers = step.pop("headers", {})
            if step.pop("cookie", False):
                headers = {**headers, "Cookie": f"_session_id={cookie}"}
            answer = client.request(url=url, auth=auth or None, headers=headers, timeout=10, **step)
            if answer.cookies.get("_session_id"):
                cookie = answer.cookies["_session_id"]
            answers.append(answer)
    return answers
