"""Fixtures shared by every test: a local publisher on 127.0.0.1, a port nobody answers, the
store's database on SQLite and on PostgreSQL, and the fake Slack and Discord the newsroom
fault tests post to.

Four guards hold for every test in this process:

- **Loopback only, port 0.** ``socket.getaddrinfo`` refuses any name but ``localhost`` and
  any address that is not loopback, ``socket.connect`` any address off 127.0.0.1/::1, and
  ``socket.bind`` the product's default ports (9464, 8080, 8090: a developer's bot may hold
  them, and ``make test`` runs tests on parallel workers); the test that tried fails,
  naming the host or port, even if the code under test swallowed the error. (A bot started as a subprocess is not covered: it gets only the fakes' loopback
  URLs from ``tests.botproc.clean_environ``. libpq resolves names itself, out of reach.)
- **Logging as found.** ``setup_logging`` (run by the CLI) sets levels and handlers
  process-wide; each test's changes are undone, so they cannot leak into later modules.
- **The user's cache untouched.** ``XDG_CACHE_HOME`` points into the session's temporary
  folder (this process's and every bot's it starts): what the language model derives
  (``bot.nlp.langid_cache.cache_folder``) is written there, never to ``~/.cache``.
- **PostgreSQL counted.** ``make test`` ends with one line saying how many PostgreSQL
  tests were skipped for want of a server (``CI=true`` fails them instead; tests/pg.py),
  and one for the web console's browser tests without Chromium (tests/web/browser.py).
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.localserver import FeedServer, serve

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.slack import FakeSlack


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with serve() as server:
        yield server


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nothing else can take it while
    the test runs) but never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# -- loopback only -----------------------------------------------------------------------

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_refused: list[str] = []


class PublicNetworkError(OSError):
    """A test tried to leave 127.0.0.1: resolve a public name, or connect elsewhere."""


def _local(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).split("%", 1)[0]  # an IPv6 zone
    if host in ("", "<broadcast>") or host.lower() in _LOCAL_NAMES:
        return host != "<broadcast>"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(what: str) -> PublicNetworkError:
    _refused.append(what)
    return PublicNetworkError(f"tests talk only to 127.0.0.1: refused {what}")


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_bind = socket.socket.bind

PRODUCT_PORTS = {9464: "ops", 8080: "console", 8090: "websub"}
"""The product's default ports: a developer's own bot may hold them, and tests run on
parallel workers (``make test``), so a test binds port 0, never one of these."""


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _local(host):
        raise _refuse(f"resolving {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not _local(address[0]):
        raise _refuse(f"connecting to {address[0]}:{address[1]}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _connect_ex(self, address)


def _guarded_bind(self: socket.socket, address: Any) -> None:
    inet = self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and len(address) > 1 and address[1] in PRODUCT_PORTS:
        # Recorded as well as raised: the bot logs a port it cannot bind and runs on.
        _refused.append(f"binding {PRODUCT_PORTS[address[1]]}'s default port {address[1]}")
        raise PublicNetworkError(
            f"tests bind port 0: refused the {PRODUCT_PORTS[address[1]]} default port {address[1]}"
        )
    return _bind(self, address)


@pytest.fixture(scope="session", autouse=True)
def loopback_only() -> Iterator[None]:
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.bind = _guarded_bind  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = _getaddrinfo
        socket.socket.connect = _connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
        socket.socket.bind = _bind  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def no_public_network(loopback_only: None) -> Iterator[None]:
    """Fail the test that tried, even where the code under test caught the error."""
    del _refused[:]
    yield
    tried, _refused[:] = list(_refused), []
    if tried:
        pytest.fail(
            "tests talk only to 127.0.0.1 and bind port 0; this one tried "
            + "; ".join(sorted(set(tried)))
        )


# -- the user's cache untouched -------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bot's cache folder in the session's temporary folder, for this process and,
    through the environment, every ``newsbot`` it starts."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("cache")
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


# -- logging as found --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def logging_as_found() -> Iterator[None]:
    """Undo what the test (or ``setup_logging`` inside it) did to logging: levels,
    handlers, and the exception hooks it installs."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers), list(root.filters))
    saved = {
        name: (lg.level, lg.propagate, lg.disabled)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    disabled = logging.root.manager.disable
    hooks = (sys.excepthook, threading.excepthook)
    yield
    sys.excepthook, threading.excepthook = hooks
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    root.filters[:] = saved_root[2]
    for name, lg in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        level, propagate, off = saved.get(name, (logging.NOTSET, True, False))
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, off
    logging.disable(disabled)
    logging.captureWarnings(False)


# -- the long tests first, one share per worker --------------------------------------------


def _long(item: pytest.Item) -> bool:
    """A test that takes tens of seconds: it starts processes (``slow``) or is a fuzzer."""
    return item.get_closest_marker("slow") is not None or "_fuzz" in item.path.stem


@pytest.hookimpl(trylast=True)  # after ``-m`` has deselected: the shares count what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers (``make test``), each worker's first share of the queue starts with
    an equal part of the long tests. ``--dist worksteal`` gives worker k the k-th quarter of
    the collection and lets idle workers take the end of a busy one's queue, never a test
    under way: a long test left near the end of a quarter (the feed fuzzer, a minute of
    CPU) ran alone while the other workers had finished. Every worker collects the same
    items and reorders them the same way, as xdist requires; run alone, the order is kept."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 0))
    if workers < 2:
        return
    long = [i for i in items if _long(i)]
    long.sort(key=lambda i: "_fuzz" not in i.path.stem)  # the longest single tests lead
    rest = iter([i for i in items if not _long(i)])
    ordered: list[pytest.Item] = []
    left = len(items)
    for k in range(workers):  # the shares worksteal hands out first (xdist's arithmetic)
        size = left // (workers - k)
        share = long[k::workers]
        share += itertools.islice(rest, max(0, size - len(share)))  # may run out
        ordered += share
        left -= size
    ordered += rest
    assert len(ordered) == len(items), "every test kept once"
    items[:] = ordered


# -- PostgreSQL counted ------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line when PostgreSQL tests were skipped for want of a server, one when the web
    console's browser tests were for want of Chromium."""
    from tests.pg import SKIP_PREFIX
    from tests.web.browser import SKIP_PREFIX as NO_BROWSER

    def skipped(prefix: str) -> int:
        return sum(
            prefix in str(getattr(r, "longrepr", ""))
            for r in terminalreporter.stats.get("skipped", [])
        )

    if n := skipped(SKIP_PREFIX):
        terminalreporter.write_line(
            f"PostgreSQL: {n} tests skipped, no server answered (set "
            "NEWSBOT_TEST_POSTGRES or start PostgreSQL; CI=true makes this a failure)",
            yellow=True,
            bold=True,
        )
    if n := skipped(NO_BROWSER):
        terminalreporter.write_line(
            f"Browser: {n} web console tests skipped, Chromium is not installed "
            "(apt-get install chromium chromium-driver; CI=true makes this a failure)",
            yellow=True,
            bold=True,
        )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped where no server answers; see tests/pg.py)."""
    from tests.pg import fresh_database

    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store's database on each backend: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/db/newsbot.db"
        return
    from tests.pg import fresh_database

    with fresh_database() as url:
        yield url


@pytest.fixture
def wire_discord() -> Iterator[FakeDiscord]:
    """The fake Discord with a channel per watch item (``tests.botproc``'s routes)."""
    from tests.botproc import DISCORD_ITEM_CHANNELS
    from tests.fakes.discord import CHANNELS, FakeDiscord

    channels = {**CHANNELS, **{c: f"wire-{item}" for item, c in DISCORD_ITEM_CHANNELS.items()}}
    fake = FakeDiscord(channels=channels).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def wire_slack() -> Iterator[FakeSlack]:
    from tests.fakes.slack import running

    with running() as fake:
        yield fake
