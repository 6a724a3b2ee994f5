"""A home for a bot under test (config, seeds, database in a temp dir) and the bot itself,
built by the CLI's own ``make_bot`` and run by ``run_forever`` on its own event loop."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.commands.dispatch import Commands
from bot.nlp.watchlist import load_watchlist
from bot.store.repositories import open_store
from tests.botproc import outbox_settled, scrub_environ
from tests.fakes.slack import FakeSlack, running

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"
SEED_TITLE = "La Corée du Nord sera aux côtés de la Russie"


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No chat credential, newsbot setting or proxy from the developer's shell reaches the
    bot under test (in-process: this process's environment is the bot's)."""
    scrub_environ(monkeypatch)


class Home:
    """A directory laid out like a deployment: config/, seeds/, data/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "config").mkdir()
        (root / "seeds").mkdir()
        (root / "data").mkdir()
        shutil.copy(ROOT / "config" / "watchlist.yaml", root / "config" / "watchlist.yaml")
        # With its mtime: a seed that was there before the bot started is read at once,
        # not left one scan to settle (what a file still being written gets).
        shutil.copy2(SEED, root / "seeds")
        self.config = root / "config" / "newsbot.yaml"
        self.database_url = f"sqlite:///{root / 'data' / 'newsbot.db'}"

    def write_config(self, routes: list[dict[str, Any]], **extra: Any) -> Path:
        settings = {
            "watchlist": "config/watchlist.yaml",
            "seeds": ["seeds"],
            "scan_interval": "1s",
            "feeds": [],
            "routes": routes,
            "ops": {"listen_port": 0},  # never the default 9464 another bot may hold
            "console": {"listen_port": 0},  # nor the console's 8080
            **extra,
        }
        self.config.write_text(yaml.safe_dump(settings, allow_unicode=True))
        return self.config

    def outbox_settled(self) -> bool:
        """Nothing more will be posted until something new arrives (see
        :func:`tests.botproc.outbox_settled`)."""
        return outbox_settled(self.root / "data" / "newsbot.db")

    def add_seed(self, name: str, text: str) -> Path:
        """Write a document atomically, so a scan never reads half of it."""
        path = self.root / "seeds" / name
        tmp = path.with_suffix(".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.rename(path)
        return path


STORY = """---
title: Kursk governor orders evacuation of three border villages
source: {source}
language: en
---
The governor of the Kursk region on Thursday ordered the evacuation of three villages along
the border after a night of shelling damaged a school and a water station, officials said.
Buses will take about 900 residents to temporary shelters in the regional capital, where
schools have been turned into dormitories. "Nobody will be left behind," the governor told
local television, adding that the shelters had food and medical staff for at least a month.
{extra}
"""
"""A Kursk story (written for these tests) as an outlet's seed file; ``extra`` makes a
near-copy from another outlet that joins the same story."""


def story(source: str, extra: str = "") -> str:
    return STORY.format(source=source, extra=extra)


def dump_payload(name: str, payload: Any) -> None:
    """Keep a payload for an issue's closing note: ``TEST_PAYLOAD_DUMP=/some/dir`` (not
    ``NEWSBOT_*``: the bot's environment is scrubbed of those)."""
    where = os.environ.get("TEST_PAYLOAD_DUMP")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        (Path(where) / f"{name}.json").write_text(text, encoding="utf-8")


TICK = timedelta(seconds=0.2)
"""The delivery tick of a bot under test: a retry that is due goes out within 0.2 s instead
of 2 s (what is not due yet is held back all the same)."""


class RunningBot:
    """``newsbot run`` in-process: the CLI's wiring on a private event loop in a thread."""

    def __init__(self, config: Path) -> None:
        from bot.cli.run import make_bot

        self.bot = make_bot(config, console=False)
        self.bot.delivery_tick = TICK
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.bot.run_forever())
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def stop(self, timeout: float = 30) -> None:
        if self.loop.is_closed():
            return
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.bot.request_stop)
            self.thread.join(timeout)
        assert not self.thread.is_alive(), "the bot did not stop"
        self.loop.close()
        if self.error is not None:
            raise self.error


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with running() as fake:
        yield fake


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    clean_env(monkeypatch)
    h = Home(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", h.database_url)
    return h


@pytest.fixture
def start_bot() -> Iterator[Any]:
    """Start bots with ``start_bot(config)``; every one is stopped when the test ends."""
    bots: list[RunningBot] = []

    def start(config: Path) -> RunningBot:
        bot = RunningBot(config)
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def commands(tmp_path: Path) -> Iterator[Commands]:
    """The commands over a fresh SQLite store and the repository's watchlist."""
    store = open_store(f"sqlite:///{tmp_path / 'newsbot.db'}")
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    yield Commands(store.subscriptions, store.history, store.feeds, lambda: watchlist,
                   feedback=store.feedback)
    store.close()
