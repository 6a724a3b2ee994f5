"""``/watch add`` and ``/watch remove`` as Discord sends them (INTERACTION_CREATE with a
subcommand), against a local Discord, through ``newsbot run``'s own wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.chat.discord.test_run import run_bot, workdir
from tests.fakes.discord import ADMIN, ALERTS, EPHEMERAL, USER_ID, FakeDiscord
from tests.watching import watcher_saw

pytestmark = [pytest.mark.network, pytest.mark.timeout(240)]

STRANGER = "1100000000000000099"


def test_watch_add_and_remove_from_discord(
    tmp_path: Path, fake: FakeDiscord, env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["all"])])
    with (folder / "config" / "newsbot.yaml").open("a") as f:
        f.write(f"admins: [discord:{USER_ID}]\n")
    watchlist = folder / "config" / "watchlist.yaml"
    original = watchlist.read_text(encoding="utf-8")
    seen: dict[str, Any] = {}

    async def ask(bot: Any, sub: str, options: dict[str, Any], user: str = USER_ID) -> str:
        _, token = fake.interact("watch", options, subcommand=sub, user=user)
        (reply,) = await fake.until(lambda: fake.followups(token), 20)
        assert reply.body["flags"] & EPHEMERAL
        return str(reply.body["content"])

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.posts(ALERTS), 90)  # running, commands synced
        await fake.until(lambda: bot.live.watcher and bot.live.watcher.ready.is_set(), 30)
        seen["stranger"] = await ask(bot, "remove", {"id": "kursk"}, user=STRANGER)
        seen["file after stranger"] = watchlist.read_text(encoding="utf-8")
        seen["add"] = await ask(
            bot, "add", {"id": "valdora", "name": "Valdora harbour", "aliases": "Valdora, fr:port de Valdora"}
        )
        seen["notice"] = await fake.until(lambda: fake.posts(ADMIN), 20)
        seen["remove"] = await ask(bot, "remove", {"id": "valdora"})
        await fake.until(lambda: len(fake.posts(ADMIN)) >= 2, 20)
        # The watcher saw both writes: no second notice.
        await fake.until(lambda: watcher_saw(bot.live.watcher, watchlist), 30)

    bot = run_bot(folder, fake, env, scenario)
    assert "only the bot's admins can change the watchlist" in seen["stranger"]
    assert seen["file after stranger"] == original
    assert seen["add"].startswith("Added Valdora harbour (valdora) to the watchlist")
    (added, removed) = fake.posts(ADMIN)
    assert f"watchlist updated by discord:{USER_ID} (/watch)" in added.body["content"]
    assert "added valdora (Valdora harbour)" in added.body["content"]
    assert added.body["allowed_mentions"] == {"parse": []}
    assert "removed valdora (Valdora harbour)" in removed.body["content"]
    assert seen["remove"] == "Removed Valdora harbour (valdora) from the watchlist."
    assert watchlist.read_text(encoding="utf-8") == original
    assert bot.watchlist.get("valdora") is None
    sync = fake.commands["watch"]
    assert [(o["name"], o["type"]) for o in sync["options"]] == [("add", 1), ("remove", 1)]
