"""Is a host on the public internet? Guards every URL the bot did not get from an admin.

A feed an admin configured may live on 127.0.0.1, but a redirect (or, later, an article
link to fetch in full) comes from whoever runs the remote server: followed blindly, it
would let them make the bot probe the operator's own network (SSRF).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Literal

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
