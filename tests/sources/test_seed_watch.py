"""Seed folders are watched: a file dropped into a running bot's folder alerts at once,
not at the next periodic scan; a file still being written is read once it is finished."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.sources.files import FileSource
from tests.botproc import BotHome, BotProcess, wait_until
from tests.newsgen import generate

DOC = """Ukraine says drones struck an ammunition depot in Kursk overnight

Ukrainian drones struck an ammunition depot in Russia's Kursk region overnight, the
regional governor said on Sunday, adding that a fire had broken out and that nearby
villages were being evacuated as a precaution.
"""


def test_a_file_still_being_written_is_read_once_it_has_settled(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    source = FileSource(folder, 1_000_000)
    path = folder / "kursk.txt"
    path.write_text(DOC.split("\n\n")[0] + "\n\nUkrainian drones struck")  # half-way
    scan = source.scan(changed_before=time.time() - 1.0)
    assert scan.articles == [] and scan.settling == 1
    path.write_text(DOC)
    finished = time.time() - 5  # the writer finished a while ago
    os.utime(path, (finished, finished))
    scan = source.scan(changed_before=time.time() - 1.0)
    assert [a.title for a in scan.articles] == [DOC.splitlines()[0]]
    assert "evacuated" in scan.articles[0].text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_seed_file_dropped_into_a_running_bot_alerts_without_waiting_for_the_scan(
    tmp_path: Path,
) -> None:
    story = generate(40)[0]
    home = BotHome(tmp_path / "bot")
    home.write_config({"seeds": ["seeds"], "scan_interval": "1h", "ops": {"enabled": False}})
    bot = BotProcess(home, {})
    bot.start()
    try:
        bot.wait_running()
        wait_until(lambda: "new seed files" in bot.log() and "seeds:" in bot.log(), 120,
                   "the first scan and the folder watch", bot)
        assert home.alert_count() == 0
        home.add_seed("kursk.txt", DOC)
        home.add_seed(f"{story.index:03d}-{story.language}.md", story.markdown())
        # The next periodic scan is an hour away: only the watch can find them in time.
        wait_until(lambda: home.alert_count() >= 2, 120, "alerts for the dropped files", bot)
    finally:
        bot.stop()
    assert "Traceback" not in bot.log()
