"""Is a host on the public internet? Guards every URL the bot did not get from an admin.

A feed an admin configured may live on 127.0.0.1, but a redirect (or, later, an article
link to fetch in full) comes from whoever runs the remote server: followed blindly, it
would let them make the bot probe the operator's own network (SSRF).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Literal

import httpcore
import httpx

HostClass = Literal["public", "private", "unresolvable"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(ip: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, CGNAT, reserved, ..."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
        if ip.teredo is not None:
            return is_public_address(ip.teredo[1])
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str], Awaitable[list[str]]]


async def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (off the event loop), in the resolver's order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parse_ip(addr: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def classify_host(host: str) -> HostClass:
    """Resolve ``host`` (off the event loop) and classify all of its addresses.

    One private address makes the host private: an attacker controls which of several
    addresses the HTTP client will try.
    """
    literal = host.strip("[]")
    try:
        ip = ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return "public" if is_public_address(ip) else "private"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(literal, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "unresolvable"
    addresses = {info[4][0] for info in infos}
    if not addresses:
        return "unresolvable"
    for addr in addresses:
        try:
            ip = ipaddress.ip_address(str(addr).split("%", 1)[0])
        except ValueError:
            return "private"
        if not is_public_address(ip):
            return "private"
    return "public"


async def is_public_host(host: str) -> bool:
    """True when every address ``host`` resolves to is public (False if it does not resolve)."""
    return await classify_host(host) == "public"


# -- the connection itself --------------------------------------------------------------------
#
# Checking a name and then letting the HTTP client resolve it again leaves a gap: a hostile
# DNS server can answer "public" to the check and "127.0.0.1" to the connect (DNS
# rebinding). The backend below resolves once, checks every address, and connects to the
# checked address itself; TLS still verifies the certificate for the name (SNI), and the
# Host header is untouched, because httpcore passes the name separately to ``start_tls``.

TRUSTED_HOSTS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "newsbot_trusted_hosts", default=frozenset()
)
"""Hosts the current task may reach on private addresses: the host of the feed an admin
configured. Set per fetch with :func:`trusting`."""


@contextlib.contextmanager
def trusting(hosts: Iterable[str]) -> Iterator[None]:
    token = TRUSTED_HOSTS.set(frozenset(h.lower().strip("[]") for h in hosts if h))
    try:
        yield
    finally:
        TRUSTED_HOSTS.reset(token)


class AddressRefused(httpcore.ConnectError):
    """A connection to a private address nobody configured; the message names the host."""


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses it has just vetted."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolver or resolve

    async def addresses(self, host: str) -> list[str]:
        """The addresses to try for ``host``; raises AddressRefused for a private one."""
        name = host.lower().strip("[]")
        literal = _parse_ip(name)
        if literal is not None:
            addrs = [str(literal)]
        else:
            try:
                addrs = await self._resolve(name)
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc}") from exc
            if not addrs:
                raise httpcore.ConnectError(f"DNS lookup failed for {host}")
        if name in TRUSTED_HOSTS.get():
            return addrs
        for addr in addrs:
            ip = _parse_ip(addr)
            if ip is None or not is_public_address(ip):
                raise AddressRefused(f"private address refused ({host})")
        return addrs

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for addr in await self.addresses(host):
            try:
                return await self._inner.connect_tcp(
                    addr,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for feeds")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (HTTP/1.1 and HTTP/2, pooling, error mapping) with the pool's
    network backend swapped for :class:`PinnedBackend`.

    httpx has no public hook for the backend, so the pool it built is replaced by one made
    with the same settings; proxies from the environment are not used (through a proxy the
    proxy resolves names, and no check here could pin them).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        http2: bool = True,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(limits=limits, http2=http2, trust_env=False, verify=verify)
        ctx = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ctx,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=PinnedBackend(resolver),
        )
