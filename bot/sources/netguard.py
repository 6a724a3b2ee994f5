"""Is a host on the public internet? Guards every URL the bot did not get from an admin.

A redirect, an article link or a WebSub hub comes from whoever runs the remote server,
and so does the DNS answer for any host name: followed blindly, they would let a stranger
make the bot probe the operator's own network (SSRF). Only the exact origin an admin wrote
may be private, and only when written as a literal address or marked ``allow_private``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpcore
import httpx

HostClass = Literal["public", "private", "unresolvable"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``), 6to4 and Teredo."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(ip: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, CGNAT, reserved, ...

    An IPv6 address that embeds an IPv4 address is judged by that address: a NAT64 gateway
    turns ``64:ff9b::7f00:1`` into 127.0.0.1, and a stack may route ``::169.254.169.254``
    to the metadata service.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:  # a local NAT64 prefix: what it reaches is the operator's
            return False
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
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

Origin = tuple[str, str, int]
"""``(scheme, host, port)`` of a URL, host lower-case without brackets."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """The origin of ``url``, or None for a URL with no usable host or port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not host or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def is_literal_address(host: str) -> bool:
    return _parse_ip(host) is not None


@dataclass(frozen=True)
class Trust:
    """What an admin vouched for by configuring a feed: exactly one origin, and whether
    that origin may be on a private address.

    Only a literal address (``http://10.0.0.5:8080/rss``, the admin wrote the address) or
    ``allow_private: true`` lets it be private. A host *name* is looked up and vetted like
    any other: its DNS answer is written by whoever runs that name, and a public feed whose
    name turns into 127.0.0.1 must not make the bot fetch the operator's own services.
    """

    origin: Origin | None
    private_ok: bool = False

    @classmethod
    def of(cls, url: str, allow_private: bool = False) -> Trust:
        origin = origin_of(url)
        literal = origin is not None and is_literal_address(origin[1])
        return cls(origin, private_ok=origin is not None and (allow_private or literal))

    def allows_private(self, url: str) -> bool:
        """True when ``url`` is the configured origin and that origin may be private."""
        return self.private_ok and origin_of(url) == self.origin


TRUSTED: contextvars.ContextVar[frozenset[tuple[str, int]]] = contextvars.ContextVar(
    "newsbot_trusted_origins", default=frozenset()
)
"""``(host, port)`` pairs the current task may reach on private addresses: the configured
origin of the feed being fetched, when its :class:`Trust` allows that. Set with
:func:`trusting`."""


@contextlib.contextmanager
def trusting(trust: Trust) -> Iterator[None]:
    pairs = (
        frozenset({(trust.origin[1], trust.origin[2])})
        if trust.private_ok and trust.origin is not None
        else frozenset()
    )
    token = TRUSTED.set(pairs)
    try:
        yield
    finally:
        TRUSTED.reset(token)


class AddressRefused(httpcore.ConnectError):
    """A connection to a private address nobody configured; the message names the host."""


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses it has just vetted."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolver or resolve

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to try for ``host``; raises AddressRefused for a private one, unless
        ``(host, port)`` is the configured origin and may be private."""
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
        if (name, port) in TRUSTED.get():
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
        for addr in await self.addresses(host, port):
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
