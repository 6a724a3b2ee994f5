"""NewsBot applying edits of its files while running, without chat: the feed clock follows
the config, and what cannot change live keeps its running value."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.base import ChatAdapter
from bot.commands.core import Caller
from bot.models import Alert, Digest, Target
from bot.runtime.bot import NewsBot
from bot.settings.model import load_settings

ROOT = Path(__file__).resolve().parents[2]


class Notices(ChatAdapter):
    """An admin channel that keeps what it is told."""

    platform = "slack"

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        return None

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        self.texts.append(text)
        return None


def make_bot(tmp_path: Path, config: str) -> tuple[NewsBot, Notices, Path]:
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config")
    (tmp_path / "seeds").mkdir()
    path = tmp_path / "config" / "newsbot.yaml"
    path.write_text(config)
    settings = load_settings(path, env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    notices = Notices()
    return NewsBot(settings, {"slack": notices}, config_path=path), notices, path


BASE = "seeds: [seeds]\nslack: {admin_channel: C0ADMIN, http_port: 3000}\nadmins: [U0ALICE]\n"


def test_the_feed_clock_follows_feeds_added_removed_and_changed(tmp_path: Path) -> None:
    from bot.store.db import utcnow

    feeds = "feeds:\n  - {url: 'http://127.0.0.1:9/a.xml'}\n  - {url: 'http://127.0.0.1:9/b.xml', interval: 1h}\n"
    bot, notices, path = make_bot(tmp_path, BASE + feeds)
    polls: list[str] = []

    async def fake_poll(feed: Any) -> None:
        polls.append(feed.url.rsplit("/", 1)[1])
        gap = timedelta(seconds=0.2 if "a.xml" in feed.url else 3600)
        bot.store.feeds.update_feed(feed.url, next_poll_at=utcnow() + gap)

    bot.poll_feed = fake_poll  # type: ignore[method-assign]
    claim_feeds = bot.store.feeds.claim_feeds
    asked: list[list[str]] = []  # the feeds each round asked the store for

    def recording_claim(urls: list[str], *args: Any, **kw: Any) -> list[str]:
        asked.append([u.rsplit("/", 1)[1] for u in urls])
        return claim_feeds(urls, *args, **kw)

    bot.store.feeds.claim_feeds = recording_claim  # type: ignore[method-assign]
    release_feed = bot.store.feeds.release_feed
    released: dict[str, int] = {}  # a feed's first poll end: how many rounds had asked by then

    def recording_release(url: str, *args: Any, **kw: Any) -> Any:
        released.setdefault(url.rsplit("/", 1)[1], len(asked))
        return release_feed(url, *args, **kw)

    bot.store.feeds.release_feed = recording_release  # type: ignore[method-assign]

    async def until(check: Any, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.02)

    async def go() -> None:
        bot.startup_spread = timedelta(seconds=1)
        bot.feed_scheduler = bot.make_feed_scheduler()
        task = asyncio.create_task(bot.feed_scheduler.run())
        # a.xml every 0.2 s; b.xml once (first polls spread over 1 s here, 10 s by default;
        # then every hour).
        await until(lambda: "b.xml" in polls and polls.count("a.xml") >= 2)
        assert polls.count("b.xml") == 1
        path.write_text(
            BASE + "feeds:\n  - {url: 'http://127.0.0.1:9/b.xml', interval: 30s}\n"
            "  - {url: 'http://127.0.0.1:9/c.xml', name: C}\n"
        )
        assert await bot.live.reload_config_if_changed()
        before, rounds = len(polls), len(asked)
        # a.xml is due (overdue) from now on: had the scheduler kept it, the round that
        # claims c.xml would claim it too.
        bot.store.feeds.update_feed("http://127.0.0.1:9/a.xml", next_poll_at=utcnow() - timedelta(seconds=1))
        await until(lambda: "c.xml" in released)
        await until(lambda: len(asked) > released["c.xml"])  # a round after c.xml's poll ended
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        after = polls[before:]
        assert "a.xml" not in after  # removed: its next turn is skipped
        # Rounds from the first that knew c.xml on were planned after the edit.
        first = next(i for i, urls in enumerate(asked) if i >= rounds and "c.xml" in urls)
        assert not any("a.xml" in urls for urls in asked[first:])
        assert after.count("c.xml") == 1  # added: polled at once

    asyncio.run(go())
    # b.xml's interval went from 1h to 30s: it is due within 33 s now, not in an hour.
    b = bot.store.feeds.feed_state("http://127.0.0.1:9/b.xml")
    assert b is not None and b.next_poll_at is not None
    assert b.next_poll_at - utcnow() < timedelta(seconds=34)
    (notice,) = notices.texts
    assert "feeds added: C (http://127.0.0.1:9/c.xml)" in notice
    assert "feeds removed: http://127.0.0.1:9/a.xml" in notice
    assert "feed http://127.0.0.1:9/b.xml: interval changed" in notice
    bot.store.close()


def test_restart_only_values_are_kept_and_invalid_edits_refused(tmp_path: Path) -> None:
    bot, notices, path = make_bot(tmp_path, BASE + "story_window: 48h\n")

    async def go() -> None:
        assert not await bot.live.reload_config_if_changed()  # nothing changed yet
        path.write_text(BASE.replace("3000", "3001") + "story_window: 12h\nwatchlist: other.yaml\n")
        assert await bot.live.reload_config_if_changed()
        path.write_text(BASE + "story_window: soon\n")
        assert not await bot.live.reload_config_if_changed()
        assert not await bot.live.reload_config_if_changed()  # refused once, not at every check

    asyncio.run(go())
    assert bot.settings.story_window == timedelta(hours=12)
    assert bot.settings.slack.http_port == 3000
    assert bot.settings.watchlist == Path("config/watchlist.yaml")
    changed, refused = notices.texts
    assert "story_window: 2d → 12h" in changed
    assert "slack.http_port: 3000 → 3001 needs a restart" in changed
    assert "watchlist: config/watchlist.yaml → other.yaml needs a restart" in changed
    assert refused.startswith("newsbot: config edit refused; the running settings are kept.\n")
    assert f"{path}:4: story_window: expected a duration" in refused
    bot.store.close()


def test_watch_from_chat_changes_the_running_watchlist_and_admins_follow_the_config(
    tmp_path: Path,
) -> None:
    bot, notices, path = make_bot(tmp_path, BASE)
    alice, bob = Caller("slack", "C0NEWS", "U0ALICE"), Caller("slack", "C0NEWS", "U0BOB")

    async def go() -> None:
        added = await bot.commands.run_text("watch", 'add valdora "Valdora" Valdora', alice)
        assert added.ok, added
        assert bot.watchlist.get("valdora") is not None
        refused = await bot.commands.run_text("watch", "remove valdora", bob)
        assert not refused.ok and "only the bot's admins" in refused.text  # type: ignore[union-attr]
        path.write_text(
            BASE.replace("[U0ALICE]", "[U0ALICE, 'slack:U0BOB']")
            + "routes: [{platform: slack, channel: C0HARBOUR, items: [valdora]}]\n"
        )
        assert await bot.live.reload_config_if_changed()
        removed = await bot.commands.run_text("watch", "remove valdora", bob)
        assert removed.ok, removed
        assert removed.text == (  # type: ignore[union-attr]
            "Removed Valdora (valdora) from the watchlist. Note: valdora is still named by "
            "1 route in config/newsbot.yaml (slack C0HARBOUR), which get nothing for it until "
            "it is added back (edit the routes, or /unsubscribe there)."
        )
        usage = await bot.commands.run_text("watch", "", bob)
        assert usage.text.startswith("Usage: /watch add")  # type: ignore[union-attr]

    asyncio.run(go())
    assert bot.watchlist.get("valdora") is None
    assert [t.splitlines()[0] for t in notices.texts] == [
        "newsbot: watchlist updated by slack:U0ALICE (/watch) (6 items):",
        "newsbot: newsbot.yaml reloaded:",
        "newsbot: watchlist updated by slack:U0BOB (/watch) (5 items):",
    ]
    bot.store.close()


def test_a_refused_watch_does_not_claim_a_later_hand_edit_of_the_same_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/watch add is refused when the file changes between its reading and its writing;
    the admin then makes that same edit by hand: the reload must not credit /watch."""
    import bot.commands.watch as watch_command
    from bot.settings import watchedit

    bot, notices, _ = make_bot(tmp_path, BASE)
    watchlist = bot.live.watchlist_path
    original = watchlist.read_text(encoding="utf-8")
    planned: list[str] = []

    def write_after_a_hand_edit(path: Path, edit: watchedit.Edit) -> None:
        planned.append(edit.after)
        path.write_text(original + "\n# a note\n", encoding="utf-8")  # someone, meanwhile
        watchedit.write(path, edit)

    monkeypatch.setattr(watch_command, "write", write_after_a_hand_edit)
    alice = Caller("slack", "C0NEWS", "U0ALICE")

    async def go() -> None:
        refused = await bot.commands.run_text("watch", 'add valdora "Valdora" Valdora', alice)
        assert not refused.ok and "changed meanwhile" in refused.text  # type: ignore[union-attr]
        watchlist.write_text(planned[0], encoding="utf-8")  # the same edit, by hand
        assert await bot.live.reload_watchlist_if_changed()

    asyncio.run(go())
    assert bot.watchlist.get("valdora") is not None
    assert notices.texts[-1].startswith("newsbot: watchlist updated (6 items):"), notices.texts
    bot.store.close()
