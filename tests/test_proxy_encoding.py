"""The proxy in front of a deployment that compresses its answers (nginx `gzip on`, a CDN):
the client gets the compressed bytes unchanged, the proxy judges what they decode to, and the
HAR file keeps the decoded text. An encoding it cannot read is passed on unjudged and says so."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import requests
from proxy_support import APIKEY, AUTH, LIST, journal, proxy, upstream_wsgi, violations

from mock_server import create_app
from mock_server.proxy.encoding import decoded

pytestmark = pytest.mark.http
Body = Callable[[bytes], bytes]


def compressing(app: Any, encode: Body, coding: str, change: Body = lambda body: body) -> Any:
    """`app` behind a layer that compresses what it answers under /api/ (`change` first)."""
    inner = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return lambda data: None

        body = change(b"".join(inner(environ, keep)))
        headers = [(name, value) for name, value in seen["headers"] if name.lower() != "content-length"]
        if environ["PATH_INFO"].startswith("/api/") and body:
            body = encode(body)
            headers.append(("Content-Encoding", coding))
        start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    app.wsgi_app = wrapped
    return app


def without_total(body: bytes) -> bytes:
    data = json.loads(body) if body.startswith(b"{") else None
    if isinstance(data, dict) and "records" in data:
        data.pop("totalRecords", None)
        return json.dumps(data).encode()
    return body


def test_decoded_reads_gzip_and_deflate_within_the_limit():
    plain = b'{"records": []}'
    assert decoded(gzip.compress(plain), [("Content-Encoding", "gzip")], 100).body == plain
    assert decoded(zlib.compress(plain), [("content-encoding", "deflate")], 100).body == plain
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decoded(raw.compress(plain) + raw.flush(), [("Content-Encoding", "deflate")], 100).body == plain
    assert decoded(plain, [("Content-Encoding", "identity")], 100).body == plain
    bomb = decoded(gzip.compress(b"0" * 10_000), [("Content-Encoding", "gzip")], 1000)
    assert bomb.body is None and "over 1000 bytes" in bomb.note and not bomb.broken


def test_decoded_says_what_it_cannot_read():
    unknown = decoded(b"...", [("Content-Encoding", "br")], 100)
    assert unknown.body is None and "encoded br" in unknown.note and not unknown.broken
    broken = decoded(b"not gzip at all", [("Content-Encoding", "gzip")], 100)
    assert broken.body is None and broken.broken and "does not decode as gzip" in broken.note
    cut = decoded(gzip.compress(b'{"records": []}')[:-12], [("Content-Encoding", "gzip")], 100)
    assert cut.broken


@pytest.mark.parametrize(("encode", "coding"), [(gzip.compress, "gzip"), (zlib.compress, "deflate")])
def test_a_compressed_answer_passes_unchanged_and_is_judged(encode: Body, coding: str) -> None:
    with upstream_wsgi(compressing(create_app(), encode, coding)) as upstream, \
            proxy(upstream.base_url) as (_, url):
        direct = requests.get(f"{upstream.base_url}{LIST}", params={"apikey": APIKEY}, auth=AUTH,
                              stream=True, timeout=10)
        proxied = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, stream=True, timeout=10)
        direct_bytes, proxied_bytes = direct.raw.read(), proxied.raw.read()
        assert proxied.headers["Content-Encoding"] == coding
        assert proxied_bytes == direct_bytes  # the compressed bytes, as they came
        assert violations(proxied) == []
        [entry] = journal(url)
        assert not entry.get("notes")  # judged: nothing was passed on unjudged


def test_a_schema_break_behind_gzip_is_a_violation() -> None:
    app = compressing(create_app(), gzip.compress, "gzip", change=without_total)
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    assert "list.envelope" in violations(answer)


def test_gzip_that_does_not_decode_is_a_violation_and_a_note() -> None:
    app = compressing(create_app(), lambda body: b"\x1f\x8b" + body, "gzip")
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, stream=True, timeout=10)
        [entry] = journal(url)
    assert "transport.json-responses" in violations(answer)
    assert any("does not decode as gzip" in note for note in entry["notes"])


def test_an_encoding_the_proxy_cannot_read_is_passed_on_unjudged_and_says_so() -> None:
    app = compressing(create_app(), lambda body: body[::-1], "br", change=without_total)
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, stream=True, timeout=10)
        [entry] = journal(url)
    assert violations(answer) == []
    assert any("encoded br: passed on unjudged" in note for note in entry["notes"])


def test_the_har_file_keeps_the_decoded_text(tmp_path) -> None:
    har = tmp_path / "gzip.har"
    with upstream_wsgi(compressing(create_app(), gzip.compress, "gzip")) as upstream, \
            proxy(upstream.base_url, record=str(har)) as (_, url):
        requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    [entry] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    assert json.loads(entry["response"]["content"]["text"])["totalRecords"] >= 1


def test_the_har_file_leaves_out_a_body_it_could_not_decode_and_says_why(tmp_path) -> None:
    # An empty `text` would read as an empty answer: a seed built from it would hold no calendars,
    # and a replay would compare "" with the target's JSON.
    har = tmp_path / "br.har"
    app = compressing(create_app(), lambda body: body[::-1], "br")
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url, record=str(har)) as (_, url):
        requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    [entry] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    content = entry["response"]["content"]
    assert "text" not in content
    assert "encoded br" in content["comment"]
