"""An answer's body as the client reads it once decoded: deployments behind nginx or a CDN
compress JSON when the client accepts it (every HTTP library asks for gzip; browsers also for
br, and Chrome and Firefox for zstd), and a proxy that judged the compressed bytes would judge
nothing. The bytes forwarded stay as they came.

gzip, x-gzip and deflate are decoded with zlib, br with brotli, zstd with zstandard, each with
the decoded size bounded; codings applied one after the other are undone in reverse order. An
encoding none of them reads (compress, a token of the deployment's own) leaves the body
unjudged, and says so.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import brotli
import zstandard

# A body passed through more codings than this is not a deployment's answer worth the CPU.
MAX_CODINGS = 3


@dataclass(frozen=True)
class Decoded:
    """`body`: the decoded bytes, None when not judged (`note` says why); `broken`: the bytes do
    not decode as their Content-Encoding says (no client could read them)."""

    body: bytes | None
    note: str = ""
    broken: bool = False


class _TooLarge(Exception):
    pass


class _Undecodable(Exception):
    pass


def decoded(body: bytes | None, headers: list[tuple[str, str]], limit: int) -> Decoded:
    """`body` as its Content-Encoding says to read it, at most `limit` bytes of it decoded."""
    codings = [coding.strip().lower() for name, value in headers if name.lower() == "content-encoding"
               for coding in value.split(",") if coding.strip().lower() not in ("", "identity")]
    if body is None or not codings:
        return Decoded(body)
    if len(codings) > MAX_CODINGS or any(coding not in DECODERS for coding in codings):
        return Decoded(None, f"the answer's body is encoded {', '.join(codings)}: passed on unjudged")
    plain = body
    for coding in reversed(codings):
        try:
            plain = DECODERS[coding](plain, limit)
        except _TooLarge:
            return Decoded(None, f"the answer's body is over {limit} bytes once decoded: passed on unjudged")
        except _Undecodable as error:
            return Decoded(None, f"the answer's body does not decode as {coding}: {error}", broken=True)
    return Decoded(plain)


def _zlib(wbits: int, data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    plain = inflater.decompress(data, limit + 1)
    if len(plain) > limit:
        raise _TooLarge
    if not inflater.eof:
        raise zlib.error("the compressed data ends too soon")
    return plain


def _gzip(data: bytes, limit: int) -> bytes:
    try:
        return _zlib(16 + zlib.MAX_WBITS, data, limit)
    except zlib.error as error:
        raise _Undecodable(str(error)) from None


def _deflate(data: bytes, limit: int) -> bytes:
    try:
        return _zlib(zlib.MAX_WBITS, data, limit)
    except zlib.error as error:
        try:  # some servers send raw deflate, without the zlib header
            return _zlib(-zlib.MAX_WBITS, data, limit)
        except zlib.error:
            raise _Undecodable(str(error)) from None


def _brotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        # The output stops growing past the limit (a bomb costs a buffer, not the memory it claims).
        plain = decompressor.process(data, output_buffer_limit=limit + 1)
    except brotli.error as error:
        raise _Undecodable(str(error)) from None
    if len(plain) > limit:
        raise _TooLarge
    if not decompressor.is_finished():
        raise _Undecodable("the compressed data ends too soon")
    return plain


def _zstd(data: bytes, limit: int) -> bytes:
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
        plain = b""
        while len(plain) <= limit:
            chunk = reader.read(limit + 1 - len(plain))
            if not chunk:
                break
            plain += chunk
        if len(plain) > limit:
            raise _TooLarge
        # The reader ends a frame cut short without a word: each frame must be seen to end (its
        # output is within the limit, just read).
        rest = data
        while rest:
            frame = zstandard.ZstdDecompressor().decompressobj()
            frame.decompress(rest)
            if not frame.eof:
                raise _Undecodable("the compressed data ends too soon")
            rest = frame.unused_data
    except zstandard.ZstdError as error:
        raise _Undecodable(str(error)) from None
    return plain


DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd}
