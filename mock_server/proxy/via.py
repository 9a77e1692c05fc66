"""How the proxy reaches its upstream: directly, or through the HTTP proxy the environment names
(`HTTPS_PROXY` / `HTTP_PROXY`, minus `NO_PROXY`), as requests - and so the contract suite - does.
Behind a corporate proxy an upstream such as sandbox.clicrdv.com is reachable no other way.

An https upstream goes through a `CONNECT` tunnel, then TLS to the upstream itself (its
certificate checked as without a proxy); an http one is asked of the proxy in absolute form
(`GET http://host/path`). Credentials in the proxy's URL go as `Proxy-Authorization: Basic`.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

from .link import Link


class ProxyRefused(Exception):
    """The proxy would not open the tunnel: its status line, as it answered."""


@dataclass(frozen=True)
class Route:
    host: str  # where the connection goes: the upstream, or the proxy
    port: int
    tunnel: str | None = None  # "host:port" to CONNECT to (an https upstream through a proxy)
    target_prefix: str = ""  # before each request's path (an http upstream through a proxy)
    authorization: str | None = None  # the proxy's Proxy-Authorization value
    proxy: str = ""  # the proxy's URL without credentials, for messages

    def through(self) -> str:
        return f" through the proxy {self.proxy}" if self.proxy else ""


def route(scheme: str, host: str, port: int) -> Route:
    """The way to `host:port` the environment gives, read once (as the proxy starts)."""
    proxies = getproxies_environment()
    url = proxies.get(scheme) or proxies.get("all")
    if not url or proxy_bypass_environment(host, proxies):
        return Route(host, port)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the {scheme.upper()}_PROXY variable must be an http:// proxy URL, not {url!r}")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    shown = f"http://{parts.hostname}:{parts.port or 80}"
    if scheme == "https":
        return Route(parts.hostname, parts.port or 80, tunnel=f"{host}:{port}", authorization=authorization,
                     proxy=shown)
    return Route(parts.hostname, parts.port or 80, target_prefix=f"http://{host}:{port}",
                 authorization=authorization, proxy=shown)


async def open_link(way: Route, tls: ssl.SSLContext | None, server_hostname: str) -> Link:
    """A new connection to the upstream, the way `way` says; TLS when `tls` is given."""
    loop = asyncio.get_running_loop()
    if way.tunnel is None:
        _, link = await loop.create_connection(Link, way.host, way.port, ssl=tls)
        return link
    _, link = await loop.create_connection(Link, way.host, way.port)
    try:
        lines = [f"CONNECT {way.tunnel} HTTP/1.1", f"Host: {way.tunnel}"]
        if way.authorization:
            lines.append(f"Proxy-Authorization: {way.authorization}")
        link.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = (await link.head()).split(b"\r\n", 1)[0]
        if status_line.split(b" ")[1:2] != [b"200"]:
            raise ProxyRefused(status_line[:120].decode("latin-1"))
        if tls is not None and link.transport is not None:
            link.transport = await loop.start_tls(link.transport, link, tls,  # type: ignore[assignment]
                                                  server_hostname=server_hostname)
    except BaseException:
        link.close()
        raise
    return link
