"""A clinic's data (not the demo's) and one session of an app on it, recorded as HAR: what the
tests of seed-from-har and replay read.

The session lists (all, by intervention, by calendarset, by search, by condition), shows, logs
in and reads with the cookie, creates two calendars (one without `sort`), updates, deletes and
restores them, and is refused three times (a negative timing, an unknown id, a wrong password).
It writes only to the calendars it creates. Group 8 holds calendar 201, which the session never
sees, so the recording's mock gives new calendars ids from 202 on.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from har_recording import HarRecorder, recording_api

from contract_tests.client import Api, Identity
from mock_server import create_app

PASSWORD, APIKEY = "clinic-secret-pw", "clinic-apikey-77f3"
IDENTITY = Identity(APIKEY, "accueil@clinique.test", PASSWORD, 7)


def _calendar(cid: int, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "group_id": 7, "calendarset_id": 30, "name": name, "publicname": "", "address": None,
            "zipcode": None, "city": "Nantes", "sort": cid - 100, "generate_interval": 15, "mintime_rdv": 0,
            "maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False,
            "created_at": "2025-02-03 10:00:00", "updated_at": "2025-02-04 11:30:00", **fields}


CLINIC: dict[str, Any] = {
    "description": "A clinic: group 7 (five calendars, one soft-deleted), group 8 (one calendar)",
    "apikeys": [{"key": APIKEY, "application": "Clinic app"}],
    "groups": [{"id": 7, "name": "Clinique du Parc"}, {"id": 8, "name": "Cabinet voisin"}],
    "users": [{"id": 21, "email": IDENTITY.user, "password": PASSWORD, "group_id": 7, "group_ids": [7],
               "created_at": "2025-02-01 08:00:00"}],
    "calendarsets": [{"id": 30, "group_id": 7, "name": "Kiné"}, {"id": 31, "group_id": 7, "name": "Ostéo"},
                     {"id": 32, "group_id": 8, "name": "Voisins"}],
    "interventions": [{"id": 40, "group_id": 7, "name": "Bilan", "calendar_ids": [101, 102]},
                      {"id": 41, "group_id": 7, "name": "Séance", "calendar_ids": [102, 103, 104]}],
    "calendars": [
        _calendar(101, "Dr Kiné A", publicname="Kiné A en ligne"),
        _calendar(102, "Dr Kiné B", city=None),
        _calendar(103, "Ostéo C", calendarset_id=31, address="3 rue Haute", zipcode="44000"),
        _calendar(104, "Ostéo D", calendarset_id=31, deleted=True),
        _calendar(105, "Salle commune", calendarset_id=None, sort=10),
        {**_calendar(201, "Voisin", calendarset_id=32), "group_id": 8},
    ],
}


def clinic_seed() -> dict[str, Any]:
    return copy.deepcopy(CLINIC)


def record_session(recorder: HarRecorder, identity: Identity = IDENTITY) -> list[int]:
    """The session, through `recorder`; the ids of the calendars it created."""
    return run_session(recording_api(recorder, identity), identity)


def run_session(api: Api, identity: Identity = IDENTITY) -> list[int]:
    """The session's 19 requests through `api`; the ids of the calendars it created."""
    api.list([("results", "all")])
    api.list([("intervention_ids[]", "40")])
    api.list([("intervention_ids[]", "41"), ("sort", "name")])
    api.list([("calendarset_ids[]", "30")])
    api.show(101)
    cookie = api.login().session_cookie()
    api.show(102, suffix=".json", auth=None, cookie=cookie)
    first = api.create({"name": "Dr Nouveau", "city": "Lyon", "calendarset_id": 30}).json()["id"]
    api.update(first, {"publicname": "Nouveau en ligne"})
    api.list([("search", "nouveau")])
    second = api.create({"name": "Salle 2", "sort": 50, "group_id": identity.group_id}).json()["id"]
    api.delete(second)
    api.list([("results", "all"), ("sort", "sort"), ("dir", "desc")])
    api.show(first, suffix=".json")
    api.update(first, {"generate_interval": -5})  # 400
    api.show(999999)  # 404
    api.list(auth=(identity.user, "a-wrong-password"))  # 401
    api.update(second, {"deleted": False})
    api.list([("conditions[0][field]", "city"), ("conditions[0][op]", "="), ("conditions[0][value]", "Lyon")])
    return [first, second]


def recorded_clinic(tmp_path: Path, **recorder_options: Any) -> tuple[Path, Any, list[int]]:
    """The session recorded on a mock of the clinic: the HAR file, that mock, the created ids."""
    app = create_app(clinic_seed())
    recorder = HarRecorder(app, **recorder_options)
    created = record_session(recorder)
    return recorder.write(tmp_path / "session.har"), app, created
