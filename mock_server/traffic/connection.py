"""The socket a request came on, for the faults WSGI cannot express: a reset (TCP RST) and
bytes that are not HTTP.

Under waitress the socket is its channel's (`waitress.client_disconnected` in the environ is
a method of the channel). Under granian's embedded server (this process, Linux) it is found
among the process' open files by its two ports (/proc/self/fd) and used through a duplicate
of its descriptor, which is closed again; only the connection's own options and bytes are
touched. Not found (another server or system, the in-process test client): None, and the
fault falls back to cutting the connection the server's way.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
from collections.abc import Iterator
from typing import Any

MAX_FDS = 4096  # open files looked at, at most, to find a connection
FD_DIR = "/proc/self/fd"
# Set in the environ by a server whose connections are this process' own sockets (granian's
# embedded server, through the RSGI bridge): only then are the process' files looked through.
OWN_SOCKETS = "calendar_mock.own_sockets"


@contextlib.contextmanager
def connection_socket(environ: dict[str, Any]) -> Iterator[socket.socket | None]:
    """The request's socket while the block runs, or None."""
    channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
    own = getattr(channel, "socket", None)
    if isinstance(own, socket.socket):
        yield own
        return
    found = _by_ports(environ) if environ.get(OWN_SOCKETS) else None
    try:
        yield found
    finally:
        if found is not None:
            found.close()  # the duplicate: the server's descriptor stays open


def _by_ports(environ: dict[str, Any]) -> socket.socket | None:
    try:
        peer_port, local_port = int(environ["REMOTE_PORT"]), int(environ["SERVER_PORT"])
        names = os.listdir(FD_DIR)[:MAX_FDS]
    except (KeyError, ValueError, OSError):
        return None
    for name in names:
        try:
            if not os.readlink(f"{FD_DIR}/{name}").startswith("socket:"):
                continue
            duplicate = os.dup(int(name))
        except (OSError, ValueError):
            continue
        try:
            candidate = socket.socket(fileno=duplicate)
        except OSError:
            os.close(duplicate)
            continue
        if _is_connection(candidate, peer_port, local_port):
            return candidate
        candidate.close()
    return None


def _is_connection(candidate: socket.socket, peer_port: int, local_port: int) -> bool:
    if candidate.family not in (socket.AF_INET, socket.AF_INET6) or candidate.type != socket.SOCK_STREAM:
        return False
    try:
        return candidate.getpeername()[1] == peer_port and candidate.getsockname()[1] == local_port
    except OSError:  # a listening socket has no peer
        return False


def reset(connection: socket.socket) -> None:
    """End the connection with a TCP RST: no more linger on close, and on Linux a disconnect
    (connect to AF_UNSPEC) that sends the RST at once, before the server writes a byte."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        unspecified = (ctypes.c_ubyte * 16)()  # a sockaddr whose family is AF_UNSPEC (0)
        libc.connect(connection.fileno(), unspecified, ctypes.c_uint(16))


def send_and_close(connection: socket.socket, data: bytes) -> None:
    """Write `data` on the connection as it is (no HTTP around it), then end the sending side."""
    with contextlib.suppress(OSError):
        connection.sendall(data)
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_WR)
