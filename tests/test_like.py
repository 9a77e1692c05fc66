"""`like` without backtracking: the matcher agrees with a slow, obviously correct reference,
and the request that froze the first version answers at once."""

from __future__ import annotations

import functools
import threading

from calendar_spec.like import LikePattern, fold_case
from hypothesis import example, given, settings
from hypothesis import strategies as st
from spec_validation import ApiClient, calendars_path

from mock_server import create_app, mock_of

# Letters whose case folding is not one-to-one (ß, ẞ, İ, ſ, K) besides plain ones.
TEXT_CHARACTERS = "aAbBsSßẞİiıſkKK é"
PATTERN_CHARACTERS = TEXT_CHARACTERS + "%%%___"


def reference(text: str, pattern: str) -> bool:
    """SQL LIKE by its definition, character by character (exponential without the cache)."""
    text, pattern = fold_case(text), fold_case(pattern)

    @functools.cache
    def match(i: int, j: int) -> bool:
        if j == len(pattern):
            return i == len(text)
        if pattern[j] == "%":
            return match(i, j + 1) or (i < len(text) and match(i + 1, j))
        return i < len(text) and pattern[j] in ("_", text[i]) and match(i + 1, j + 1)

    return match(0, 0)


@settings(max_examples=3000, deadline=None)
@given(text=st.text(TEXT_CHARACTERS, max_size=12), pattern=st.text(PATTERN_CHARACTERS, max_size=9))
@example(text="", pattern="")
@example(text="", pattern="%")
@example(text="a", pattern="")
@example(text="aaa", pattern="%a%a%a%a%")
@example(text="abab", pattern="%ab%_b")
@example(text="ß", pattern="_")
@example(text="ẞ", pattern="ß")
@example(text="İ", pattern="i_")
def test_the_matcher_agrees_with_the_reference(text, pattern):
    assert LikePattern(pattern).matches(text) is reference(text, pattern)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text("ab", min_size=100, max_size=255),
    pieces=st.lists(st.text("ab_", min_size=1, max_size=6), min_size=1, max_size=12),
    anchors=st.tuples(st.booleans(), st.booleans()),
)
def test_long_texts_and_many_pieces_agree_too(text, pieces, anchors):
    pattern = ("%" if anchors[0] else "") + "%".join(pieces) + ("%" if anchors[1] else "")
    assert LikePattern(pattern).matches(text) is reference(text, pattern)


def test_case_folding_keeps_one_character_for_one():
    for text in ("Straße", "İstanbul", "STRASSE", "ﬁn", "ǅ"):
        assert len(fold_case(text)) == len(text)
    assert LikePattern("stra_e").matches("STRAßE") and LikePattern("%SSE").matches("strasse")


def test_the_request_that_froze_the_first_version_answers():
    """255 × "a" against `%a%a%a%a%a%a%a%a%a%a%b`: a backtracking regex needs hours; here one
    pass. A liveness check, not a timing one: the request must end at all."""
    app = create_app()
    calendar = mock_of(app).store.create_calendar(4, {"name": "a" * 255})
    client = ApiClient(app)
    answers: list = []
    query = {"conditions[0][field]": "name", "conditions[0][op]": "like",
             "conditions[0][value]": "%a%a%a%a%a%a%a%a%a%a%b", "results": "all"}
    worker = threading.Thread(target=lambda: answers.append(client.get(calendars_path(), query=query)),
                              daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert answers, "the like request did not answer"
    assert answers[0].status_code == 200 and answers[0].get_json()["records"] == []
    query["conditions[0][value]"] = "%a%a%a%a%a%a%a%a%a%a%"
    listed = client.get(calendars_path(), query=query).get_json()["records"]
    assert [record["id"] for record in listed] == [calendar["id"]]
