"""`calendar-mock serve` stops within 2 s on SIGTERM or SIGINT, even with a request in flight
that would take far longer, and leaves no process of its own behind: under granian (the
default) and waitress.

Each server runs in its own process group (as a terminal runs a foreground job), so that
"no process left" is `os.killpg(pgid, 0)` failing, and Ctrl-C is SIGINT to the whole group.
Every wait is bounded, and a watchdog kills the group should a test go wrong.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from test_mock_cli import cli, read_banner

pytestmark = pytest.mark.http
SERVERS = ("granian", "waitress")
STOP_WITHIN_S = 2.0
WATCHDOG_S = 60.0
AUTH = ("pro@demo.test", "demo-password")
LIST = "/api/v1/groups/4/calendars?apikey=demo-apikey-4f1c2b"
SLOW_LIST = {"action": "delay", "path": "/calendars", "times": 1, "delay_ms": 30000}


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    stderr: Path
    outcome: dict = field(default_factory=dict)

    @property
    def pgid(self) -> int:
        return self.process.pid  # a session leader: its group is its pid

    def diagnosis(self) -> str:
        listing = subprocess.run(["ps", "-o", "pid,ppid,stat,pcpu,args", "-g", str(self.pgid)],
                                 capture_output=True, text=True, timeout=10, check=False).stdout
        return f"processes left:\n{listing}\nstderr:\n{self.stderr.read_text()[-2000:]}"


@contextlib.contextmanager
def served_in_own_group(server: str, tmp_path: Path) -> Iterator[Served]:
    """`calendar-mock serve --port 0 --server <server>` as a new session; killed on leaving."""
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen([*cli(), "serve", "--port", "0", "--server", server],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   start_new_session=True)
    watchdog = threading.Timer(WATCHDOG_S, _kill_group, (process.pid,))
    watchdog.daemon = True
    watchdog.start()  # read_banner blocks in readline: a hung server must not hang the test
    try:
        url = re.search(r"listening on (http://\S+)", read_banner(process))[1]
        yield Served(process, url, stderr_path)
    finally:
        watchdog.cancel()
        _kill_group(process.pid)
        process.wait(timeout=10)
        process.stdout.close()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _in_background(served: Served, call: Callable[[], requests.Response]) -> threading.Thread:
    def run() -> None:
        try:
            served.outcome["status"] = call().status_code
        except requests.RequestException as error:
            served.outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def put_a_slow_request_in_flight(served: Served) -> threading.Thread:
    """A list that a delay fault holds for 30 s, sent from a thread; returns once the mock
    has picked the fault (it is then waiting the delay out)."""
    requests.post(f"{served.url}/_mock/faults", json=SLOW_LIST, timeout=10).raise_for_status()
    thread = _in_background(served, lambda: requests.get(served.url + LIST, auth=AUTH, timeout=40))
    end = time.monotonic() + 10
    while time.monotonic() < end:
        faults = requests.get(f"{served.url}/_mock/faults", timeout=10).json()["faults"]
        if faults and faults[0]["hits"] == 1:
            return thread
        time.sleep(0.02)
    raise AssertionError(f"the slow request never reached the mock: {served.outcome}")


def assert_gone_in_time(served: Served, signalled: float) -> None:
    """The CLI process exits, with status 0, and no process of its group is left, both
    within STOP_WITHIN_S of `signalled`."""
    try:
        served.process.wait(timeout=max(0.0, signalled + STOP_WITHIN_S - time.monotonic()))
    except subprocess.TimeoutExpired:
        pytest.fail(f"calendar-mock still runs {STOP_WITHIN_S} s after the signal; {served.diagnosis()}")
    assert served.process.returncode == 0, served.diagnosis()
    assert_group_gone_in_time(served, signalled)


def assert_group_gone_in_time(served: Served, signalled: float) -> None:
    while True:
        try:
            os.killpg(served.pgid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > signalled + STOP_WITHIN_S:
            pytest.fail(f"a process of calendar-mock outlived it; {served.diagnosis()}")
        time.sleep(0.02)


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("how", ["SIGTERM to the CLI", "SIGINT to the group (Ctrl-C)"])
def test_a_stop_ends_every_process_within_2_s_even_mid_request(server, how, tmp_path):
    with served_in_own_group(server, tmp_path) as served:
        slow = put_a_slow_request_in_flight(served)
        signalled = time.monotonic()
        if how.startswith("SIGTERM"):
            os.kill(served.process.pid, signal.SIGTERM)
        else:
            os.killpg(served.pgid, signal.SIGINT)
        assert_gone_in_time(served, signalled)
        slow.join(timeout=10)
        assert not slow.is_alive()


@pytest.mark.parametrize("server", SERVERS)
def test_an_idle_mock_stops_at_once_with_status_0(server, tmp_path):
    with served_in_own_group(server, tmp_path) as served:
        assert requests.get(served.url + LIST, auth=AUTH, timeout=10).status_code == 200
        signalled = time.monotonic()
        os.kill(served.process.pid, signal.SIGTERM)
        assert_gone_in_time(served, signalled)
        assert time.monotonic() - signalled < 1.0


@pytest.mark.parametrize("server", SERVERS)
def test_a_killed_cli_leaves_no_process_behind(server, tmp_path):
    """SIGKILL cannot be handled: whatever the CLI started must notice and end by itself."""
    with served_in_own_group(server, tmp_path) as served:
        put_a_slow_request_in_flight(served)
        signalled = time.monotonic()
        os.kill(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=STOP_WITHIN_S)
        assert_group_gone_in_time(served, signalled)


BUSY = """
from mock_server.serve.signals import StopSignals
StopSignals()
print("busy", flush=True)
while True:  # a request holding the main thread: no event loop turn, no return
    pass
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda signum: signum.name)
def test_a_main_thread_busy_in_python_still_stops_within_2_s(signum):
    """The stop handlers the CLI installs (under both servers) end the process even when the
    main thread never returns to the event loop, with status 0."""
    process = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        assert process.stdout.readline() == "busy\n"
        signalled = time.monotonic()
        process.send_signal(signum)
        assert process.wait(timeout=STOP_WITHIN_S) == 0
        assert time.monotonic() - signalled < STOP_WITHIN_S
    finally:
        _kill_group(process.pid)
        process.wait(timeout=10)
        process.stdout.close()
