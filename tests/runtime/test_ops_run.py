"""`newsbot run` as an operator sees it: a process with /healthz and /metrics, that stops
on SIGTERM within ten seconds without losing or repeating a delivery."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.botproc import clean_environ
from tests.chat.conftest import SEED_TITLE, Home, clean_env
from tests.fakes.slack import FakeSlack

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.timeout(240)]


@dataclass
class SlowSlack(FakeSlack):
    """A Slack that sits on the first chat.postMessage for ``hold`` seconds, then posts it."""

    hold: float = 3.0
    holding: threading.Event = field(default_factory=threading.Event)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage" and not self.holding.is_set():
            self.holding.set()
            await asyncio.sleep(self.hold)
        return await super()._api(request)


class Newsbot:
    """A `newsbot run` subprocess; its log is read line by line as it comes."""

    def __init__(self, home: Home, fake: FakeSlack) -> None:
        env = clean_environ(**fake.env(), NEWSBOT_DATABASE_URL=home.database_url)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run", "--config", str(home.config)],
            cwd=home.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def ops_port(self, timeout: float = 90) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = re.search(r"/healthz and /metrics on http://127\.0\.0\.1:(\d+)", self.output)
            if found:
                return int(found.group(1))
            time.sleep(0.1)
        raise AssertionError(f"no ops port in the log:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send ``sig``; return the seconds until the process had exited."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        elapsed = time.monotonic() - started
        self._reader.join(timeout=5)
        return elapsed


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    clean_env(monkeypatch)
    return Home(tmp_path)


@pytest.fixture
def slow_slack() -> Iterator[SlowSlack]:
    fake = SlowSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


def deliveries(home: Home) -> dict[str, str]:
    """Channel -> delivery status, read from the bot's database."""
    db = sqlite3.connect(home.database_url.removeprefix("sqlite:///"))
    try:
        return dict(db.execute("SELECT channel, status FROM deliveries").fetchall())
    finally:
        db.close()


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = get(port, "/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


CHANNELS = ["C0FIRST", "C0SECOND", "C0THIRD"]


def test_sigterm_lets_the_post_in_flight_finish_and_keeps_the_rest_for_the_restart(
    home: Home, slow_slack: SlowSlack
) -> None:
    home.write_config(
        [{"platform": "slack", "channel": c, "items": ["all"]} for c in CHANNELS],
        ops={"listen_port": 0},
    )
    bot = Newsbot(home, slow_slack)
    try:
        assert slow_slack.holding.wait(90), bot.output  # the fake sits on this post now
        took = bot.stop(signal.SIGTERM, timeout=60)
    finally:
        bot.stop(signal.SIGKILL)
    assert bot.proc.returncode == 0, bot.output  # it stopped by itself, not by the SIGKILL
    print(f"SIGTERM to exit: {took:.1f}s")  # the budget is the bot's; no time limit here
    (posted,) = slow_slack.posts()  # the post in flight was answered, and nothing after it
    assert SEED_TITLE in posted["text"]
    first = posted["channel"]
    assert deliveries(home) == {c: "sent" if c == first else "pending" for c in CHANNELS}

    again = Newsbot(home, slow_slack)
    try:
        slow_slack.wait_for(lambda: len(slow_slack.posts()) == 3, 60, "the other two posts")
        # Every delivery sent: the outbox has nothing left that could post again.
        slow_slack.wait_for(lambda: deliveries(home) == dict.fromkeys(CHANNELS, "sent"), 60,
                            "every delivery marked sent")
    finally:
        again.stop()
    assert again.proc.returncode == 0, again.output
    assert sorted(p["channel"] for p in slow_slack.posts()) == sorted(CHANNELS)
    assert deliveries(home) == dict.fromkeys(CHANNELS, "sent")


def test_healthz_and_metrics_answer_while_the_bot_runs(home: Home, slow_slack: SlowSlack) -> None:
    slow_slack.hold = 0.0
    home.write_config([{"platform": "slack", "channel": "C0ROUTED", "items": ["all"]}], ops={"listen_port": 0})
    bot = Newsbot(home, slow_slack)
    try:
        port = bot.ops_port()
        status, body = get(port, "/healthz")
        assert status == 200, body
        health: dict[str, Any] = json.loads(body)
        assert health["status"] == "ok" and health["adapters"]["slack"] is True

        slow_slack.wait_for(lambda: slow_slack.posts("C0ROUTED"), 90, "the seed's alert")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = metrics(port)
            if m.get(("newsbot_deliveries_delivered_total", (("platform", "slack"),))):
                break
            time.sleep(0.2)
        assert m[("newsbot_deliveries_delivered_total", (("platform", "slack"),))] == 1
        assert m[("newsbot_articles_seen_total", ())] == 1
        assert m[("newsbot_articles_matched_total", ())] == 1
        assert m[("newsbot_alerts_queued_total", ())] == 1
        assert m[("newsbot_match_seconds_count", ())] == 1
        assert m[("newsbot_outbox_pending", ())] == 0
        assert any(name == "newsbot_build_info" for name, _ in m)
        assert m[("process_resident_memory_bytes", ())] > 0

        health = json.loads(get(port, "/healthz")[1])
        assert health["outbox_pending"] == 0
        assert health["last_tick_seconds_ago"] is not None and health["uptime_seconds"] > 0
    finally:
        bot.stop()
    assert bot.proc.returncode == 0, bot.output
    assert "xoxb-" not in bot.output and "xapp-" not in bot.output
