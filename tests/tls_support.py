"""The mock over HTTPS on 127.0.0.1, with a certificate of the test CA (tests/tls), for the
clients that must trust a deployment's own CA (the suite's, the proxy's)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from werkzeug.serving import make_server

from mock_server import create_app

TLS = Path(__file__).parent / "tls"


@contextlib.contextmanager
def serving(app, ssl_context: tuple[str, str] | None = None) -> Iterator[str]:
    """`app` served on 127.0.0.1 in a thread (over HTTPS with `ssl_context`); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@contextlib.contextmanager
def https_mock() -> Iterator[str]:
    """A fresh mock served over HTTPS; yields its base URL."""
    with serving(create_app(), (str(TLS / "server.pem"), str(TLS / "server.key"))) as url:
        yield url
