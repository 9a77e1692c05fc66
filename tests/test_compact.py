"""Compact records: key-sharing dicts that read, compare and serialise like plain ones."""

from __future__ import annotations

import base64
import json
import sys

from calendar_fixtures import DEMO_PATH

from mock_server import create_app, mock_of
from mock_server.calendars.compact import MAX_LAYOUTS, KeySharing

BASIC = {"Authorization": "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()}


def test_a_compact_dict_is_a_dict_equal_to_its_values_and_smaller():
    sharing = KeySharing()
    values = {"id": 1, "name": "Dr Martin", "city": None, "deleted": False}
    first, second = sharing.dict(values), sharing.dict({**values, "id": 2})
    assert type(first) is dict and first == values and list(first) == list(values)
    assert json.dumps(first) == json.dumps(values)
    assert second["id"] == 2 and first["id"] == 1, "compact dicts share keys, not values"


def test_a_stored_calendar_takes_less_memory_than_a_plain_dict():
    calendar = mock_of(create_app()).store._data.calendars[1]
    assert type(calendar) is dict
    assert sys.getsizeof(calendar) < 0.6 * sys.getsizeof(dict(calendar))


def test_layouts_are_bounded_and_the_rest_are_plain_dicts():
    sharing = KeySharing()
    made = [sharing.dict({f"key{n}": n}) for n in range(MAX_LAYOUTS + 5)]
    assert all(made[n] == {f"key{n}": n} for n in range(len(made)))


def test_a_seed_file_is_read_with_strings_kept_once(tmp_path):
    demo = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
    for calendar in demo["calendars"]:
        calendar["city"] = "Nantes"
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(demo), encoding="utf-8")
    store = mock_of(create_app(str(path))).store
    cities = [record["city"] for record in store._data.calendars.values()]
    assert len(cities) == len(demo["calendars"]) and set(cities) == {"Nantes"}
    assert len({id(city) for city in cities}) == 1


def test_reset_brings_back_records_changed_since():
    app = create_app()
    client = app.test_client()
    before = mock_of(app).store.dump()["calendars"]
    answer = client.put("/api/v1/groups/4/calendars/1", query_string={"apikey": "demo-apikey-4f1c2b"},
                        json={"calendar": {"city": "Lyon", "deleted": True}}, headers=BASIC)
    assert answer.status_code == 200
    assert mock_of(app).store.dump()["calendars"] != before
    client.post("/_mock/reset")
    assert mock_of(app).store.dump()["calendars"] == before
