"""Concurrency soak over real HTTP: 16 workers, mixed writes and reads, bounded in count and time."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from mock_server import create_app, mock_of
from mock_server.serve.waitress_server import serve_in_thread

KEY = "demo-apikey-4f1c2b"
AUTH = ("pro@demo.test", "demo-password")
WORKERS = 16
SECONDS = 4.0
MAX_REQUESTS_PER_WORKER = 400

pytestmark = [pytest.mark.http, pytest.mark.slow]


@dataclass
class Worker:
    number: int
    base: str
    expected: dict[int, dict] = field(default_factory=dict)  # calendar id -> last acknowledged values
    sent: int = 0
    failures: list[str] = field(default_factory=list)

    def run(self, deadline: float) -> None:
        rng = random.Random(self.number)
        session = requests.Session()
        session.auth = AUTH
        while time.monotonic() < deadline and self.sent < MAX_REQUESTS_PER_WORKER:
            own = list(self.expected)
            action = rng.choice(["create", "create", "update", "delete", "restore", "list", "show"])
            if action != "create" and not own:
                action = "create"
            try:
                self._do(session, rng, action, rng.choice(own) if own else None)
            except requests.RequestException as error:
                self.failures.append(f"{action}: {error!r}")

    def _call(self, session, method: str, path: str, params: dict | None = None,
              **kwargs) -> requests.Response:
        self.sent += 1
        response = session.request(method, self.base + path, params={"apikey": KEY, **(params or {})},
                                   timeout=10, **kwargs)
        if response.status_code not in (200, 201):
            self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def _do(self, session, rng: random.Random, action: str, target: int | None) -> None:
        base = "/api/v1/groups/4/calendars"
        if action == "create":
            name = f"soak-{self.number}-{self.sent}"
            created = self._call(session, "POST", base, json={"calendar": {"name": name}}).json()
            self.expected[created["id"]] = {"name": name, "deleted": False}
        elif action == "update":
            name = f"soak-{self.number}-{self.sent}-renamed-{rng.randint(0, 999)}"
            self._call(session, "PUT", f"{base}/{target}", json={"calendar": {"name": name}})
            self.expected[target]["name"] = name
        elif action == "delete":
            self._call(session, "DELETE", f"{base}/{target}")
            self.expected[target]["deleted"] = True
        elif action == "restore":
            self._call(session, "PUT", f"{base}/{target}", json={"calendar": {"deleted": False}})
            self.expected[target]["deleted"] = False
        elif action == "list":
            self._call(session, "GET", base, params={"results": 50, "startIndex": rng.randint(0, 40)})
        else:
            self._call(session, "GET", f"{base}/{target}")


def test_soak_keeps_every_acknowledged_write():
    app = create_app(journal_size=100_000)
    seed_count = len(mock_of(app).store.dump()["calendars"])
    with serve_in_thread(app, threads=16) as server:
        workers = [Worker(number, server.base_url) for number in range(WORKERS)]
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=worker.run, args=(deadline,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 30)
        assert not any(thread.is_alive() for thread in threads), "a worker hung"
        listing = requests.get(f"{server.base_url}/api/v1/groups/4/calendars",
                               params={"apikey": KEY, "results": "all"}, auth=AUTH, timeout=10).json()

    failures = [failure for worker in workers for failure in worker.failures]
    assert failures == [], failures[:5]
    sent = sum(worker.sent for worker in workers)
    expected = {cid: values for worker in workers for cid, values in worker.expected.items()}
    assert sent > WORKERS * 10, f"the soak barely ran ({sent} requests)"
    records = {record["id"]: record for record in listing["records"]}
    assert len(records) == len(listing["records"]), "duplicate ids in the list"
    group_5 = sum(1 for c in mock_of(app).store.dump()["calendars"] if c["group_id"] == 5)
    assert listing["totalRecords"] == seed_count - group_5 + len(expected)
    for calendar_id, values in expected.items():
        assert calendar_id in records, f"acknowledged calendar {calendar_id} is missing"
        assert records[calendar_id]["name"] == values["name"]
        assert records[calendar_id]["deleted"] is values["deleted"]
    journal = mock_of(app).journal.entries()
    assert len(journal) == sent + 1, "every API request is journaled exactly once"
    assert [entry["seq"] for entry in journal] == list(range(1, len(journal) + 1))


def test_journal_stays_bounded_under_load():
    app = create_app(journal_size=50)
    with serve_in_thread(app) as server:
        session = requests.Session()
        for _ in range(300):
            session.get(f"{server.base_url}/api/v1/groups/4/calendars", params={"apikey": KEY},
                        auth=AUTH, timeout=5)
    entries = mock_of(app).journal.entries()
    assert len(entries) == 50
    assert entries[-1]["seq"] == 300
