"""Picking the port a server binds, checked free first so that a clash is reported at once."""

from __future__ import annotations

import contextlib
import random
import socket


def free_port(host: str, port: int) -> int:
    """The port to serve on, checked free so that a clash is reported here.

    granian binds the port itself after this check, so for `--port 0` the port is picked
    below Linux's ephemeral range (32768 and up), which outgoing connections never take in
    between; only if all tried are taken does the kernel pick one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    def probe(candidate: int) -> int:
        with socket.create_server((host, candidate), family=family) as bound:
            return bound.getsockname()[1]

    if port:
        return probe(port)
    for candidate in random.sample(range(20000, 32768), 20):
        with contextlib.suppress(OSError):
            return probe(candidate)
    return probe(0)
