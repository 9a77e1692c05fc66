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
def https_mock() -> Iterator[str]:
    """A fresh mock served over HTTPS; yields its base URL."""
    server = make_server("127.0.0.1", 0, create_app(), threaded=True,
                         ssl_context=(str(TLS / "server.pem"), str(TLS / "server.key")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
