"""`calendar-mock proxy` behind a corporate proxy: the upstream reached through the HTTP proxy
the environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), as the contract suite's requests
reach it; a proxy that refuses is a 502 that names it."""

from __future__ import annotations

import pytest
import requests
from forward_proxy import forward_proxy
from proxy_support import APIKEY, AUTH, LIST, proxy, upstream_mock, violations
from tls_support import TLS, https_mock

pytestmark = pytest.mark.http
VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
             "NO_PROXY", "no_proxy")


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _list(url: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # the test's own client goes straight to the proxy under test
    return session.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)


def test_an_https_upstream_through_a_connect_tunnel(environment):
    environment.setenv("REQUESTS_CA_BUNDLE", str(TLS / "ca.pem"))
    with https_mock() as upstream, forward_proxy() as corporate:
        environment.setenv("HTTPS_PROXY", corporate.url.replace("http://", "http://qa:s%40cret@"))
        with proxy(upstream) as (_, url):
            first, second = _list(url), _list(url)
    assert first.status_code == second.status_code == 200 and violations(first) == []
    port = upstream.rsplit(":", 1)[1]
    assert set(corporate.requests) == {f"CONNECT 127.0.0.1:{port} HTTP/1.1"}
    assert set(corporate.authorizations) == {"Basic cWE6c0BjcmV0"}  # qa:s@cret


def test_an_http_upstream_asked_of_the_proxy_in_absolute_form(environment):
    with upstream_mock() as upstream, forward_proxy() as corporate:
        environment.setenv("HTTP_PROXY", corporate.url)
        with proxy(upstream.base_url) as (_, url):
            answer = _list(url)
    assert answer.status_code == 200 and violations(answer) == []
    assert corporate.requests[0].startswith(f"GET {upstream.base_url}{LIST}?apikey=")


def test_no_proxy_goes_straight_to_the_upstream(environment):
    with upstream_mock() as upstream, forward_proxy() as corporate:
        environment.setenv("HTTP_PROXY", corporate.url)
        environment.setenv("NO_PROXY", "localhost,127.0.0.1")
        with proxy(upstream.base_url) as (_, url):
            answer = _list(url)
    assert answer.status_code == 200 and corporate.requests == []


def test_a_proxy_that_refuses_the_tunnel_is_a_502_naming_it(environment):
    with https_mock() as upstream, forward_proxy(refuse="407 Proxy Authentication Required") as corporate:
        environment.setenv("HTTPS_PROXY", corporate.url)
        with proxy(upstream) as (_, url):
            answer = _list(url)
    assert answer.status_code == 502
    assert answer.json()["error"] == (f"the upstream {upstream} cannot be reached through the proxy "
                                      f"{corporate.url}: the proxy answered HTTP/1.1 407 Proxy "
                                      "Authentication Required")
