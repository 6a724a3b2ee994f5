"""The guards every test runs under (tests/conftest.py, tests/pg.py, tests/botproc.py):
no public network, PostgreSQL tests that fail in CI rather than skip, a scrubbed
environment for every bot a test starts."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import conftest, pg
from tests.botproc import clean_environ


@pytest.fixture
def forgiven() -> Iterator[None]:
    """These tests trip the guard on purpose: what they tried must not fail them."""
    yield
    conftest._refused.clear()


@pytest.mark.usefixtures("forgiven")
@pytest.mark.parametrize("host", ["example.org", "wire.example.org", "8.8.8.8", "169.254.169.254"])
def test_a_public_name_or_address_is_refused_in_words(host: str) -> None:
    with pytest.raises(
        conftest.PublicNetworkError, match=f"only to 127.0.0.1: refused resolving '{host}'"
    ):
        socket.getaddrinfo(host, 443)
    assert conftest._refused  # the test that tried would fail at teardown


@pytest.mark.usefixtures("forgiven")
def test_a_connection_off_loopback_is_refused_before_it_leaves() -> None:
    with socket.socket() as sock, pytest.raises(conftest.PublicNetworkError, match="192.0.2.1:80"):
        sock.connect(("192.0.2.1", 80))
    with socket.socket() as sock, pytest.raises(conftest.PublicNetworkError):
        sock.connect_ex(("192.0.2.1", 80))


@pytest.mark.usefixtures("forgiven")
@pytest.mark.parametrize("port", sorted(conftest.PRODUCT_PORTS))
def test_a_product_default_port_is_never_bound(port: int) -> None:
    """A bot under test left on its default ops or console port would take a developer's
    bot's port, or another worker's: the bind fails, and the test would at teardown."""
    with socket.socket() as sock, pytest.raises(conftest.PublicNetworkError, match=f"port {port}"):
        sock.bind(("127.0.0.1", port))
    assert conftest._refused
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # what tests do
        assert sock.getsockname()[1] not in conftest.PRODUCT_PORTS


def test_loopback_is_allowed(closed_port: int) -> None:
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", closed_port)) != 0  # refused, not guarded
    assert not conftest._refused


def test_the_closed_port_refuses_connections(closed_port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), timeout=5)


def test_without_a_server_postgresql_tests_skip_locally_and_fail_in_ci(
    monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv(
        "NEWSBOT_TEST_POSTGRES", f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/x"
    )
    monkeypatch.setattr(pg, "_unreachable", None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=pg.SKIP_PREFIX), pg.fresh_database():
        pass
    monkeypatch.setenv("CI", "true")
    with (
        pytest.raises(pytest.fail.Exception, match="CI=true needs PostgreSQL"),
        pg.fresh_database(),
    ):
        pass


def test_a_bot_under_test_gets_no_credential_setting_or_proxy_from_the_shell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "SLACK_BOT_TOKEN": "xoxb-real-workspace",
        "DISCORD_BOT_TOKEN": "real",
        "NEWSBOT_DATABASE_URL": "postgresql://prod/newsbot",
        "HTTPS_PROXY": "http://proxy:3128",
        "no_proxy": "*",
        "SSL_CERT_FILE": "/etc/ssl/corp.pem",
    }.items():
        monkeypatch.setenv(key, value)
    env = clean_environ(NEWSBOT_DATABASE_URL="sqlite:///x.db")
    assert not {
        k for k in env if k.startswith(("SLACK_", "DISCORD_")) or k.lower().endswith("_proxy")
    }
    assert env["NEWSBOT_DATABASE_URL"] == "sqlite:///x.db"
    assert "PATH" in env and "SSL_CERT_FILE" in env


QUIET_AT_IMPORT = logging.getLogger("apscheduler").level
ROOT_AT_IMPORT = logging.getLogger().level


def test_setup_logging_in_one_test_changes_the_process_logging() -> None:
    from bot.runtime.logs import setup_logging

    setup_logging(verbose=True)
    assert logging.getLogger().level == logging.DEBUG


def test_does_not_reach_the_next_test() -> None:
    """Runs after the one above (pytest keeps a module's order)."""
    assert logging.getLogger().level == ROOT_AT_IMPORT
    assert logging.getLogger("apscheduler").level == QUIET_AT_IMPORT  # setup_logging: WARNING
    assert sys.excepthook is sys.__excepthook__


def test_bots_and_this_process_cache_into_the_session_folder(cache_in_tmp: Path) -> None:
    """What the bot caches between runs (the language model's arrays) goes to the
    session's temporary folder, never to the developer's ``~/.cache``."""
    from bot.nlp.langid_cache import cache_folder

    assert clean_environ()["XDG_CACHE_HOME"] == str(cache_in_tmp)
    folder = cache_folder()
    assert folder is not None and folder.is_relative_to(cache_in_tmp)
