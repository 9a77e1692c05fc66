"""Show, create, partial update, soft delete and restore, in-process, with a manual clock."""

from __future__ import annotations

import pytest
from spec_validation import MANAGER, PRO5, SPEC, calendar_path, calendars_path, ids

DEFAULTS = {"publicname": "", "calendarset_id": None, "address": None, "zipcode": None,
            "city": None, "generate_interval": 15, "mintime_rdv": 0, "maxrdv_period": 131400,
            "mintime_annulation": 2880, "deleted": False}


@pytest.fixture
def timed(make_client, clock):
    """A client whose mock reads `clock` (2025-01-06 09:00:00 UTC until advanced)."""
    return make_client(clock=clock)


def create(client, calendar, group_id=4, **kwargs):
    response = client.post(calendars_path(group_id), json={"calendar": calendar}, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def show(client, calendar_id, group_id=4, **kwargs):
    response = client.get(calendar_path(calendar_id, group_id), **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_show_answers_the_bare_calendar_as_listed(client):
    record = show(client, 2)
    assert record["name"] == "Dr Bernard" and record["generate_interval"] == 20
    listed = client.get(calendars_path()).get_json()["records"]
    assert record == next(item for item in listed if item["id"] == 2)


def test_show_of_a_soft_deleted_calendar(client):
    record = show(client, 6)
    assert (record["deleted"], record["name"]) == (True, "Remplaçant été")


def test_create_applies_defaults_and_the_next_sort(timed):
    created = timed.post(calendars_path(), json={"calendar": {"name": "Nouveau"}})
    assert created.status_code == 201
    record = created.get_json()
    assert record == {**DEFAULTS, "id": 13, "group_id": 4, "name": "Nouveau", "sort": 9,
                      "created_at": "2025-01-06 09:00:00", "updated_at": "2025-01-06 09:00:00"}
    assert show(timed, 13) == record
    assert ids(timed.get(calendars_path())) == [1, 2, 3, 4, 5, 6, 7, 8, 13]


def test_create_keeps_the_values_sent(client):
    sent = {"name": "Cabinet", "publicname": "Cabinet public", "calendarset_id": 12,
            "address": "1 place X", "zipcode": "75001", "city": "Paris", "sort": 40,
            "generate_interval": 0, "mintime_rdv": 0, "maxrdv_period": 0,
            "mintime_annulation": 0, "deleted": False, "group_id": 4}
    record = create(client, sent)
    assert {key: record[key] for key in sent} == sent


def test_sort_is_the_groups_largest_plus_one(client):
    assert create(client, {"name": "a"})["sort"] == 9
    assert create(client, {"name": "b", "sort": 100})["sort"] == 100
    assert create(client, {"name": "c"})["sort"] == 101
    assert create(client, {"name": "d"}, group_id=5, auth=PRO5)["sort"] == 5


def test_sort_counts_soft_deleted_calendars(client):
    client.put(calendar_path(6), json={"calendar": {"sort": 70}})
    client.delete(calendar_path(6))
    assert create(client, {"name": "after"})["sort"] == 71


def test_ids_are_new_and_increasing_across_groups(client):
    first = create(client, {"name": "one"})
    second = create(client, {"name": "two"}, group_id=5, auth=MANAGER)
    assert (first["id"], second["id"]) == (13, 14)
    assert second["group_id"] == 5


def test_integral_floats_are_integers_and_read_only_keys_are_ignored(timed):
    record = create(timed, {"name": "x", "sort": 101.0, "generate_interval": 30.0, "group_id": 4.0,
                            "id": 999, "created_at": "1999-01-01 00:00:00", "updated_at": "junk"})
    assert (record["sort"], record["generate_interval"], record["group_id"]) == (101, 30, 4)
    assert isinstance(record["sort"], int) and isinstance(record["generate_interval"], int)
    assert record["id"] == 13
    assert record["created_at"] == record["updated_at"] == "2025-01-06 09:00:00"


def test_create_in_the_body_group_of_the_path(client):
    assert create(client, {"name": "x", "group_id": 4})["group_id"] == 4


def test_update_changes_only_the_keys_sent(timed, clock):
    before = show(timed, 1)
    clock.advance(5)
    response = timed.put(calendar_path(1), json={"calendar": {"publicname": "Agenda ouvert"}})
    assert response.status_code == 200
    after = response.get_json()
    assert after == {**before, "publicname": "Agenda ouvert", "updated_at": "2025-01-06 09:00:05"}
    assert show(timed, 1) == after


def test_update_can_set_and_clear_nullable_fields(client):
    after = client.put(calendar_path(2), json={"calendar": {"city": "Nice", "calendarset_id": None}})
    assert (after.get_json()["city"], after.get_json()["calendarset_id"]) == ("Nice", None)
    after = client.put(calendar_path(2), json={"calendar": {"city": None, "calendarset_id": 12}})
    assert (after.get_json()["city"], after.get_json()["calendarset_id"]) == (None, 12)


def test_updated_at_moves_only_when_a_value_changes(timed, clock):
    clock.advance(3600)
    same = timed.put(calendar_path(1), json={"calendar": {"name": "Dr Martin"}}).get_json()
    assert same["updated_at"] == "2024-01-15 09:00:00"
    clock.advance(1)
    moved = timed.put(calendar_path(1), json={"calendar": {"name": "Dr Martin", "sort": 3}})
    assert moved.get_json()["updated_at"] == "2025-01-06 10:00:01"
    assert moved.get_json()["created_at"] == "2024-01-15 09:00:00"


def test_empty_update_changes_nothing(client):
    before = show(client, 3)
    assert client.put(calendar_path(3), json={"calendar": {}}).get_json() == before


def test_delete_is_soft_and_answers_the_calendar(timed, clock):
    before = show(timed, 2)
    clock.advance(60)
    response = timed.delete(calendar_path(2))
    assert response.status_code == 200
    assert response.get_json() == {**before, "deleted": True, "updated_at": "2025-01-06 09:01:00"}
    assert show(timed, 2) == response.get_json()
    assert 2 in ids(timed.get(calendars_path()))


def test_delete_is_idempotent(timed, clock):
    first = timed.delete(calendar_path(3)).get_json()
    clock.advance(60)
    second = timed.delete(calendar_path(3))
    assert second.status_code == 200
    assert second.get_json() == first  # nothing changed: updated_at stays


def test_restore_with_put_deleted_false(timed, clock):
    before = show(timed, 4)
    timed.delete(calendar_path(4))
    clock.advance(10)
    restored = timed.put(calendar_path(4), json={"calendar": {"deleted": False}})
    assert restored.status_code == 200
    assert restored.get_json() == {**before, "updated_at": "2025-01-06 09:00:10"}


def test_restore_a_seed_deleted_calendar(client):
    assert client.put(calendar_path(6), json={"calendar": {"deleted": False}}).get_json()["deleted"] is False
    assert show(client, 6)["deleted"] is False


def test_put_deleted_true_soft_deletes(client):
    response = client.put(calendar_path(5), json={"calendar": {"deleted": True, "city": "Nantes"}})
    assert (response.get_json()["deleted"], response.get_json()["city"]) == (True, "Nantes")
    assert show(client, 5)["deleted"] is True


def test_deleted_calendar_can_still_be_updated(client):
    response = client.put(calendar_path(6), json={"calendar": {"name": "Renamed"}})
    assert response.get_json()["name"] == "Renamed"
    assert response.get_json()["deleted"] is True


def test_manager_writes_in_both_groups(client):
    assert create(client, {"name": "four"}, auth=MANAGER)["group_id"] == 4
    assert client.delete(calendar_path(9, 5), auth=MANAGER).get_json()["deleted"] is True


@pytest.mark.parametrize("value", [0, 2147483647])
def test_timing_values_accept_their_bounds(client, value):
    record = create(client, {"name": "t", "mintime_rdv": value, "maxrdv_period": value,
                             "mintime_annulation": value})
    assert (record["mintime_rdv"], record["maxrdv_period"]) == (value, value)


def test_next_sort_stays_within_the_specs_maximum(client):
    ceiling = SPEC["components"]["schemas"]["SortValue"]["maximum"]
    client.put(calendar_path(1), json={"calendar": {"sort": ceiling}})
    assert create(client, {"name": "at the top"})["sort"] == ceiling  # was ceiling + 1
    assert create(client, {"name": "again"})["sort"] == ceiling
    client.get(calendars_path())  # every record still valid under the spec
