"""`mock_clicrdv()`: requests and httpx (sync and async) calls to ClicRDV's hosts answered by an
in-process mock, used as an integrator's app would be - unchanged, calling the real URLs.

No socket is opened for an intercepted call (the tests forbid `connect` while they call); a
call to another host (a small server on 127.0.0.1 here) goes out, or is refused on request.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import requests.adapters
from spec_validation import DEMO_APIKEY, PRO, check_response

from mock_server import mock_clicrdv
from mock_server.intercept import OtherHostRefused, default_hosts

PRODUCTION, SANDBOX = "https://www.clicrdv.com", "https://sandbox.clicrdv.com"
LIST = "/api/v1/groups/4/calendars"


def checked(response) -> object:
    """The body of a requests or httpx response, checked against the spec."""
    return check_response(response.request.method, urlsplit(str(response.request.url)).path,
                          response.status_code, response.headers, response.content)


def listed(response) -> list[int]:
    return [record["id"] for record in checked(response)["records"]]


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to connect a socket fails the test: intercepted calls must not need one."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a socket tried to connect to {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def outside() -> Iterator[tuple[str, list[str]]]:
    """Another host: a plain HTTP server on 127.0.0.1; its URL and the paths it was asked for."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b"outside"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_the_default_hosts_are_the_documented_servers():
    assert default_hosts() == (PRODUCTION, SANDBOX)


def test_requests_and_httpx_sync_reach_the_mock_without_a_socket(no_sockets):
    with mock_clicrdv() as mock:
        assert mock.base_url == PRODUCTION
        via_requests = requests.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth, timeout=5)
        via_httpx = httpx.get(SANDBOX + LIST + ".json", params={"apikey": mock.apikey}, auth=mock.auth)
        with requests.Session() as session:  # a Session made inside, and its adapter
            created = session.post(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth,
                                   json={"calendar": {"name": "Intercepted"}})
    assert listed(via_requests) == listed(via_httpx) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert created.status_code == 201 and checked(created)["name"] == "Intercepted"
    assert [entry["method"] for entry in mock.requests()] == ["GET", "GET", "POST"]


def test_httpx_async_reaches_the_mock_without_a_socket(no_sockets):
    async def app_code() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(base_url=PRODUCTION, auth=PRO, params={"apikey": DEMO_APIKEY}) as client:
            updated = await client.put(f"{LIST}/2", json={"calendar": {"publicname": "En ligne"}})
            return updated, await client.get(f"{LIST}/2.json")

    with mock_clicrdv():
        updated, shown = asyncio.run(app_code())
    assert updated.status_code == shown.status_code == 200
    assert checked(shown)["publicname"] == "En ligne"


def test_a_client_made_before_the_interception_is_intercepted_too(no_sockets):
    with requests.Session() as session, httpx.Client() as client, mock_clicrdv() as mock:
        first = session.get(mock.url(f"{LIST}/1"), params={"apikey": mock.apikey}, auth=mock.auth)
        second = client.get(mock.url(f"{LIST}/1"), params={"apikey": mock.apikey}, auth=mock.auth)
    assert first.json() == second.json() and first.json()["id"] == 1


def test_a_session_cookie_from_login_is_kept_by_the_client(no_sockets):
    import hashlib

    digest = hashlib.sha1(PRO[1].encode()).hexdigest()
    with mock_clicrdv() as mock, requests.Session() as session:
        login = session.post(mock.url("/api/v1/sessions/login.json"),
                             params={"apikey": mock.apikey, "pro[email]": PRO[0], "pro[password]": digest})
        shown = session.get(mock.url(f"{LIST}/1.json"), params={"apikey": mock.apikey})  # no Basic auth
    assert login.status_code == 200 and "_session_id" in session.cookies
    assert shown.status_code == 200


@pytest.mark.http
def test_other_hosts_go_out_as_usual(outside):
    base, hits = outside
    with mock_clicrdv():
        assert requests.get(base + "/plain", timeout=5).text == "outside"
        assert httpx.get(base + "/httpx").text == "outside"
        assert asyncio.run(_async_get(base + "/async")) == "outside"
    assert hits == ["/plain", "/httpx", "/async"]


async def _async_get(url: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


@pytest.mark.http
def test_other_hosts_are_refused_on_request(outside):
    base, hits = outside
    with mock_clicrdv(other_hosts="refuse") as mock:
        refused = r"refused GET http://127\.0\.0\.1:\d+/a: .*www\.clicrdv\.com"
        with pytest.raises(OtherHostRefused, match=refused):
            requests.get(base + "/a", timeout=5)
        with pytest.raises(OtherHostRefused):
            httpx.get(base + "/b")
        with pytest.raises(OtherHostRefused):
            asyncio.run(_async_get(base + "/c"))
        assert requests.get(mock.url(f"{LIST}/1"), params={"apikey": mock.apikey}, auth=mock.auth).ok
    assert hits == []
    assert not issubclass(OtherHostRefused, requests.RequestException | httpx.HTTPError)


@pytest.mark.http
def test_hosts_can_be_chosen_with_a_port(outside):
    base, hits = outside
    port = urlsplit(base).port
    with mock_clicrdv(hosts=[f"127.0.0.1:{port}"], other_hosts="refuse") as mock:
        assert mock.base_url == f"https://127.0.0.1:{port}"
        answer = requests.get(f"{base}{LIST}/1", params={"apikey": mock.apikey}, auth=mock.auth, timeout=5)
        with pytest.raises(OtherHostRefused):  # ClicRDV itself is not among the hosts now
            requests.get(PRODUCTION + LIST, timeout=5)
    assert answer.json()["id"] == 1 and hits == []


@pytest.mark.parametrize("hosts", [["https://x.test/api"], ["x.test:notaport"], [""], [], "x.test"])
def test_bad_hosts_are_refused_by_name(hosts):
    with pytest.raises(ValueError, match="hosts"):
        mock_clicrdv(hosts=hosts)


def test_other_hosts_takes_pass_or_refuse():
    with pytest.raises(ValueError, match="other_hosts must be one of pass, refuse"):
        mock_clicrdv(other_hosts="block")


def test_the_hooks_are_restored_after_an_exception():
    before = (requests.adapters.HTTPAdapter.send, httpx.HTTPTransport.handle_request,
              httpx.AsyncHTTPTransport.handle_async_request)
    with pytest.raises(ZeroDivisionError), mock_clicrdv():
        assert requests.adapters.HTTPAdapter.send is not before[0]
        1 / 0  # noqa: B018
    assert (requests.adapters.HTTPAdapter.send, httpx.HTTPTransport.handle_request,
            httpx.AsyncHTTPTransport.handle_async_request) == before


def test_nested_interceptions_stack_and_unwind(no_sockets):
    def names(url: str, mock) -> list[str]:
        params = {"apikey": mock.apikey, "results": "all"}
        body = requests.get(url + LIST, params=params, auth=mock.auth).json()
        return [record["name"] for record in body["records"]]

    seed = _small_seed()
    with mock_clicrdv() as outer:
        with mock_clicrdv(seed, hosts=[SANDBOX]) as inner:
            assert names(SANDBOX, inner) == ["Only one"]
            assert len(names(PRODUCTION, outer)) == 8
        assert len(names(SANDBOX, outer)) == 8  # the outer mock answers the sandbox again
        interception = mock_clicrdv()
        with interception, pytest.raises(RuntimeError, match="active already"), interception:
            pass


def test_interceptions_in_two_threads_keep_their_own_state():
    results: dict[str, object] = {}
    ready = threading.Barrier(2)

    def worker(host: str) -> None:
        with mock_clicrdv(hosts=[host]) as mock:
            ready.wait(timeout=10)
            url = f"https://{host}{LIST}"
            requests.post(url, params={"apikey": mock.apikey}, auth=mock.auth,
                          json={"calendar": {"name": host}})
            ready.wait(timeout=10)
            body = requests.get(url, params={"apikey": mock.apikey, "results": "all"}, auth=mock.auth).json()
            results[host] = [record["name"] for record in body["records"]][8:]

    threads = [threading.Thread(target=worker, args=(host,)) for host in ("a.test", "b.test")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {"a.test": ["a.test"], "b.test": ["b.test"]}
    assert requests.adapters.HTTPAdapter.send.__module__ == "requests.adapters"


def _small_seed() -> dict:
    return {"apikeys": [{"key": DEMO_APIKEY}], "groups": [{"id": 4}],
            "users": [{"id": 1, "email": PRO[0], "password": PRO[1], "group_id": 4}],
            "calendars": [{"group_id": 4, "name": "Only one"}]}


# -- decorator and fixture -------------------------------------------------------------------
@mock_clicrdv()
def test_as_a_decorator_the_test_gets_the_mock(clicrdv_mock):
    response = requests.get(PRODUCTION + LIST, params={"apikey": clicrdv_mock.apikey}, auth=clicrdv_mock.auth)
    assert listed(response) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_each_call_of_a_decorated_function_has_a_fresh_mock():
    @mock_clicrdv(_small_seed())
    def create_and_count(label: str, clicrdv_mock=None) -> int:
        requests.post(PRODUCTION + LIST, params={"apikey": DEMO_APIKEY}, auth=PRO,
                      json={"calendar": {"name": label}})
        return len(clicrdv_mock.state()["calendars"])

    assert create_and_count("first") == create_and_count("second") == 2


def test_a_decorated_coroutine_runs_inside_its_interception():
    @mock_clicrdv()
    async def fetch() -> int:
        async with httpx.AsyncClient() as client:
            response = await client.get(PRODUCTION + LIST + "/3", params={"apikey": DEMO_APIKEY}, auth=PRO)
            return response.json()["id"]

    assert asyncio.run(fetch()) == 3


def test_the_fixture_yields_a_calendar_mock(calendar_mock_intercept, no_sockets):
    mock = calendar_mock_intercept
    mock.configure(deleted_calendars="hidden")
    response = httpx.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth)
    assert 6 not in listed(response)
    assert mock.profile()["deleted_calendars"] == "hidden"
    mock.reset()
    assert mock.requests() == [] and mock.profile()["deleted_calendars"] == "listed"


# -- faults through the interceptor ------------------------------------------------------------
def test_error_fault_answers_its_status(calendar_mock_intercept):
    mock = calendar_mock_intercept
    mock.inject("error", path="/calendars$", status=503, times=1)
    assert requests.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth).status_code == 503
    assert httpx.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth).status_code == 200


@pytest.mark.parametrize("fault, requests_error, httpx_error", [
    ("drop", requests.exceptions.ConnectionError, httpx.RemoteProtocolError),
    ("truncate", requests.exceptions.ChunkedEncodingError, httpx.RemoteProtocolError),
])
def test_cut_connections_raise_the_clients_own_errors(calendar_mock_intercept, fault, requests_error,
                                                      httpx_error):
    mock = calendar_mock_intercept
    mock.inject(fault, path="/calendars$", times=3)
    params = {"apikey": mock.apikey}
    with pytest.raises(requests_error):
        requests.get(mock.url(LIST), params=params, auth=mock.auth)
    with pytest.raises(httpx_error):
        httpx.get(mock.url(LIST), params=params, auth=mock.auth)
    with pytest.raises(httpx_error):
        asyncio.run(_async_list(mock))


async def _async_list(mock) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth)


def test_a_delay_past_the_read_timeout_times_out_and_the_write_still_happens(calendar_mock_intercept):
    mock = calendar_mock_intercept
    mock.inject("delay", method="POST", path="/calendars$", delay_ms=5000, times=3)
    body = {"calendar": {"name": "Slow"}}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth, json=body, timeout=0.05)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth, json=body, timeout=0.05)

    async def post() -> None:
        async with httpx.AsyncClient(timeout=0.05) as client:
            await client.post(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth, json=body)

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(post())
    names = [calendar["name"] for calendar in mock.state()["calendars"]]
    assert names.count("Slow") == 3  # as a server that answers after its client gave up


def test_a_short_delay_answers(calendar_mock_intercept):
    mock = calendar_mock_intercept
    mock.inject("delay", path="/calendars$", delay_ms=20, times=1)
    response = requests.get(mock.url(LIST), params={"apikey": mock.apikey}, auth=mock.auth, timeout=5)
    assert response.status_code == 200
    assert mock.faults()[0]["hits"] == 1


def test_the_control_plane_answers_on_the_intercepted_host(calendar_mock_intercept):
    mock = calendar_mock_intercept
    requests.get(mock.url(LIST), params={"apikey": "wrong"}, auth=mock.auth)
    refused = requests.get(mock.url("/_mock/requests/refused")).json()
    assert refused["count"] == 1 and refused["requests"][0]["status"] == 401
