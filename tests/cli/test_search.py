"""``newsbot search`` over a database that has the seed alert and its deliveries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.models import Target
from bot.store.repositories import open_store
from bot.store.schema import DeliveryRow
from tests.clirun import newsbot
from tests.store.test_history import seed


def stored_seed(tmp_path: Path, deliveries: dict[str, dict[str, Any]]) -> str:
    """The URL of a database holding the seed alert, its delivery rows per platform set to
    ``deliveries[platform]`` (what a post or a failure left there)."""
    url = f"sqlite:///{tmp_path}/db/newsbot.db"
    store = open_store(url)
    seed(store)
    with store.db.session.begin() as s:
        for platform, values in deliveries.items():
            s.execute(update(DeliveryRow).where(DeliveryRow.platform == platform).values(**values))
    store.close()
    return url


def test_search_finds_the_seed_alert_and_where_it_was_posted(tmp_path: Path) -> None:
    url = stored_seed(tmp_path, {
        "slack": {"status": "sent", "external_id": "1733490000.000100"},
        "discord": {"status": "failed", "last_error": "Missing Access"},
    })
    env = {"NEWSBOT_DATABASE_URL": url}
    ran = newsbot("search", "Koursk", "--item", "kursk", "--since", "7d", env=env)
    assert ran.returncode == 0, ran.stderr
    assert "La Corée du Nord aux côtés de la Russie" in ran.stdout
    assert "Koursk" in ran.stdout
    assert "slack C-news: sent (message 1733490000.000100)" in ran.stdout
    assert "discord 123: failed: Missing Access" in ran.stdout
    ran = newsbot("search", "Koursk", "--json", env=env)
    hit = json.loads(ran.stdout.splitlines()[0])
    assert hit["id"] == "alert-seed" and Target("slack", "C-news").channel in ran.stdout
    assert newsbot("search", "Lyon", env=env).stdout.startswith("no alert matches")
    refused = newsbot("search", '"', "*", env=env)
    assert refused.returncode == 1 and "nothing to search" in refused.stderr


def test_a_discord_post_is_a_link_when_the_config_names_its_one_server(tmp_path: Path) -> None:
    url = stored_seed(tmp_path, {"discord": {
        "channel": "112233445566778899", "status": "sent", "external_id": "998877665544332211",
    }})
    config = tmp_path / "newsbot.yaml"
    config.write_text("discord:\n  guild_ids: [111122223333444455]\n", encoding="utf-8")
    env = {"NEWSBOT_DATABASE_URL": url}
    link = "https://discord.com/channels/111122223333444455/112233445566778899/998877665544332211"
    ran = newsbot("search", "Koursk", "--config", str(config), env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"discord 112233445566778899: sent {link}" in ran.stdout
    assert "slack C-news: pending" in ran.stdout  # no workspace URL in the config: no link
    ran = newsbot("search", "Koursk", "--json", "--config", str(config), env=env)
    deliveries = json.loads(ran.stdout.splitlines()[0])["deliveries"]
    assert {d["platform"]: d["link"] for d in deliveries} == {"discord": link, "slack": None}
    # Without the server in the config, the message id as before.
    config.write_text("discord:\n  guild_ids: []\n", encoding="utf-8")
    ran = newsbot("search", "Koursk", "--config", str(config), env=env)
    assert "sent (message 998877665544332211)" in ran.stdout
