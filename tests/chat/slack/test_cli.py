"""The Slack side of the command line: `newsbot run` as a process, and `newsbot preview --slack`
(in this process: it needs no process of its own)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.botproc import clean_environ
from tests.chat.conftest import ROOT, SEED, SEED_TITLE, Home
from tests.clirun import newsbot as in_process
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.timeout(180)


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Wait for the process; kill it if it hangs, so a failing test leaves nothing behind."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"newsbot did not exit:\n{err[-3000:]}") from None


def newsbot(*args: str, env: dict[str, str], cwd: Path, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.mark.slow
@pytest.mark.network
def test_newsbot_run_process_posts_answers_and_stops_cleanly(
    home: Home, fake_slack: FakeSlack
) -> None:
    routes = [{"platform": "slack", "channel": "C0ROUTED", "items": ["all"]}]
    config = home.write_config(routes)
    env = clean_environ(**fake_slack.env(), NEWSBOT_DATABASE_URL=home.database_url)
    proc = newsbot("run", "--config", str(config), env=env, cwd=home.root)
    try:
        posts = fake_slack.wait_for(lambda: fake_slack.posts("C0ROUTED"), 90, "the seed's alert")
        assert SEED_TITLE in posts[0]["blocks"][0]["text"]["text"]
        fake_slack.wait_connected()
        sent = fake_slack.slash("/watchlist")
        answer = fake_slack.wait_for(lambda: fake_slack.received("response_url"), what="/watchlist")
        # The ack (on the socket) and the answer (an HTTP post) reach the fake on two
        # connections; on a busy machine the answer may be read first.
        fake_slack.wait_for(lambda: sent.acked_at, 30, "the ack")
        assert "kursk: Kursk (entity)" in answer[0].body["text"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, err = finish(proc, 30)
    assert proc.returncode == 0, err
    assert "xoxb-" not in err and "xapp-" not in err, "a token reached the log"
    fake_slack.wait_for(lambda: not fake_slack._sockets, 10, "the socket to close")


@pytest.mark.slow
@pytest.mark.network
def test_a_token_slack_refuses_stops_run_with_one_clear_line(
    home: Home, fake_slack: FakeSlack
) -> None:
    config = home.write_config([{"platform": "slack", "channel": "C0ROUTED"}])
    env = clean_environ(
        **fake_slack.env(SLACK_BOT_TOKEN="xoxb-revoked"), NEWSBOT_DATABASE_URL=home.database_url
    )
    proc = newsbot("run", "--config", str(config), env=env, cwd=home.root)
    _out, err = finish(proc)
    assert proc.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in err
    assert "Traceback" not in err and "xoxb-revoked" not in err


@pytest.mark.slow
def test_an_app_token_without_a_bot_token_is_refused_before_starting(home: Home) -> None:
    config = home.write_config([])
    env = clean_environ(SLACK_APP_TOKEN="xapp-1-A1-2-secret")
    proc = newsbot("run", "--config", str(config), env=env, cwd=home.root)
    _out, err = finish(proc)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not")
    assert "secret" not in err


def test_preview_prints_the_block_kit_the_bot_would_post(home: Home) -> None:
    proc = in_process(
        "preview", "--slack", str(SEED), "--config", str(ROOT / "config" / "newsbot.yaml"),
        cwd=ROOT,
    )
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, err
    payload = json.loads(out)
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": payload["blocks"][0]["text"]["text"]},
    }
    assert SEED_TITLE in payload["blocks"][0]["text"]["text"]
    quotes = [
        b["text"]["text"]
        for b in payload["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith(">")
    ]
    assert any("— _Choe Son Hui_" in q for q in quotes)
    assert any("— _Antony Blinken_" in q for q in quotes)
    assert payload["metadata"]["event_type"] == "newsbot_alert"
    assert payload["text"] and len(payload["blocks"]) <= 50


def test_preview_shows_the_feedback_buttons_the_bot_adds(home: Home) -> None:
    """The bot posts the buttons under every alert where clicks reach it; preview shows
    them, and ``--no-buttons`` shows the message as a webhook posts it."""
    config = str(ROOT / "config" / "newsbot.yaml")
    with_buttons = in_process("preview", "--slack", str(SEED), "--config", config, cwd=ROOT)
    assert with_buttons.returncode == 0, with_buttons.stderr
    actions = json.loads(with_buttons.stdout)["blocks"][-1]
    assert actions["block_id"] == "newsbot_feedback"
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("👍 Useful", "useful"), ("Not relevant", "nr"), ("Mute this story here", "mute")]
    assert all(e["action_id"].startswith("nb:fb:v1:") for e in actions["elements"])
    plain = in_process("preview", "--slack", str(SEED), "--no-buttons", "--config", config, cwd=ROOT)
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["blocks"] == json.loads(with_buttons.stdout)["blocks"][:-1]
