"""The `worst` section's catalogue: the costliest list requests a client can craft, each under
URL_LIMIT, by name (`catalogue()`), with what each one is (`notes()`).

A request's value may hold NONCE (`~nonce~`): `instantiate` replaces it with a number never sent
before, so a request the mock would otherwise answer from a cache costs what a new one does.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from urllib.parse import urlencode

import peers
import seeds

CALENDARS = 10_000
TARGET_MS = 50.0
URL_LIMIT = 60 * 1024  # bytes of path and query; granian refuses a longer request line (414)
NONCE = "~nonce~"  # unreserved characters: form-encoding leaves it as it is
NONCE_ROOM = 12  # the digits a nonce may take
BASE = f"/api/v1/groups/{seeds.GROUP_ID}/calendars"
PLAIN = "plain"
Pairs = list[tuple[str, str]]

# The seed's texts (seeds.worst_calendar): odd ids hold `a…ab`, even ids a long prefix and digits.
A_B = "a" * 254 + "b"


def path_of(pairs: Pairs) -> str:
    """The request target: the list path, the apikey, then `pairs`, form-encoded as a browser or
    `requests` does (brackets too)."""
    query = urlencode([("apikey", peers.APIKEY), *pairs])
    return f"{BASE}?{query}"


def conditions(*triples: tuple[str, str, str]) -> Pairs:
    """`conditions[i][field|op|value]` for each (field, op, value), numbered from 0."""
    return [pair for index, (field, op, value) in enumerate(triples)
            for pair in ((f"conditions[{index}][field]", field), (f"conditions[{index}][op]", op),
                         (f"conditions[{index}][value]", value))]


def url_size(pairs: Pairs) -> int:
    target = path_of(pairs)
    return len(target.encode()) + (NONCE_ROOM - len(NONCE)) * target.count(NONCE)


def as_many(make: Callable[[int], Pairs]) -> Pairs:
    """`make(n)` for the largest n whose URL fits under URL_LIMIT."""
    low, high = 1, 2
    while url_size(make(high)) < URL_LIMIT:
        low, high = high, high * 2
    while low + 1 < high:
        middle = (low + high) // 2
        low, high = (middle, high) if url_size(make(middle)) < URL_LIMIT else (low, middle)
    return make(low)


def _long(index: int) -> str:
    """A 255-character text no calendar holds, equal to `a…ab` up to its 247th character."""
    return f"{'a' * 247}{index:08d}"


TEXT_FIELDS = ("name", "publicname", "address")


def _catalogue() -> tuple[dict[str, Pairs], dict[str, str]]:
    entries: dict[str, tuple[Pairs, str]] = {
        PLAIN: ([], "the default page (25 by id): the reference"),
        # like: the patterns, and the costliest shapes the matcher has
        "like-issue": (conditions(("name", "like", "%a%a%a%a%a%a%a%a%a%a%b")),
                       "`name like %a%a%a%a%a%a%a%a%a%a%b` (the issue's)"),
        "like-127-pieces": (conditions(("name", "like", "%a" * 127)), "`name like` 127 `%a` pieces"),
        "like-50-conditions": (conditions(*((TEXT_FIELDS[i % 3], "like", "%a" * (10 + i) + "%b%")
                                            for i in range(50))),
                               "50 different `like` full of `%` (`%a%a…%b%`, 10 to 59 pieces) on "
                               "name, publicname, address"),
        "like-underscore": (conditions(("name", "like", "%" + "a_" * 63 + "ab%")),
                            "`name like %a_a_…a_ab%` (63 `a_`): a piece with `_` tried at each place"),
        "like-underscore-50": (conditions(*(("name", "like", "%" + "a_" * (63 - i) + "ab%")
                                            for i in range(50))),
                               "50 of those, 63 to 14 `a_` each"),
        "like-zipcode-underscores": (conditions(("zipcode", "like", "%" + "_" * 15 + "%")),
                                     "`zipcode like %_______________%` (15 `_`): within the budget"),
        "like-longest-pieces": (as_many(lambda n: conditions(("name", "like", "%a" * n + NONCE))),
                                "`name like %a%a…`: as many pieces as fit in the URL, a new pattern "
                                "each time"),
        "like-longest-underscores": (as_many(lambda n: conditions(("name", "like", "_" * n + NONCE))),
                                     "`name like ____…`: as many `_` as fit, a new pattern each time"),
        "like-50-long-underscores": (as_many(lambda n: conditions(
                                         *(("name", "like", "_" * n + NONCE + f"-{i}") for i in range(50)))),
                                     "50 `like ____…` as long as fit, new patterns each time"),
        # =, !=, in, not in, comparisons: long values, each keeping every calendar
        "eq-50-long": (conditions(("name", "=", A_B),
                                  *(("group_id", "=", "0" * (200 + i) + "4") for i in range(49))),
                       "`name = a…ab` and 49 `group_id = 000…04` (200+ digits): true for half"),
        "ne-50-long": (conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(50))),
                       "50 `!=` of 255 characters (true for all), on name, publicname, address"),
        "ne-15-long": (conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(15))),
                       "15 of those: the most filtering the budget accepts"),
        "in-1000": (conditions(("name", "in", ",".join([A_B, *(f"{_long(j)[:40]}{j}" for j in range(999))]))),
                    "`name in` a list of 1,000 items (one 255-character match)"),
        "in-50": (conditions(*(("group_id", "in", ",".join(["0" * i + "4", *map(str, range(5, 60))]))
                               for i in range(50))),
                  "50 `group_id in (…4, 5, …, 59)` (true for all)"),
        "not-in-50-long": (as_many(lambda n: conditions(*((TEXT_FIELDS[i % 3], "not in",
                                                            ",".join(_long(i * 10 + j) for j in range(n)))
                                                           for i in range(50)))),
                           "50 `not in` lists of 255-character items (true for all), as long as fit"),
        "in-longest": (as_many(lambda n: conditions(("id", "in", ",".join(map(str, range(n)))))),
                       "`id in 0,1,2,…`: as many items as fit"),
        "ge-50-int": (conditions(*(("id", ">=", str(-i)) for i in range(50))),
                      "50 always-true `id >= -i`"),
        "ge-max-int": (as_many(lambda n: conditions(*(("id", ">=", str(-i)) for i in range(n)))),
                       "as many always-true `id >= -i` as fit"),
        "same-condition-max": (as_many(lambda n: conditions(*[("id", ">=", "-1")] * n)),
                               "one `id >= -1` repeated as often as fits (one condition once parsed)"),
        # paging and sorting: every calendar in the answer
        "results-all": ([("results", "all")], "`results=all`"),
        "results-1e9": ([("results", "1000000000")], "`results=1000000000`"),
        "sort-name-all": ([("sort", "name"), ("results", "all")], "`sort=name&results=all`"),
        "sort-name-desc": ([("sort", "name"), ("dir", "desc")], "`sort=name&dir=desc` (one page)"),
        "sort-address-desc-all": ([("sort", "address"), ("dir", "desc"), ("results", "all")],
                                  "`sort=address&dir=desc&results=all`"),
        # search
        "search-long": ([("search", "a" * 254 + "c")], "`search` of 255 characters that no name holds"),
        "search-a-all": ([("search", "a"), ("results", "all")], "`search=a&results=all` (every calendar)"),
        # id filters
        "interventions-1000": ([("intervention_ids[]", str(i)) for i in range(1, 1001)],
                               "`intervention_ids[]` 1 to 1,000 (21 and 23 exist)"),
        "calendarsets-1000": ([("calendarset_ids[]", str(i)) for i in range(1, 1001)],
                              "`calendarset_ids[]` 1 to 1,000 (8 and 12 hold two thirds)"),
        "calendarsets-1000-all": ([("calendarset_ids[]", str(i)) for i in range(1, 1001)]
                                  + [("results", "all")], "the same with `results=all`"),
        "interventions-max": (as_many(lambda n: [("intervention_ids[]", str(i)) for i in range(1, n + 1)]),
                              "`intervention_ids[]` 1, 2, 3, …: as many as fit"),
        # everything at once, within the budget
        "combination": ([*conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(7))),
                         ("search", "a"), ("sort", "name"), ("dir", "desc"), ("results", "all")],
                        "7 `!=` long + `search=a` + `sort=name&dir=desc` + `results=all`: just "
                        "within the budget"),
        # what the mock refuses before filtering: the most problems one query can hold
        "unknown-params-max": (as_many(lambda n: [(f"x{i}", "1") for i in range(n)]),
                               "as many unknown parameters as fit (ignored)"),
        "repeated-sort-max": (as_many(lambda n: [("sort", "name")] * n),
                              "`sort=name` repeated as often as fits (400)"),
        "bad-condition-keys-max": (as_many(lambda n: [(f"conditions[{i}]", "") for i in range(n)]),
                                   "as many malformed `conditions[i]` keys as fit (400)"),
        "bad-condition-ops-max": (as_many(lambda n: conditions(*[("id", "~", "1")] * n)),
                                  "as many conditions with an unknown op as fit (400)"),
        "bad-condition-fields-max": (as_many(lambda n: conditions(*[("x", "=", "1")] * n)),
                                     "as many conditions on an unknown field as fit (400)"),
        "bad-condition-values-max": (as_many(lambda n: conditions(*[("id", "=", "x")] * n)),
                                     "as many `id = x` (not an integer) as fit (400)"),
        "bad-intervention-ids-max": (as_many(lambda n: [("intervention_ids[]", "x")] * n),
                                     "as many `intervention_ids[]=x` as fit (400)"),
    }
    return ({name: pairs for name, (pairs, _) in entries.items()},
            {name: note for name, (_, note) in entries.items()})


@functools.cache
def _built() -> tuple[dict[str, Pairs], dict[str, str]]:
    return _catalogue()


def catalogue() -> dict[str, Pairs]:
    """The catalogue: name -> query pairs (after the apikey). Built on first use: the longest
    requests take a couple of seconds to fit, which `worst.py heavy` need not spend."""
    return _built()[0]


def notes() -> dict[str, str]:
    """name -> what the request is, for the report."""
    return _built()[1]
# The rows measured against the ordinary bench seed too, for comparison.
ORDINARY_ROWS = (PLAIN, "like-issue", "ne-15-long", "results-all", "sort-name-all", "search-a-all",
                 "combination")


def check_catalogue() -> None:
    for name, pairs in catalogue().items():
        if url_size(pairs) >= URL_LIMIT:
            raise ValueError(f"{name}: URL of {url_size(pairs):,} bytes, over {URL_LIMIT:,}")


_nonces = itertools.count(1)


def instantiate(target: str, nonces: itertools.count = _nonces) -> str:
    """`target` with each NONCE replaced by a number not sent before (by this process)."""
    return target.replace(NONCE, str(next(nonces))) if NONCE in target else target
