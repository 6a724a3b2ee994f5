"""``newsbot <command>`` run in this process by typer's ``CliRunner``: the CLI's own code
path (argument parsing, exit codes, stdout and stderr apart) without paying a Python
start-up and the bot's imports per call (about 5 s each on a busy 2-core machine).

Kept as real processes elsewhere: what needs one (signals, ``newsbot run``'s exit in a
process of its own, a cold start, a command that changes module state for its run).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.botproc import ROOT, clean_environ, scrubbed


@dataclass
class Ran:
    """What a run left, named as in ``subprocess.CompletedProcess`` so tests read alike."""

    returncode: int
    stdout: str
    stderr: str


def newsbot(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Ran:
    """Run one command in ``cwd`` with the environment a test subprocess would get
    (:func:`tests.botproc.clean_environ`): the developer's chat credentials, newsbot
    settings and proxies unset, ``env`` added. A crash (an exception the CLI did not turn
    into an exit code) is raised here, not hidden in the result."""
    from typer.testing import CliRunner

    from bot.cli.main import app

    environ: dict[str, str | None] = {k: None for k in os.environ if scrubbed(k)}
    environ.update({"COLUMNS": "120", **(env or {})})
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args), env=environ, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def newsbot_process(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The same command as a process of its own, for what only a process shows: its exit
    code as a supervisor sees it, or a command that sets module state for its run."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=cwd,
        env=clean_environ(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
