"""The file watcher: an edit is noticed however the editor saves, other files are not."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.settings.watcher import ConfigWatcher

pytestmark = pytest.mark.timeout(60)


async def until(check: object, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_an_edit_saved_by_rename_in_place_or_by_another_file_name(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    watchlist, settings = config / "watchlist.yaml", config / "newsbot.yaml"
    watchlist.write_text("items: []\n")
    settings.write_text("feeds: []\n")
    seen: list[set[Path]] = []

    async def scenario() -> None:
        # vim / most editors: write a temporary file, rename it over the original.
        tmp = config / ".watchlist.yaml.swp"
        tmp.write_text("items: [1]\n")
        os.replace(tmp, watchlist)
        await until(lambda: seen)
        # nano / echo >>: the same inode, written in place.
        with settings.open("a") as f:
            f.write("# edited\n")
        await until(lambda: len(seen) >= 2)
        # Neighbours in the folder are not ours. Events come in order: once an edit made
        # after the neighbour's is reported, the neighbour's would have been too.
        (config / "slack-manifest.yaml").write_text("x: 1\n")
        watchlist.write_text("items: [2]\n")
        await until(lambda: len(seen) >= 3)

    async def main() -> None:
        async def on_change(changed: set[Path]) -> None:
            seen.append(changed)

        watcher = ConfigWatcher([watchlist, settings], on_change, step_ms=100)
        task = asyncio.create_task(watcher.run())
        await asyncio.wait_for(watcher.ready.wait(), 10)
        await scenario()
        watcher.stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert seen == [{watchlist}, {settings}, {watchlist}]


def test_a_failing_callback_does_not_end_the_watch_and_stop_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text("a\n")
    calls: list[int] = []

    async def main() -> None:
        async def on_change(changed: set[Path]) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("a bug in a reload")

        watcher = ConfigWatcher([path], on_change, step_ms=100)
        task = asyncio.create_task(watcher.run())
        await asyncio.wait_for(watcher.ready.wait(), 10)
        path.write_text("b\n")
        await until(lambda: calls)
        path.write_text("c\n")
        await until(lambda: len(calls) >= 2)
        watcher.stop()
        await asyncio.wait_for(task, 30)

    asyncio.run(main())


def test_a_missing_folder_is_reported_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async def on_change(changed: set[Path]) -> None:
            raise AssertionError("nothing to see")

        await asyncio.wait_for(ConfigWatcher([tmp_path / "nope" / "x.yaml"], on_change).run(), 30)

    asyncio.run(main())
    assert "no such folder" in caplog.text
