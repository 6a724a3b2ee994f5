"""The Dockerfile's install steps, replayed in a fresh virtual environment.

No Docker engine runs here, so this is how we know the image would build and start: the
same COPY and `pip install` lines, in the same order, then the installed `newsbot --help`,
and every package the install holds at exactly the version ``requirements.lock`` pins.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import venv
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from bot.store.migrate import head
from tests.deploy.test_lock import LOCK, assert_installs_from, lock_pins

ROOT = Path(__file__).resolve().parents[2]
IMAGE_PIP = "24.0"
"""The pip of a python:3.11-slim image (24.0, or newer in images built since)."""


def dockerfile_steps() -> list[tuple[str, str]]:
    steps: list[tuple[str, str]] = []
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        steps.append((instr.upper(), rest.strip()))
    return steps


def test_dockerfile_runs_newsbot_and_keeps_config_and_data_as_volumes() -> None:
    steps = dockerfile_steps()
    assert ("CMD", '["newsbot", "run"]') in steps
    volumes = [rest for instr, rest in steps if instr == "VOLUME"]
    assert volumes and "/app/config" in volumes[0] and "/app/data" in volumes[0]


def test_the_image_installs_the_lock_before_the_project_without_dependencies() -> None:
    """An image built with a bare `pip install .` would take whatever is newest that day."""
    steps = dockerfile_steps()
    installs = [
        shlex.split(rest.split("pip install", 1)[1]) for instr, rest in steps
        if instr == "RUN" and "pip install" in rest
    ]
    assert_installs_from(installs, LOCK.name)
    copied = [i for i, (instr, rest) in enumerate(steps) if instr == "COPY" and LOCK.name in rest]
    lock_install = next(
        i for i, (instr, rest) in enumerate(steps) if instr == "RUN" and LOCK.name in rest
    )
    assert copied and copied[0] < lock_install, f"the Dockerfile does not COPY {LOCK.name} first"


@pytest.mark.slow
def test_dockerfile_install_steps_give_a_working_newsbot(tmp_path: Path) -> None:
    app = tmp_path / "app"
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = env_dir / "bin"
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env_dir),
    }
    env.pop("PYTHONPATH", None)
    # The image's pip is python:3.11-slim's (24.0), not the pip this host's Python
    # bundles (23.2.1 for 3.11.7). Pips before 23.3 refuse a hash-checked lock in which one
    # package asks for another with an extra (justext -> lxml[html_clean]) as soon as the
    # index holds a newer release than the pin, so the replay uses a pip of the image's age.
    subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", f"pip=={IMAGE_PIP}"],
        env=env, check=True, timeout=300,
    )
    workdir = app
    ran_install = False
    for instr, rest in dockerfile_steps():
        if instr == "ENV":  # as the image's later steps see it
            env.update(pair.split("=", 1) for pair in shlex.split(rest) if "=" in pair)
        elif instr == "WORKDIR":
            workdir = app / rest.lstrip("/").removeprefix("app").lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instr == "COPY":
            *sources, dest = shlex.split(rest)
            target = workdir / dest
            for src in sources:
                s = ROOT / src
                if s.is_dir():
                    shutil.copytree(
                        s, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(s, target / s.name)
        elif instr == "RUN" and "pip install" in rest:
            # The image skips pip's cache to stay small; here the cache only saves time.
            # pip byte-compiles every file it installs: a start-up saving in the image,
            # CPU-bound and much of this replay's time on a busy machine, and never why an
            # install fails (pip ignores compile errors). What is checked here is what gets
            # installed and that it starts. (The flag, not PIP_NO_COMPILE=1: pip reads that
            # as "compile".)
            cmd = rest.replace("--no-cache-dir", "").replace(
                "pip install", "pip install --no-compile", 1
            )
            subprocess.run(cmd, shell=True, cwd=workdir, env=env, check=True, timeout=900)
            ran_install = True
    assert ran_install, "the Dockerfile installs nothing with pip"
    newsbot = bindir / "newsbot"
    assert newsbot.exists(), "the package does not install a `newsbot` console script"
    out = subprocess.run(
        [str(newsbot), "--help"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for command in ("run", "scan", "match", "brief", "watchlist"):
        assert command in out.stdout
    # The installed package must not be importing from the source checkout.
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import bot; print(bot.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(env_dir) in where.stdout, where.stdout + where.stderr
    # Exactly the lock: each pin that applies here at its version, and nothing else.
    listed = subprocess.run(
        [str(bindir / "python"), "-c",
         "import importlib.metadata as m; "
         "print('\\n'.join(f'{d.name}=={d.version}' for d in m.distributions()))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    installed = {
        canonicalize_name(name): version
        for name, _, version in (line.partition("==") for line in listed.stdout.split())
    }
    installed.pop("newsbot")
    installed.pop("pip")
    expected = {pin.name: str(pin.version) for pin in lock_pins(ROOT / LOCK.name) if pin.applies()}
    assert installed == expected, (
        f"not the lock: {sorted(set(installed.items()) ^ set(expected.items()))}"
    )
    # The migrations ship in the package: the installed newsbot creates its schema.
    db = subprocess.run(
        [str(newsbot), "db", "upgrade", "--config", str(tmp_path / "absent.yaml")],
        cwd=tmp_path,
        env={**env, "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/data/newsbot.db"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert db.stdout == f"database: schema created ({head()})\n", db.stdout + db.stderr
    template = subprocess.run(
        [str(bindir / "python"), "-c",
         "import bot.store.migrate as m; print((m.MIGRATIONS / 'script.py.mako').is_file())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert template.stdout.strip() == "True", template.stderr
