"""``newsbot run`` as a real process for fault tests: a home folder, fakes, kill and restart.

:class:`BotHome` is a deployment folder (``config/``, ``seeds/``, ``data/``) in a temp dir;
:class:`BotProcess` starts ``python -m bot.cli.main run`` there with an environment that points
only at local fakes, appends its output to one log file per run (quoted when a test fails),
and kills it (SIGKILL, no goodbye) or stops it (SIGTERM). :func:`deliveries` counts what a
fake chat server holds, per channel and article URL, whatever message shape carried it (an
alert or a digest entry).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


class BotHome:
    """A folder laid out like a deployment, with the repository's watchlist."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("config", "seeds", "data", "logs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "config" / "watchlist.yaml", root / "config" / "watchlist.yaml")
        self.config = root / "config" / "newsbot.yaml"
        self.db_path = root / "data" / "newsbot.db"
        self.database_url = f"sqlite:///{self.db_path}"

    def write_config(self, settings: Mapping[str, Any]) -> Path:
        """``ops`` defaults to a free port: never the default 9464 another bot may hold."""
        values = {"ops": {"listen_port": 0}, **settings}
        self.config.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False))
        return self.config

    def add_seed(self, name: str, text: str) -> Path:
        """Write a document atomically, so a scan never reads half of it."""
        path = self.root / "seeds" / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.rename(path)
        return path

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read the bot's SQLite database while it runs (an empty list before it exists)."""
        if not self.db_path.exists():
            return []
        try:
            with contextlib.closing(sqlite3.connect(self.db_path, timeout=5)) as db:
                return list(db.execute(sql, args))
        except sqlite3.OperationalError:  # tables not created yet
            return []

    def alert_count(self) -> int:
        rows = self.query("SELECT count(*) FROM alerts")
        return int(rows[0][0]) if rows else 0

    def delivery_counts(self) -> dict[str, int]:
        return {str(s): int(n) for s, n in self.query(
            "SELECT status, count(*) FROM deliveries GROUP BY status"
        )}

    def failed_deliveries(self) -> list[tuple[Any, ...]]:
        return self.query(
            "SELECT platform, channel, attempts, last_error FROM deliveries WHERE status = 'failed'"
        )


def outbox_settled(db_path: Path) -> bool:
    """Every delivery the bot has queued is sent, failed for good or muted (a channel's
    ``/mute``): nothing more will be posted until something new arrives (the event a test
    waits for instead of sleeping to see that nothing happens)."""
    if not db_path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(db_path, timeout=5)) as db:
            total, open_ = db.execute(
                "SELECT count(*), count(*) FILTER (WHERE status NOT IN ('sent', 'failed', 'muted')) "
                "FROM deliveries"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet, or busy
        return False
    return bool(total) and not open_


def scrubbed(key: str) -> bool:
    """A variable no bot under test may inherit from the developer's shell: a chat
    credential (a real workspace), a newsbot setting (a real database), a proxy."""
    return key.startswith(("SLACK_", "DISCORD_", "NEWSBOT_")) or key.lower().endswith("_proxy")


def scrub_environ(monkeypatch: Any) -> None:
    """The same scrub for a bot run in this process (``monkeypatch`` undoes it)."""
    for key in list(os.environ):
        if scrubbed(key):
            monkeypatch.delenv(key, raising=False)


def clean_environ(**extra: str) -> dict[str, str]:
    """The environment for every ``newsbot`` a test starts: this process's, scrubbed (see
    :func:`scrubbed`), plus ``extra``, which points it at the test's own fakes and files."""
    env = {k: v for k, v in os.environ.items() if not scrubbed(k)}
    env.update({"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "COLUMNS": "120"})
    env.update(extra)
    return env


class BotProcess:
    """One ``newsbot run`` at a time in ``home``; ``start()`` again after a kill.

    ``name``: several instances share a home (and a PostgreSQL ``database_url``); each
    has its own logs, ``<name>1.log``, ``<name>2.log`` ...
    """

    def __init__(
        self,
        home: BotHome,
        env: Mapping[str, str],
        *,
        name: str = "run",
        database_url: str | None = None,
    ) -> None:
        self.home = home
        self.name = name
        self.env = clean_environ(
            **{"NEWSBOT_DATABASE_URL": database_url or home.database_url, **env}
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.logs: list[Path] = []
        self.exit_codes: list[int] = []

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        assert not self.alive, "already running"
        self.runs += 1
        log = self.home.root / "logs" / f"{self.name}{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run", "--config", "config/newsbot.yaml"],
                cwd=self.home.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        """This run's output so far."""
        return self.logs[-1].read_text(errors="replace") if self.logs else ""

    def wait_running(self, timeout: float = 120) -> None:
        """Until the log says the bot runs (adapters connected, worker recovered)."""
        wait_until(lambda: "newsbot running" in self.log(), timeout, "newsbot running", self)

    def kill(self) -> int:
        """SIGKILL: no shutdown code runs, as in a power cut or the OOM killer."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        return self._reap()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; SIGKILL if it does not stop within ``timeout``."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return self.kill()
        return self._reap()

    def _reap(self) -> int:
        assert self.proc is not None
        code = self.proc.wait(10)
        if len(self.exit_codes) < self.runs:
            self.exit_codes.append(code)
        return code

    def tail(self, lines: int = 40) -> str:
        """The end of every run's log, for a failure message."""
        out = []
        for path in self.logs:
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            # APScheduler says so every second a seed scan overruns its interval: noise here.
            text = [line for line in text if "maximum number of running instances" not in line]
            out.append(f"--- {path.name} (the end; scheduler overrun warnings left out) ---")
            out += text[-lines:]
        return "\n".join(out)


def kill_now(pid: int, timeout: float = 2.0) -> None:
    """SIGKILL ``pid`` and return once it is dead (a zombie), without reaping it: safe to
    call from a fake's thread at the moment a post arrives, before the post is answered."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.001)


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, bot: BotProcess | None = None,
    every: float = 0.05,
) -> Any:
    """Poll ``check`` until truthy; on timeout fail with ``what`` and the bot's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if bot is not None and bot.proc is not None and bot.proc.poll() is not None and bot.runs:
            raise AssertionError(f"the bot exited ({bot.proc.returncode}) while waiting for "
                                 f"{what}\n{bot.tail()}")
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}"
                         + (f"\n{bot.tail()}" if bot else ""))


URL = re.compile(r"https://wire\.example\.org/[a-z]{2}/\d{3}-[a-z-]+")


def urls_in(message: Mapping[str, Any]) -> set[str]:
    """Article URLs a message links to: one for an alert, several for a digest."""
    return set(URL.findall(json.dumps(message, ensure_ascii=False)))


def deliveries(messages: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many messages in a channel carry each article URL."""
    counts: Counter[str] = Counter()
    for message in messages:
        counts.update(urls_in(message))
    return counts


def compare(
    expected: Mapping[str, set[str]], received: Mapping[str, Counter[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Per channel: URLs missing, URLs carried more than once, URLs that should not be there."""
    missing, doubled, stray = {}, {}, {}
    for channel in sorted(set(expected) | set(received)):
        want, got = expected.get(channel, set()), received.get(channel, Counter())
        if lost := sorted(want - set(got)):
            missing[channel] = lost
        if twice := sorted(u for u, n in got.items() if n > 1):
            doubled[channel] = twice
        if extra := sorted(set(got) - want):
            stray[channel] = extra
    return missing, doubled, stray


# -- the newsroom both fault tests run: 200 stories, one Slack channel, a Discord channel per item

SLACK_ALERTS = "C0ALERTS"
SLACK_ADMIN = "C0ADMIN"
DISCORD_ITEM_CHANNELS = {
    "north-korea": "1200000000000000101",
    "kursk": "1200000000000000102",
    "arms-transfers": "1200000000000000103",
    "russia": "1200000000000000104",
    "ukraine": "1200000000000000105",
}
"""Discord paces posts at one a second per channel: a channel per item spreads them."""

SETTINGS_EXTRA: dict[str, Any] = {}
"""Added to both fault tests' config/newsbot.yaml; the one place to try a setting, e.g.
``{"bursts": {"max_alerts": 20, "window": "30s"}}``."""


def bot_settings(feed_urls: Mapping[str, str], admin_discord: str, guild_id: str) -> dict[str, Any]:
    """Every alert to one Slack channel; on Discord, each item to its own channel."""
    routes: list[dict[str, Any]] = [{"platform": "slack", "channel": SLACK_ALERTS, "items": ["all"]}]
    routes += [
        {"platform": "discord", "channel": channel, "items": [item]}
        for item, channel in DISCORD_ITEM_CHANNELS.items()
    ]
    feeds = [
        {"url": url, "name": f"Test Wire ({lang})", "interval": "30s", "language": lang}
        for lang, url in feed_urls.items()
    ]
    return {
        "watchlist": "config/watchlist.yaml",
        "seeds": ["seeds"],
        "scan_interval": "1s",
        "feeds": feeds,
        "routes": routes,
        "slack": {"admin_channel": SLACK_ADMIN},
        "discord": {"admin_channel": admin_discord, "guild_ids": [int(guild_id)]},
        **SETTINGS_EXTRA,
    }


def expected_channels(stories: Iterable[Any]) -> dict[str, set[str]]:
    """Which channel must receive which article URL: the matcher's items through the
    routes above (computed here, independently of the bot's own outbox)."""
    from bot.nlp import analyze
    from bot.nlp.watchlist import load_watchlist

    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    out: dict[str, set[str]] = {}
    for story in stories:
        analysis = analyze(story.title, story.text, watchlist, story.language)
        assert analysis.alert, f"story {story.index} would not alert: {story.title}"
        out.setdefault(SLACK_ALERTS, set()).add(story.url)
        for match in analysis.matches:
            out.setdefault(DISCORD_ITEM_CHANNELS[match.id], set()).add(story.url)
    return out


class Newsroom:
    """Publishes stories the way the bot reads them: seed files, and one RSS feed per
    language on a local server (items published "now", so a first poll alerts them)."""

    def __init__(self, home: BotHome, feed_server: Any, languages: Iterable[str]) -> None:
        from datetime import UTC, datetime

        from tests.newsgen import rss

        self.home = home
        self._now = lambda: datetime.now(UTC)
        self._rss = rss
        self.items: dict[str, list[tuple[Any, Any]]] = {lang: [] for lang in languages}
        self.urls: dict[str, str] = {}
        self.published: list[Any] = []
        for lang in self.items:
            path = f"/wire/{lang}.rss"
            feed_server.routes[path] = self._handler(lang)
            self.urls[lang] = feed_server.url(path)

    def _handler(self, lang: str) -> Callable[[Any], None]:
        def handle(h: Any) -> None:
            body = self._rss(lang, list(self.items[lang]))
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        return handle

    def seed(self, stories: Iterable[Any]) -> None:
        for story in stories:
            self.home.add_seed(f"{story.index:03d}-{story.language}.md", story.markdown())
            self.published.append(story)

    def feed(self, stories: Iterable[Any]) -> None:
        for story in stories:
            self.items[story.language].append((story, self._now()))
            self.published.append(story)


def received(slack: Any, discord: Any) -> dict[str, Counter[str]]:
    """What the fake Slack and Discord hold, per newsroom channel and article URL."""
    out: dict[str, Counter[str]] = {SLACK_ALERTS: deliveries(slack.messages(SLACK_ALERTS))}
    for channel in DISCORD_ITEM_CHANNELS.values():
        out[channel] = deliveries(discord.messages(channel))
    return out


def all_arrived(
    expected: Mapping[str, set[str]], slack: Any, discord: Any, among: Iterable[str] | None = None
) -> bool:
    """Every expected URL (or every one ``among`` these) is in its channel at least once."""
    got = received(slack, discord)
    only = None if among is None else set(among)
    return all(
        (urls if only is None else urls & only) <= set(got.get(channel, Counter()))
        for channel, urls in expected.items()
    )
