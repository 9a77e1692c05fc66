"""The list operation of the mock, in-process: envelope, paging, order, search, filters, conditions.

Expected ids come from fixtures/demo.json (group 4 holds calendars 1-8; 6 is soft-deleted).
"""

from __future__ import annotations

import pytest
from spec_validation import calendars_path, ids

GROUP4 = [1, 2, 3, 4, 5, 6, 7, 8]


def listing(client, query=None, **kwargs):
    response = client.get(calendars_path(), query=query, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response


def test_envelope_defaults(client):
    body = listing(client).get_json()
    assert [record["id"] for record in body["records"]] == GROUP4
    assert {key: value for key, value in body.items() if key != "records"} == {
        "totalRecords": 8, "startIndex": 0, "recordsReturned": 8, "pageSize": 25,
        "sort": None, "dir": None,
    }
    assert all(record["group_id"] == 4 for record in body["records"])


def test_other_group_lists_its_own_calendars(client):
    from spec_validation import PRO5

    response = client.get(calendars_path(5), auth=PRO5)
    assert ids(response) == [9, 10, 11, 12]


def test_pages_concatenate_to_the_whole_list(client):
    pages = []
    for start in (0, 3, 6):
        body = listing(client, {"results": 3, "startIndex": start}).get_json()
        assert (body["totalRecords"], body["startIndex"], body["pageSize"]) == (8, start, 3)
        assert body["recordsReturned"] == len(body["records"]) <= 3
        pages += [record["id"] for record in body["records"]]
    assert pages == GROUP4
    assert ids(listing(client, {"results": "all"})) == GROUP4


def test_results_all_reports_the_total_as_page_size(client):
    body = listing(client, {"results": "all", "startIndex": 2}).get_json()
    assert [record["id"] for record in body["records"]] == GROUP4[2:]
    assert (body["pageSize"], body["totalRecords"], body["recordsReturned"]) == (8, 8, 6)


@pytest.mark.parametrize("start", [8, 9, 500])
def test_paging_past_the_end_answers_no_records(client, start):
    body = listing(client, {"results": 3, "startIndex": start}).get_json()
    assert body["records"] == []
    assert (body["totalRecords"], body["recordsReturned"], body["startIndex"]) == (8, 0, start)


def test_sort_by_name_descending(client):
    body = listing(client, {"sort": "name", "dir": "desc"}).get_json()
    assert [record["id"] for record in body["records"]] == [7, 3, 6, 8, 4, 1, 2, 5]
    assert (body["sort"], body["dir"]) == ("name", "desc")


def test_sort_by_name_ascending_is_the_reverse(client):
    assert ids(listing(client, {"sort": "name"})) == [5, 2, 1, 4, 8, 6, 3, 7]
    assert ids(listing(client, {"sort": "name", "dir": "asc"})) == [5, 2, 1, 4, 8, 6, 3, 7]


def test_sort_by_integer_field_orders_numerically(client):
    records = listing(client, {"sort": "generate_interval", "dir": "desc"}).get_json()["records"]
    values = [record["generate_interval"] for record in records]
    assert values == sorted(values, reverse=True) == [45, 30, 20, 15, 15, 15, 15, 10]
    records = listing(client, {"sort": "mintime_rdv"}).get_json()["records"]
    assert [record["mintime_rdv"] for record in records] == [0, 0, 0, 0, 0, 60, 1440, 4320]


def test_sort_is_applied_before_paging(client):
    first = ids(listing(client, {"sort": "name", "dir": "desc", "results": 2}))
    second = ids(listing(client, {"sort": "name", "dir": "desc", "results": 2, "startIndex": 2}))
    assert first + second == [7, 3, 6, 8]


@pytest.mark.parametrize(("needle", "expected"), [
    ("docteur", [1, 2]),  # publicname
    ("DOCTEUR", [1, 2]),
    ("kiné", [4]),
    ("KINÉ", [4]),
    ("Test", [5]),
    ("ost", [8]),
    ("zzz", []),
])
def test_search_is_a_case_insensitive_substring_of_name_or_publicname(client, needle, expected):
    body = listing(client, {"search": needle}).get_json()
    assert [record["id"] for record in body["records"]] == expected
    assert body["totalRecords"] == len(expected)


@pytest.mark.parametrize(("given", "expected"), [
    ([21], [1, 2, 5, 6, 7]),
    ([23], [1, 3, 5]),
    ([21, 23], [1, 5]),
    ([21, 25], []),
    ([31], []),  # an intervention of group 5
    ([999], []),
])
def test_intervention_ids_keep_calendars_offering_all_of_them(client, given, expected):
    assert ids(listing(client, [("intervention_ids[]", i) for i in given])) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ([21, 23], [1, 2, 3, 5, 6, 7]),
    ([21, 25], [1, 2, 4, 5, 6, 7, 8]),
    ([23], [1, 3, 5]),
])
def test_intervention_switch_any(make_client, given, expected):
    client = make_client(intervention_match="any")
    assert ids(listing(client, [("intervention_ids[]", i) for i in given])) == expected


def test_intervention_switch_at_runtime(client):
    query = [("intervention_ids[]", 21), ("intervention_ids[]", 23)]
    client.mock.configure(intervention_match="any")
    assert ids(listing(client, query)) == [1, 2, 3, 5, 6, 7]
    client.mock.configure(intervention_match="all")
    assert ids(listing(client, query)) == [1, 5]


@pytest.mark.parametrize(("given", "expected"), [
    ([8], [1, 2, 6, 7]),
    ([12], [3, 4, 8]),
    ([8, 12], [1, 2, 3, 4, 6, 7, 8]),
    ([14], []),  # a calendarset of group 5
])
def test_calendarset_ids_keep_calendars_in_any_of_them(client, given, expected):
    assert ids(listing(client, [("calendarset_ids[]", i) for i in given])) == expected


def test_different_filters_combine_with_and(client):
    query = [("intervention_ids[]", 21), ("calendarset_ids[]", 8), ("search", "dr"),
             ("conditions[0][field]", "generate_interval"), ("conditions[0][op]", "="),
             ("conditions[0][value]", "15")]
    assert ids(listing(client, query)) == [1]
    assert ids(listing(client, query[:2])) == [1, 2, 6, 7]


def conditions(*triples):
    return [(f"conditions[{i}][{part}]", value)
            for i, triple in enumerate(triples)
            for part, value in zip(("field", "op", "value"), triple, strict=True)]


# generate_interval of calendars 1-8: 15, 20, 30, 15, 15, 15, 10, 45
@pytest.mark.parametrize(("op", "value", "expected"), [
    ("=", "15", [1, 4, 5, 6]),
    ("!=", "15", [2, 3, 7, 8]),
    (">", "15", [2, 3, 8]),
    (">=", "20", [2, 3, 8]),
    ("<", "15", [7]),
    ("<=", "15", [1, 4, 5, 6, 7]),
    ("like", "1%", [1, 4, 5, 6, 7]),
    ("not like", "1_", [2, 3, 8]),
    ("in", "10,30", [3, 7]),
    ("not in", "15, 20", [3, 7, 8]),
])
def test_each_operator_on_an_integer_field(client, op, value, expected):
    assert ids(listing(client, conditions(("generate_interval", op, value)))) == expected


# city of calendars 1-8: Paris, null, null, null, null, null, Lyon, null (nulls match nothing)
@pytest.mark.parametrize(("op", "value", "expected"), [
    ("=", "Paris", [1]),
    ("!=", "Paris", [7]),
    (">", "Lyon", [1]),
    (">=", "Lyon", [1, 7]),
    ("<", "Paris", [7]),
    ("<=", "Paris", [1, 7]),
    ("like", "%AR%", [1]),
    ("not like", "p%", [7]),
    ("in", "Paris,Lyon", [1, 7]),
    ("not in", "Paris", [7]),
])
def test_each_operator_on_a_string_field(client, op, value, expected):
    assert ids(listing(client, conditions(("city", op, value)))) == expected


@pytest.mark.parametrize(("triple", "expected"), [
    (("name", "like", "dr m_rtin"), [1]),
    (("name", "like", "Dr %"), [1, 2]),
    (("name", "like", "%é%"), [4, 6, 7, 8]),
    (("name", "like", "100%"), []),
    (("name", "like", "a.*"), []),  # regex characters are literal
    (("deleted", "=", "true"), [6]),
    (("deleted", "=", "0"), [1, 2, 3, 4, 5, 7, 8]),
    (("calendarset_id", "=", "8"), [1, 2, 6, 7]),
    (("calendarset_id", "!=", "8"), [3, 4, 8]),  # 5 has no calendarset: null matches nothing
    (("created_at", ">=", "2024-04-01 00:00:00"), [7, 8]),
    (("id", "in", "2,4,99"), [2, 4]),
])
def test_conditions_on_other_fields(client, triple, expected):
    assert ids(listing(client, conditions(triple))) == expected


def test_several_conditions_must_all_hold(client):
    query = conditions(("generate_interval", "=", "15"), ("deleted", "=", "false"),
                       ("name", "like", "%a%"))
    assert ids(listing(client, query)) == [1, 4, 5]


def test_deleted_calendars_are_listed_by_default(client):
    body = listing(client).get_json()
    deleted = {record["id"]: record["deleted"] for record in body["records"]}
    assert deleted[6] is True
    assert [key for key, value in deleted.items() if value] == [6]


def test_deleted_calendars_hidden_by_switch(make_client):
    client = make_client(deleted_calendars="hidden")
    body = listing(client).get_json()
    assert [record["id"] for record in body["records"]] == [1, 2, 3, 4, 5, 7, 8]
    assert body["totalRecords"] == 7


def test_unknown_query_keys_are_ignored(client):
    assert ids(listing(client, {"foo": "bar", "conditions_x": "1", "page": "2"})) == GROUP4


@pytest.mark.parametrize(("query", "page_size", "start"), [
    ({"results": "3.0", "startIndex": "2.00"}, 3, 2), ({"results": "3"}, 3, 0)])
def test_a_query_integer_written_as_an_integral_decimal_is_that_integer(client, query, page_size, start):
    """As JSON Schema reads 3.0 (and a client serialising a float writes it); 3.5 is no integer."""
    body = client.get(calendars_path(), query=query).get_json()
    assert (body["pageSize"], body["startIndex"]) == (page_size, start)
    assert client.get(calendars_path(), query={"results": "3.5"}).status_code == 400
