"""Which hosts a redirect may lead to."""

from __future__ import annotations

import asyncio

import pytest

from bot.sources.netguard import classify_host, is_public_host


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "[::1]",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "224.0.0.1",
        "240.0.0.1",
        "localhost",
    ],
)
def test_private_hosts(host: str) -> None:
    assert asyncio.run(is_public_host(host)) is False


@pytest.mark.parametrize("host", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_literals(host: str) -> None:
    assert asyncio.run(is_public_host(host)) is True


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fail(*args: object, **kwargs: object) -> None:
        raise OSError(-2, "Name or service not known")

    async def run() -> str:
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fail)
        return await classify_host("feeds.example.invalid")

    assert asyncio.run(run()) == "unresolvable"


def test_mixed_public_and_private_addresses_make_a_host_private(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One lookup returning a public and a private address. (Not DNS rebinding: the vetted
    address is not pinned for the connection, so a second lookup is not covered.)"""

    async def mixed(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", ("93.184.216.34", 0)), (2, 1, 6, "", ("10.0.0.5", 0))]

    async def run() -> str:
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", mixed)
        return await classify_host("mixed.example")

    assert asyncio.run(run()) == "private"
