"""The servers compared: how each is started, what it is sent, and how it is stopped.

Every peer binds 127.0.0.1 on a free port, runs in its own process group (so its RSS is
the sum over that group and stopping it ends exactly the processes started here), and
logs to a file under benchmarks/.work/.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from load import Request
from seeds import write_json_server_files

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = Path(__file__).resolve().parent / ".node" / "node_modules" / ".bin"
SPEC = ROOT / "spec" / "openapi.yaml"
HOST = "127.0.0.1"
APIKEY = "demo-apikey-4f1c2b"
USER, PASSWORD = "pro@demo.test", "demo-password"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
OPERATIONS = ("list", "show", "create", "update")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICK = os.sysconf("SC_CLK_TCK")

_BASE = "/api/v1/groups/4/calendars"
_Q = f"apikey={APIKEY}"
# The mock and Prism get the same, spec-valid requests (Prism validates them too).
API_REQUESTS = {
    "ready": Request("GET", f"{_BASE}?{_Q}"),
    "list": Request("GET", f"{_BASE}?{_Q}&calendarset_ids%5B%5D=8&sort=name&dir=asc&results=25"),
    "show": Request("GET", f"{_BASE}/1?{_Q}"),
    "create": Request("POST", f"{_BASE}?{_Q}", b'{"calendar":{"group_id":4,"name":"Agenda bench",'
                      b'"publicname":"Agenda bench","calendarset_id":8}}'),
    "update": Request("PUT", f"{_BASE}/2?{_Q}", '{"calendar":{"publicname":"Agenda renommé"}}'.encode()),
}
# json-server speaks its own dialect on the same paths: its filter/sort/limit parameters, bare
# bodies, PATCH for a partial update, and no apikey (an unknown query parameter is a filter).
JSON_SERVER_REQUESTS = {
    "ready": Request("GET", _BASE),
    "list": Request("GET", f"{_BASE}?calendarset_id=8&_sort=name&_order=asc&_limit=25"),
    "show": Request("GET", f"{_BASE}/1"),
    "create": Request("POST", _BASE, b'{"group_id":4,"name":"Agenda bench","publicname":"Agenda bench",'
                      b'"calendarset_id":8}'),
    "update": Request("PATCH", f"{_BASE}/2", '{"publicname":"Agenda renommé"}'.encode()),
}


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    command: Callable[[int, Path], list[str]]
    requests: dict[str, Request] = field(default_factory=lambda: API_REQUESTS)
    auth: str | None = BASIC


def _mock(seed: Path | None = None, server: str = "granian") -> Callable[[int, Path], list[str]]:
    def command(port: int, work: Path) -> list[str]:
        cli = Path(sys.executable).with_name("calendar-mock")
        extra = ["--fixtures", str(seed)] if seed else []
        return [str(cli), "serve", "--host", HOST, "--port", str(port), "--server", server, *extra]
    return command


def _prism(*flags: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, work: Path) -> list[str]:
        return [str(NODE_BIN / "prism"), "mock", "-h", HOST, "-p", str(port), *flags, str(SPEC)]
    return command


def _json_server(port: int, work: Path) -> list[str]:
    db, routes = write_json_server_files(work)  # fresh data for every start
    return [str(NODE_BIN / "json-server"), "--host", HOST, "--port", str(port),
            "--routes", str(routes), str(db)]


def mock_peer(seed: Path | None = None, name: str = "mock", server: str = "granian") -> Peer:
    return Peer(name, f"calendar-mock serve --server {server}", _mock(seed, server))


PEERS = (
    mock_peer(),
    mock_peer(name="mock-waitress", server="waitress"),  # the other server the mock offers
    Peer("prism", "prism mock (defaults)", _prism()),
    Peer("prism-quiet", "prism mock --verboseLevel silent", _prism("--verboseLevel", "silent")),
    Peer("json-server", "json-server --routes", _json_server, JSON_SERVER_REQUESTS, None),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Running:
    """A started peer: its process group, base URL and log."""

    def __init__(self, peer: Peer, work: Path) -> None:
        self.peer = peer
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = work / f"{peer.name}.log"
        command = peer.command(self.port, work)
        self._log = self.log_path.open("wb")
        self.launched = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from launch to the first 200 on the plain list (polled every 5 ms)."""
        deadline = self.launched + timeout
        ready = self.peer.requests["ready"]
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.peer.name} exited {self.process.returncode}: {self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.send(ready, timeout=2)[0] == 200:
                    return time.perf_counter() - self.launched
            time.sleep(0.005)
        raise TimeoutError(f"{self.peer.name} not ready after {timeout} s: {self.log_tail()}")

    def send(self, request: Request, timeout: float = 10) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            headers = {"Authorization": self.peer.auth} if self.peer.auth else {}
            if request.body is not None:
                headers["Content-Type"] = "application/json"
            connection.request(request.method, request.path, body=request.body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _group(self) -> list[str]:
        """The /proc entries of every process in the peer's process group."""
        members = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[2]) == self.process.pid:
                        members.append(entry)
                except (OSError, IndexError, ValueError):
                    continue
        return members

    def rss_bytes(self) -> int:
        """Resident memory now, summed over the process group."""
        total = 0
        for entry in self._group():
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int(Path(f"/proc/{entry}/statm").read_text().split()[1]) * PAGE_SIZE
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far, summed over the process group."""
        total = 0
        for entry in self._group():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICK

    def hwm_bytes(self) -> int:
        """The kernel's peak resident memory (VmHWM) since start, summed over the process group."""
        total = 0
        for entry in self._group():
            with contextlib.suppress(OSError, IndexError, ValueError):
                for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        return total

    def log_tail(self, chars: int = 600) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
