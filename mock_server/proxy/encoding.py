"""An answer's body as the client reads it once decoded: deployments behind nginx or a CDN
compress JSON when the client accepts it (every HTTP library asks for gzip), and a proxy that
judged the compressed bytes would judge nothing. The bytes forwarded stay as they came.

gzip, x-gzip and deflate are decoded (zlib, with the decoded size bounded); an encoding this
Python cannot decode (br, zstd, several in a row) leaves the body unjudged, and says so.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class Decoded:
    """`body`: the decoded bytes, None when not judged (`note` says why); `broken`: the bytes do
    not decode as their Content-Encoding says (no client could read them)."""

    body: bytes | None
    note: str = ""
    broken: bool = False


def decoded(body: bytes | None, headers: list[tuple[str, str]], limit: int) -> Decoded:
    """`body` as its Content-Encoding says to read it, at most `limit` bytes of it decoded."""
    codings = [coding.strip().lower() for name, value in headers if name.lower() == "content-encoding"
               for coding in value.split(",") if coding.strip().lower() not in ("", "identity")]
    if body is None or not codings:
        return Decoded(body)
    if len(codings) > 1 or codings[0] not in DECODERS:
        return Decoded(None, f"the answer's body is encoded {', '.join(codings)}: passed on unjudged")
    try:
        return _inflate(body, codings[0], limit)
    except zlib.error as error:
        if codings[0] == "deflate":  # some servers send raw deflate, without the zlib header
            try:
                return _inflate(body, "raw", limit)
            except zlib.error:
                pass
        return Decoded(None, f"the answer's body does not decode as {codings[0]}: {error}", broken=True)


def _inflate(body: bytes, coding: str, limit: int) -> Decoded:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS if coding == "raw" else DECODERS[coding])
    plain = inflater.decompress(body, limit + 1)
    if len(plain) > limit:
        return Decoded(None, f"the answer's body is over {limit} bytes once decoded: passed on unjudged")
    if not inflater.eof:
        raise zlib.error("the compressed data ends too soon")
    return Decoded(plain)
