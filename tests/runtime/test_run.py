"""`newsbot run` as a user starts it: a real process, stopped and started again."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.botproc import clean_environ, outbox_settled, wait_until

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"


class Bot:
    """A `newsbot run` subprocess whose merged output is collected line by line."""

    def __init__(self, workdir: Path) -> None:
        env = clean_environ(NEWSBOT_DATABASE_URL=f"sqlite:///{workdir}/data/newsbot.db")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run", "--config", "config/newsbot.yaml"],
            cwd=workdir,
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

    def wait_for(self, text: str, timeout: float = 90) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return True
            if self.proc.poll() is not None:
                return text in self.output
            time.sleep(0.2)
        return False

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        return self.proc.returncode


@pytest.mark.slow
def test_run_alerts_the_seed_keeps_running_and_never_repeats(tmp_path: Path, closed_port: int) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds")
    # The shipped config, with its outlets swapped for a feed nobody answers on loopback:
    # the bot must report it and carry on, as it does for real feeds without internet.
    dead = f"http://127.0.0.1:{closed_port}/rss"  # held, never listening: refuses
    cfg = tmp_path / "config" / "newsbot.yaml"
    text = cfg.read_text()
    start, end = text.index("feeds:\n"), text.index("# Default deliveries")
    cfg.write_text(
        text[:start] + f"feeds:\n  - url: {dead}\n    name: Dead Feed\n\n" + text[end:]
        + "\nops: {listen_port: 0}\nconsole: {listen_port: 0}\n"
    )
    bot = Bot(tmp_path)
    try:
        assert bot.wait_for("Antony Blinken"), bot.output
        assert bot.wait_for("seeds: 1 document read, 1 new, 1 alert"), bot.output
        # The refused feed has been handled (logged, retry scheduled): still running.
        assert bot.wait_for("Dead Feed"), bot.output
        assert bot.wait_for("retrying in"), bot.output
        assert bot.proc.poll() is None, "the bot exited instead of running on"
    finally:
        code = bot.stop()
    out = bot.output
    assert code == 0, out
    assert out.count("La Corée du Nord sera aux côtés de la Russie") == 1
    assert len([ln for ln in out.splitlines() if "Dead Feed" in ln and "retrying" in ln]) == 1
    for text in ("North Korea", "Kursk", "Arms transfers", "Choe Son Hui"):
        assert text in out

    again = Bot(tmp_path)
    try:
        assert again.wait_for("seeds: 1 document read, 0 new, 0 alerts"), again.output
        # Past the point a repeat would be queued (the scan, and the start's requeue of
        # what was in flight): an outbox with nothing open posts nothing more.
        wait_until(lambda: outbox_settled(tmp_path / "data" / "newsbot.db"), 60,
                   "an outbox with nothing left to post")
    finally:
        again.stop()
    assert "La Corée du Nord sera aux côtés" not in again.output
