"""A small ClicRDV client, as an integrator writes one: lists a group's bookable calendars,
creates and renames them, retries once on 429/503. Nothing in it knows about the mock."""

from __future__ import annotations

import time
from typing import Any

import requests

SANDBOX = "https://sandbox.clicrdv.com"


class ClinicClient:
    def __init__(self, apikey: str, email: str, password: str, group_id: int, base_url: str = SANDBOX,
                 session: requests.Session | None = None) -> None:
        self.base_url, self.apikey, self.group_id = base_url.rstrip("/"), apikey, group_id
        self.http = session or requests.Session()
        self.http.auth = (email, password)

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}/api/v1/groups/{self.group_id}{path}"
        params = {"apikey": self.apikey, **kwargs.pop("params", {})}
        for attempt in (1, 2):
            answer = self.http.request(method, url, params=params, timeout=5, **kwargs)
            if answer.status_code in (429, 503) and attempt == 1:
                time.sleep(min(float(answer.headers.get("Retry-After", "0")), 1.0))
                continue
            return answer
        return answer

    def bookable_calendars(self, page_size: int = 25) -> list[dict[str, Any]]:
        """Every live calendar with a public name, over every page."""
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            answer = self._call("GET", "/calendars", params={"results": page_size, "startIndex": start,
                                                              "sort": "sort", "dir": "asc"})
            answer.raise_for_status()
            page = answer.json()
            found += [c for c in page["records"] if c["publicname"] and not c["deleted"]]
            start += len(page["records"])
            if not page["records"] or start >= page["totalRecords"]:
                return found

    def open_calendar(self, name: str, publicname: str) -> dict[str, Any]:
        answer = self._call("POST", "/calendars", json={"calendar": {"name": name, "publicname": publicname}})
        answer.raise_for_status()
        return answer.json()

    def rename(self, calendar_id: int, publicname: str) -> dict[str, Any]:
        answer = self._call("PUT", f"/calendars/{calendar_id}", json={"calendar": {"publicname": publicname}})
        answer.raise_for_status()
        return answer.json()
