"""`newsbot run` with Discord: the CLI's own wiring (``make_bot`` then ``run_forever``),
pointed at a local Discord, judged by what that Discord received."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.cli.run import make_bot
from tests.botproc import clean_environ, scrub_environ
from tests.chat.conftest import TICK
from tests.fakes.discord import ADMIN, ALERTS, DESK, EPHEMERAL, GUILD_ID, FakeDiscord, serve

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"
GONE = "1299999999999999999"
SEED_TITLE = "La Corée du Nord sera aux côtés de la Russie"

KURSK_DOC = """---
title: "Counter-attack reported near Kursk"
language: en
---
Fighting continued on Tuesday around the Kursk region, where the regional governor said
drones had struck two villages overnight. "We are rebuilding what we can," the governor said.
"""

EVERYONE_DOC = """---
title: "@everyone read this: shelling near Kursk <@&123456789012345678>"
language: en
---
Local officials in the Kursk region reported shelling on Wednesday, @here and elsewhere.
"""

pytestmark = [pytest.mark.network, pytest.mark.timeout(240)]


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    now = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
    assert now == saved, "the bot did not restore discord.py's endpoints"


def workdir(tmp_path: Path, routes: list[tuple[str, list[str]]], seeds: dict[str, str] | None = None) -> Path:
    """A bot folder: the repo's watchlist, a discord route, the seed (or other documents)."""
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config")
    lines = ["watchlist: config/watchlist.yaml", "seeds: [seeds]", "scan_interval: 1s", "feeds: []",
             "ops: {listen_port: 0}", "console: {listen_port: 0}"]
    lines.append("routes:")
    for channel, items in routes:
        lines += ["  - platform: discord", f'    channel: "{channel}"', f"    items: [{', '.join(items)}]"]
    lines += ["discord:", f'  admin_channel: "{ADMIN}"', f"  guild_ids: [{GUILD_ID}]"]
    (tmp_path / "config" / "newsbot.yaml").write_text("\n".join(lines) + "\n")
    (tmp_path / "seeds").mkdir()
    if seeds is None:
        shutil.copy2(SEED, tmp_path / "seeds")  # with its mtime: settled, read at once
    else:
        for name, text in seeds.items():
            (tmp_path / "seeds" / name).write_text(text)
    return tmp_path


def bot_env(fake: FakeDiscord, folder: Path) -> dict[str, str]:
    return {**fake.env(), "NEWSBOT_DATABASE_URL": f"sqlite:///{folder}/newsbot.db"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    scrub_environ(monkeypatch)
    return monkeypatch


def run_bot(
    folder: Path,
    fake: FakeDiscord,
    env: pytest.MonkeyPatch,
    scenario: Callable[[Any], Awaitable[None]],
) -> Any:
    """``newsbot run`` in this process: the CLI's ``make_bot``, then ``run_forever`` until
    the scenario is done (or fails), then the same shutdown as Ctrl-C."""
    for key, value in bot_env(fake, folder).items():
        env.setenv(key, value)
    bot = make_bot(folder / "config" / "newsbot.yaml")
    bot.delivery_tick = TICK
    failures: list[BaseException] = []

    async def drive() -> None:
        try:
            await asyncio.wait_for(scenario(bot), timeout=150)
        except BaseException as exc:
            failures.append(exc)
        finally:
            bot.request_stop()

    async def main() -> None:
        driver = asyncio.get_running_loop().create_task(drive())
        await bot.run_forever()
        await asyncio.wait({driver}, timeout=5)

    asyncio.run(main())
    if failures:
        raise failures[0]
    fake.wait_for(lambda: fake.connected == 0, 10)
    return bot


def embed_of(post: Any) -> dict[str, Any]:
    (embed,) = post.body["embeds"]
    result: dict[str, Any] = embed
    return result


def test_the_seed_alert_arrives_as_an_embed_in_the_routed_channel(
    tmp_path: Path, fake: FakeDiscord, clean_env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["north-korea"])])

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ALERTS), 90)
        await fake.until(lambda: bot.store.outbox.delivery_counts() == {"sent": 1}, 15)

    bot = run_bot(folder, fake, clean_env, scenario)
    (post,) = fake.posts(ALERTS)
    embed = embed_of(post)
    assert embed["title"].startswith(SEED_TITLE)
    assert "North Korea" in embed["author"]["name"]
    speakers = [f["name"] for f in embed["fields"]]
    assert "Choe Son Hui" in speakers and "Antony Blinken" in speakers
    assert post.body["allowed_mentions"] == {"parse": []}
    assert post.body["enforce_nonce"] is True and len(post.body["nonce"]) <= 25
    assert not fake.posts(ADMIN)
    assert bot.store.outbox.delivery_counts() == {"sent": 1}


def test_a_rate_limited_post_arrives_after_retry_after(
    tmp_path: Path, fake: FakeDiscord, clean_env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["all"])])
    fake.rate_limit(rf"/channels/{ALERTS}/messages", retry_after=1.5)

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ALERTS), 90)

    run_bot(folder, fake, clean_env, scenario)
    limited, delivered = fake.received("POST", rf"/channels/{ALERTS}/messages")
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 1.5 * 0.95
    assert embed_of(delivered)["title"].startswith(SEED_TITLE)


def test_subscribe_kursk_then_an_alert_arrives_there_and_brief_lists_it(
    tmp_path: Path, fake: FakeDiscord, clean_env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["north-korea"])])
    answers: dict[str, Any] = {}

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ALERTS), 90)  # the seed, routed by config
        interaction, _ = fake.interact("subscribe", {"item": "kursk"}, channel=DESK)
        answers["subscribe"] = await fake.until(lambda: fake.callbacks(interaction), 15)
        (folder / "seeds" / "kursk.md").write_text(KURSK_DOC)
        await fake.until(lambda: fake.posts(DESK), 60)
        interaction, token = fake.interact("brief", {"item": "kursk"}, channel=DESK)
        answers["brief"] = await fake.until(lambda: fake.followups(token), 15)
        answers["deferred"] = fake.callbacks(interaction)

    run_bot(folder, fake, clean_env, scenario)
    (reply,) = answers["subscribe"]
    assert reply.body["data"]["flags"] & EPHEMERAL
    assert reply.body["data"]["content"].startswith("Subscribed #kursk-desk to Kursk (kursk)")
    (post,) = fake.posts(DESK)
    assert embed_of(post)["title"] == "Counter-attack reported near Kursk"
    assert post.body["allowed_mentions"] == {"parse": []}
    # The configured route is for north-korea only: the Kursk story did not go there.
    assert [embed_of(p)["title"][:20] for p in fake.posts(ALERTS)] == [SEED_TITLE[:20]]
    (deferred,) = answers["deferred"]
    assert deferred.body["type"] == 5 and deferred.body["data"]["flags"] & EPHEMERAL
    (followup,) = answers["brief"]
    brief = embed_of(followup)
    assert brief["title"].startswith("Brief: Kursk") and "2 alerts" in brief["title"]
    assert "Counter" in brief["description"] and "La Corée du Nord" in brief["description"]
    assert followup.body["flags"] & EPHEMERAL


def test_a_title_with_everyone_is_posted_with_mentions_disabled(
    tmp_path: Path, fake: FakeDiscord, clean_env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["kursk"])], seeds={"everyone.md": EVERYONE_DOC})

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ALERTS), 90)

    run_bot(folder, fake, clean_env, scenario)
    (post,) = fake.posts(ALERTS)
    assert post.body["allowed_mentions"] == {"parse": []}
    embed = embed_of(post)
    assert embed["title"].startswith("@\u200beveryone read this")
    assert "<@\u200b&123456789012345678>" in embed["title"]
    assert "@\u200bhere" in embed["description"]
    for text in (embed["title"], embed["description"], post.body["content"]):
        assert "@everyone" not in text and "@here" not in text and "<@&" not in text


def test_an_unknown_channel_fails_once_and_the_admins_are_told(
    tmp_path: Path, fake: FakeDiscord, clean_env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(GONE, ["north-korea"])])

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ADMIN), 90)
        # Marked failed for good: nothing in the outbox may try it again.
        await fake.until(lambda: bot.store.outbox.delivery_counts() == {"failed": 1}, 60)

    bot = run_bot(folder, fake, clean_env, scenario)
    attempts = fake.received("POST", rf"/channels/{GONE}/messages")
    assert [a.status for a in attempts] == [404]
    (notice,) = fake.posts(ADMIN)
    assert "Unknown Channel" in notice.body["content"] and GONE in notice.body["content"]
    assert "La Corée du Nord" in notice.body["content"]
    assert notice.body["allowed_mentions"] == {"parse": []}
    assert bot.store.outbox.delivery_counts() == {"failed": 1}


@pytest.mark.slow
def test_newsbot_run_as_a_process_posts_answers_and_stops_cleanly(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["all"])])
    env = clean_environ(**bot_env(fake, folder))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--config", "config/newsbot.yaml"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        (post,) = fake.wait_for(lambda: fake.posts(ALERTS), 120)
        interaction, _ = fake.interact("watchlist")
        (reply,) = fake.wait_for(lambda: fake.callbacks(interaction), 20)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert embed_of(post)["title"].startswith(SEED_TITLE)
    assert post.body["allowed_mentions"] == {"parse": []}
    assert "kursk: Kursk" in reply.body["data"]["content"]
    assert "discord: connected as newsbot" in out
    fake.wait_for(lambda: fake.connected == 0, 60)  # the gateway was closed, not abandoned
    assert "fake-bot-token" not in out  # the secret is never logged
