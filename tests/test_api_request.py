"""The API's own query parser agrees with werkzeug's, which the control plane uses."""

from __future__ import annotations

from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers werkzeug's "werkzeug.url_quote" error handler
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.api.request import query_pairs

QUERY_ALPHABET = st.sampled_from([*list("ab=&%+;?[]é \t"), "%FF", "%C3", "%A9", "%E2%82", "%20", "%2"])


@settings(max_examples=500, deadline=None)
@given(st.lists(QUERY_ALPHABET, max_size=30).map("".join))
def test_query_pairs_as_werkzeug_reads_them(query):
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


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
