"""The API's own request parsers agree with werkzeug's, which the control plane uses."""

from __future__ import annotations

from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers werkzeug's "werkzeug.url_quote" error handler
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_content_length

from mock_server.wsgi import content_length, cookie_value, query_pairs

QUERY_ALPHABET = st.sampled_from([*list("ab=&%+;?[]é \t"), "%FF", "%C3", "%A9", "%E2%82", "%20", "%2"])
COOKIE_ALPHABET = st.sampled_from([*list('_session_id=;" \\t0a7'), "\\042", "\\\\"])


@settings(max_examples=500, deadline=None)
@given(st.lists(QUERY_ALPHABET, max_size=30).map("".join))
def test_query_pairs_as_werkzeug_reads_them(query):
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


@settings(max_examples=500, deadline=None)
@given(st.lists(COOKIE_ALPHABET, max_size=30).map("".join))
def test_cookie_value_as_werkzeug_reads_it(header):
    assert cookie_value(header, "_session_id") == parse_cookie(header).get("_session_id")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(alphabet=" \t+-_0123456789x٣", max_size=8),
                 st.integers(4290, 4400).map(lambda digits: "9" * digits)),  # past Python's digit limit
       st.one_of(st.none(), st.sampled_from(["chunked", "gzip, chunked", "gzip", "CHUNKED", ""])))
def test_content_length_as_werkzeug_reads_it(declared, encoding):
    environ = {key: value for key, value in (("CONTENT_LENGTH", declared),
                                             ("HTTP_TRANSFER_ENCODING", encoding)) if value is not None}
    assert content_length(environ) == get_content_length(environ)


def test_a_content_length_of_thousands_of_digits_is_refused_not_a_500():
    """Python refuses to parse an integer of over 4,300 digits; werkzeug reads it as 0."""
    import base64

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    from mock_server import create_app

    basic = "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()
    environ = EnvironBuilder(
        path="/api/v1/groups/4/calendars", method="POST", query_string="apikey=demo-apikey-4f1c2b",
        data=b'{"calendar":{"name":"x"}}',
        headers={"Authorization": basic, "Content-Type": "application/json"},
    ).get_environ()
    environ["CONTENT_LENGTH"] = "9" * 5000
    _, status, _ = run_wsgi_app(create_app(), environ, buffered=True)
    assert status.startswith("4"), status
