"""Logs: text or JSON lines, and never a secret, whoever logs it (us or a chat library)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime.logs import REDACTED, redact, setup_logging
from tests.botproc import clean_environ
from tests.chat.conftest import SEED, Home, clean_env
from tests.fakes import discord as fake_discord
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack, running

SLACK_WEBHOOK = "https://hooks.slack.com/services/T0NEWS/B0NEWS/qWeRtYuIoPaSdFgHjKlZxCvB"
DISCORD_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMg.GhQxYz.Zm9vYmFyLXNlY3JldC1zaWduYXR1cmUtMDAx"
DISCORD_WEBHOOK = "https://discord.com/api/webhooks/1234567890123/Wh-SecretPart_abcdefghijklmnop"
DB_PASSWORD = "c0rrect-horse"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f14e45fceea167a5a36dedd4bea2543")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", SLACK_WEBHOOK)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", DISCORD_TOKEN)
    monkeypatch.setenv("DISCORD_WEBHOOK_URL", DISCORD_WEBHOOK)
    monkeypatch.setenv(
        "NEWSBOT_DATABASE_URL", f"postgresql+psycopg://newsbot:{DB_PASSWORD}@db.internal/newsbot"
    )


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with running() as fake:
        yield fake


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    yield from fake_discord.serve()


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The CLI's logging set up for the test, and the previous setup restored after it."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    yield capsys
    root.handlers[:], root.level = saved[0], saved[1]
    sys.excepthook, threading.excepthook = saved[2], saved[3]
    logging.captureWarnings(False)


def test_every_secret_value_and_token_shape_is_redacted(secrets: None) -> None:
    line = redact(
        f"posting with {BOT_TOKEN} and {APP_TOKEN}; signing 8f14e45fceea167a5a36dedd4bea2543; "
        f"hook {SLACK_WEBHOOK}; discord {DISCORD_TOKEN} via {DISCORD_WEBHOOK}; "
        f"db postgresql+psycopg://newsbot:{DB_PASSWORD}@db.internal/newsbot ({DB_PASSWORD})"
    )
    for secret in (BOT_TOKEN, APP_TOKEN, "8f14e45fceea", "qWeRtYuIoPaSdFgHjKlZxCvB",
                   DISCORD_TOKEN, "Wh-SecretPart", DB_PASSWORD):
        assert secret not in line
    assert "db.internal/newsbot" in line, "only the secret goes, not the rest of the line"


def test_token_shapes_are_redacted_even_when_not_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean_env(monkeypatch)
    cases = {
        "token xoxb-9999-8888-AbCdEfGhIjKl expired": "xoxb-9999",
        "user token xoxp-1-2-3-abcdef": "xoxp-1",
        "app token xapp-1-A0-77-deadbeef": "xapp-1",
        "Authorization: Bearer abc.def-ghi_jkl": "abc.def",
        "POST https://hooks.slack.com/services/T1/B2/zzzzsecret": "zzzzsecret",
        "respond to https://hooks.slack.com/commands/T1/42/zzzzsecret": "zzzzsecret",
        "POST /api/v10/webhooks/123456/tok-en_value/messages": "tok-en_value",
        "callback /interactions/98765/aW50ZXJhY3Rpb24/callback": "aW50ZXJhY3Rpb24",
        "login with MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz012": "GaBcDe",
        "{'token': 'itoken-77', 'id': '1'}": "itoken-77",
        '{"token": "legacy-verification-token"}': "legacy-verification",
        "connect postgresql://bot:hunter22@localhost/news": "hunter22",
    }
    for line, secret in cases.items():
        cleaned = redact(line)
        assert secret not in cleaned, line
        assert REDACTED in cleaned


def test_ordinary_lines_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    for line in (
        "Applying slack_bolt.middleware.authorization.async_single_team_authorization.AsyncSingleTeamAuthorization",
        "feed France 24 (fr): 3 new items, 1 alerts",
        "GET https://www.france24.com:443/fr/rss returned 304",
        "discord: connected as newsbot#0001 (1 servers)",
        "tokens: 1200 documents, 35 per second",
    ):
        assert redact(line) == line


def test_json_lines_carry_time_level_logger_message_exception_and_extras(
    secrets: None, logs: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_LOG_FORMAT", "json")
    setup_logging()
    log = logging.getLogger("bot.test")
    log.info("feed %s: %d new items", "Wire \x1b[31mred\x1b[0m", 3, extra={"feed": "Wire", "n": 3})
    try:
        raise ConnectionError(f"refused {DISCORD_WEBHOOK} with {BOT_TOKEN}")
    except ConnectionError:
        log.exception("post failed for %s", SLACK_WEBHOOK)
    lines = logs.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "feed Wire red: 3 new items", "escape sequences dropped"
    assert (first["feed"], first["n"]) == ("Wire", 3)
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["level"] == "ERROR"
    assert "ConnectionError" in second["exception"] and "Traceback" in second["exception"]
    raw = "\n".join(lines)
    for secret in (BOT_TOKEN, "Wh-SecretPart", "qWeRtYuIoPaSdFgHjKlZxCvB"):
        assert secret not in raw


def test_text_lines_redact_tracebacks_and_uncaught_exceptions(
    secrets: None, logs: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_LOG_FORMAT", raising=False)
    setup_logging()
    try:
        raise RuntimeError(f"gateway refused {DISCORD_TOKEN}")
    except RuntimeError as exc:
        logging.getLogger("discord.client").error("login failed", exc_info=True)
        sys.excepthook(type(exc), exc, exc.__traceback__)
    err = logs.readouterr().err
    assert "login failed" in err and "uncaught exception" in err
    assert err.count("RuntimeError: gateway refused [redacted]") == 2
    assert DISCORD_TOKEN not in err


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.timeout(180)
def test_chat_libraries_at_debug_never_log_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, discord: FakeDiscord
) -> None:
    """`newsbot run -v` with JSON logs, Slack and Discord both connected to the fakes, an
    alert posted on each and a slash command answered on each: slack_sdk, slack_bolt,
    aiohttp and discord.py log at DEBUG, and no secret is in any line."""
    clean_env(monkeypatch)
    home = Home(tmp_path)
    home.write_config(
        [
            {"platform": "slack", "channel": "C0ROUTED", "items": ["all"]},
            {"platform": "discord", "channel": fake_discord.ALERTS, "items": ["all"]},
        ],
        discord={"guild_ids": [int(fake_discord.GUILD_ID)]},
        ops={"listen_port": 0},
    )
    env = clean_environ(
        **slack.env(), **discord.env(token=DISCORD_TOKEN),
        NEWSBOT_DATABASE_URL=home.database_url, NEWSBOT_LOG_FORMAT="json",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "-v", "--config", str(home.config)],
        cwd=home.root, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        slack.wait_for(lambda: slack.posts("C0ROUTED"), 90, "the Slack alert")
        discord.wait_for(lambda: discord.posts(fake_discord.ALERTS), 60)
        slack.wait_connected()
        sent = slack.slash("/watchlist")
        slack.wait_for(lambda: slack.received("response_url"), 20, "the /watchlist answer")
        interaction, interaction_token = discord.interact("watchlist")
        discord.wait_for(lambda: discord.callbacks(interaction), 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out[-3000:]
    entries = [json.loads(line) for line in out.splitlines()]  # every line is one JSON object
    loggers = {e["logger"].split(".")[0] for e in entries}
    assert {"slack_sdk", "discord", "bot"} <= loggers, loggers
    assert any(e["level"] == "DEBUG" for e in entries)
    # What would have leaked: the interaction's token in the gateway event discord.py logs.
    assert any(REDACTED in e["message"] and e["logger"].startswith("discord") for e in entries)
    for secret in (BOT_TOKEN, APP_TOKEN, DISCORD_TOKEN, interaction_token, str(sent.payload["token"])):
        assert secret not in out, secret
    assert SEED.name in out


def test_the_console_login_link_is_one_line_in_the_log_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Announced to whoever started the bot, never redacted, and in JSON logs a JSON line."""
    from bot.runtime.logs import announce

    link = "Web console: http://127.0.0.1:8080/?token=abc-DEF_123  (the link logs in once)"
    monkeypatch.setenv("NEWSBOT_LOG_FORMAT", "text")
    announce(link)
    assert capsys.readouterr().err == link + "\n"
    monkeypatch.setenv("NEWSBOT_LOG_FORMAT", "json")
    announce(link, logger="bot.web.server")
    entry = json.loads(capsys.readouterr().err)
    assert entry["message"] == link and entry["logger"] == "bot.web.server"
