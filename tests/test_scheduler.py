"""The scheduler's jobs, and that matching runs off the event loop."""

from __future__ import annotations

import asyncio
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.pipeline as pipeline_mod
from bot.app import NewsBot
from bot.chat.console import ConsoleAdapter
from bot.scheduler import build_scheduler
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def make_bot(tmp_path: Path, feeds: str = "[]") -> NewsBot:
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "config" / "newsbot.yaml").write_text(
        f"seeds: [seeds]\nscan_interval: 45s\nfeeds: {feeds}\n"
    )
    settings = load_settings(
        tmp_path / "config" / "newsbot.yaml",
        env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"},
    )
    return NewsBot(settings, {"console": ConsoleAdapter()})


def test_apscheduler_runs_seeds_and_delivery_and_feeds_have_their_own_clock(
    tmp_path: Path,
) -> None:
    newsbot = make_bot(tmp_path, "\n  - {url: 'http://127.0.0.1:9/a.xml', interval: 2m}")

    async def jobs() -> dict[str, timedelta]:
        sched = build_scheduler(newsbot)
        return {j.id: j.trigger.interval for j in sched.get_jobs()}

    assert asyncio.run(jobs()) == {"seeds": timedelta(seconds=45), "deliver": timedelta(seconds=2)}
    newsbot.store.close()


def test_matching_runs_in_a_worker_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """spaCy work must never block the loop that keeps chat connections alive."""
    newsbot = make_bot(tmp_path)
    threads: list[str] = []
    real = pipeline_mod.analyze

    def spy(*args: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(pipeline_mod, "analyze", spy)

    async def go() -> str:
        loop_thread = threading.current_thread().name
        report = await newsbot.scan_seeds()
        assert report.alerted == 1
        await newsbot.close()
        return loop_thread

    loop_thread = asyncio.run(go())
    assert threads and all(t != loop_thread for t in threads)

