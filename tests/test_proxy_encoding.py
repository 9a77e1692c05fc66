"""The proxy in front of a deployment that compresses its answers (nginx `gzip on`, a CDN serving
a browser br or zstd): the client gets the compressed bytes unchanged, the proxy judges what they
decode to, and the HAR file keeps the decoded text. An encoding it cannot read is passed on
unjudged and says so."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import brotli
import pytest
import requests
import zstandard
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


def zstd(body: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(body)


def zstd_unsized(body: bytes) -> bytes:
    """A zstd frame that does not state its size (a server compressing as it streams)."""
    return zstandard.ZstdCompressor(write_content_size=False).compress(body)


def gzip_at_epoch(data: bytes) -> bytes:
    """gzip with a fixed mtime: two compressions a second apart give the same bytes."""
    return gzip.compress(data, mtime=0)


ENCODERS = [(gzip_at_epoch, "gzip"), (zlib.compress, "deflate"), (brotli.compress, "br"), (zstd, "zstd")]


def test_decoded_reads_gzip_and_deflate_within_the_limit():
    plain = b'{"records": []}'
    assert decoded(gzip.compress(plain), [("Content-Encoding", "gzip")], 100).body == plain
    assert decoded(zlib.compress(plain), [("content-encoding", "deflate")], 100).body == plain
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decoded(raw.compress(plain) + raw.flush(), [("Content-Encoding", "deflate")], 100).body == plain
    assert decoded(plain, [("Content-Encoding", "identity")], 100).body == plain
    bomb = decoded(gzip.compress(b"0" * 10_000), [("Content-Encoding", "gzip")], 1000)
    assert bomb.body is None and "over 1000 bytes" in bomb.note and not bomb.broken


@pytest.mark.parametrize("encode", [brotli.compress, zstd, zstd_unsized])
def test_decoded_reads_what_browsers_ask_for_within_the_limit(encode: Body) -> None:
    coding = "br" if encode is brotli.compress else "zstd"
    plain = b'{"records": [], "totalRecords": 0}' * 30
    assert decoded(encode(plain), [("Content-Encoding", coding.upper())], len(plain)).body == plain
    cut_short = decoded(encode(plain), [("Content-Encoding", coding)], len(plain) - 1)
    assert cut_short.body is None and not cut_short.broken
    assert f"over {len(plain) - 1} bytes" in cut_short.note
    # A bomb: a few kilobytes that decode to 100 MB; read no further than the limit.
    packed = encode(b"0" * 100_000_000)
    tracemalloc.start()
    try:
        bomb = decoded(packed, [("Content-Encoding", coding)], 1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bomb.body is None and "over 1000 bytes" in bomb.note and not bomb.broken
    assert peak < 1_000_000, peak


def test_decoded_undoes_codings_in_reverse_order():
    plain = b'{"records": []}'
    both = brotli.compress(gzip.compress(plain))  # gzip first, then br: "gzip, br"
    assert decoded(both, [("Content-Encoding", "gzip, br")], 100).body == plain
    assert decoded(both, [("Content-Encoding", "gzip"), ("Content-Encoding", "br")], 100).body == plain
    wrong_order = decoded(both, [("Content-Encoding", "br, gzip")], 100)
    assert wrong_order.broken and "does not decode as gzip" in wrong_order.note
    many = decoded(plain, [("Content-Encoding", "gzip, gzip, gzip, gzip")], 100)
    assert many.body is None and not many.broken and "passed on unjudged" in many.note


@pytest.mark.parametrize(("encode", "coding"), ENCODERS)
def test_decoded_calls_broken_what_does_not_decode(encode: Body, coding: str) -> None:
    packed = encode(b'{"records": [], "totalRecords": 0}' * 30)
    for body in (b"not compressed at all", packed[:-7], packed + b"trailing bytes"):
        if coding in ("gzip", "deflate") and body.endswith(b"trailing bytes"):
            continue  # zlib reads one stream and leaves what follows it, as clients do
        broken = decoded(body, [("Content-Encoding", coding)], 10_000)
        assert broken.body is None and broken.broken, (coding, body[-20:])
        assert f"does not decode as {coding}" in broken.note


@pytest.mark.parametrize(("encode", "coding"), ENCODERS)
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


@pytest.mark.parametrize(("encode", "coding"), ENCODERS)
def test_a_schema_break_behind_compression_is_a_violation(encode: Body, coding: str) -> None:
    app = compressing(create_app(), encode, coding, change=without_total)
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
    app = compressing(create_app(), lambda body: body[::-1], "compress", change=without_total)
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, stream=True, timeout=10)
        [entry] = journal(url)
    assert violations(answer) == []
    assert any("encoded compress: passed on unjudged" in note for note in entry["notes"])


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
    har = tmp_path / "compress.har"
    app = compressing(create_app(), lambda body: body[::-1], "compress")
    with upstream_wsgi(app) as upstream, proxy(upstream.base_url, record=str(har)) as (_, url):
        requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    [entry] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    content = entry["response"]["content"]
    assert "text" not in content
    assert "encoded compress" in content["comment"]
