"""The demo seed data: valid calendars, consistent references, and what the docs' examples use."""

from __future__ import annotations

from typing import Any

import pytest
from calendar_fixtures import load_fixtures
from calendar_spec import load_spec
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_URI = "https://calendar-spec.invalid/openapi.json"
KINDS = ("apikeys", "groups", "users", "calendarsets", "interventions", "calendars")
FIXTURES = load_fixtures()


def by_id(kind: str) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in FIXTURES[kind]}


def calendar_validator() -> Draft202012Validator:
    registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(load_spec("strict")))
    return Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/Calendar"},
                                registry=registry)


def test_every_kind_is_present():
    assert all(FIXTURES.get(kind) for kind in KINDS)


@pytest.mark.parametrize("calendar", FIXTURES["calendars"],
                         ids=lambda calendar: f"calendar-{calendar['id']}")
def test_calendar_matches_the_strict_response_schema(calendar):
    assert [error.message for error in calendar_validator().iter_errors(calendar)] == []


def test_the_calendar_validator_rejects_a_broken_calendar():
    # Guards the test above against a schema lookup that accepts everything.
    broken = FIXTURES["calendars"][0] | {"name": "n" * 256}
    assert not calendar_validator().is_valid(broken)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "apikeys"])
def test_ids_are_unique_per_kind(kind):
    ids = [item["id"] for item in FIXTURES[kind]]
    assert len(ids) == len(set(ids))


def test_apikeys_are_unique():
    keys = [item["key"] for item in FIXTURES["apikeys"]]
    assert len(keys) == len(set(keys))


def test_calendars_reference_their_own_group_and_calendarset():
    groups, calendarsets = by_id("groups"), by_id("calendarsets")
    for calendar in FIXTURES["calendars"]:
        assert calendar["group_id"] in groups, calendar["id"]
        if calendar["calendarset_id"] is not None:
            calendarset = calendarsets[calendar["calendarset_id"]]
            assert calendarset["group_id"] == calendar["group_id"], calendar["id"]


def test_calendarsets_belong_to_a_group():
    groups = by_id("groups")
    assert all(calendarset["group_id"] in groups for calendarset in FIXTURES["calendarsets"])


def test_interventions_name_calendars_of_their_group():
    groups, calendars = by_id("groups"), by_id("calendars")
    for intervention in FIXTURES["interventions"]:
        assert intervention["group_id"] in groups, intervention["id"]
        assert intervention["calendar_ids"], intervention["id"]
        for calendar_id in intervention["calendar_ids"]:
            assert calendars[calendar_id]["group_id"] == intervention["group_id"], intervention["id"]


def test_users_belong_to_existing_groups():
    groups = by_id("groups")
    for user in FIXTURES["users"]:
        assert user["group_ids"] and set(user["group_ids"]) <= set(groups), user["id"]
        assert user["group_id"] in user["group_ids"], user["id"]


@pytest.mark.parametrize("group_id", sorted(by_id("groups")))
def test_every_group_has_a_soft_deleted_calendar(group_id):
    assert any(calendar["deleted"] for calendar in FIXTURES["calendars"]
               if calendar["group_id"] == group_id)


def test_the_docs_examples_find_data():
    # S1's examples: group 4, ?intervention_ids[]=21&intervention_ids[]=23,
    # ?calendarset_ids[]=8&calendarset_ids[]=12; group 5 is the other group for isolation checks.
    groups, calendarsets, interventions = by_id("groups"), by_id("calendarsets"), by_id(
        "interventions")
    assert {4, 5} <= set(groups)
    assert {calendarsets[8]["group_id"], calendarsets[12]["group_id"]} == {4}
    assert {interventions[21]["group_id"], interventions[23]["group_id"]} == {4}
    both = set(interventions[21]["calendar_ids"]) & set(interventions[23]["calendar_ids"])
    assert both, "some calendar offers both 21 and 23"
    in_sets = {calendar["calendarset_id"] for calendar in FIXTURES["calendars"]}
    assert {8, 12} <= in_sets
