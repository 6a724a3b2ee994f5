"""The locks: every install takes the exact versions of requirements*.lock, hashes checked.

pyproject.toml says what the bot accepts (``>=``); the locks say what it is installed with,
so that two installs a month apart are the same program. These checks are static: a lock
out of step with pyproject.toml, a pin without a hash, or a Makefile that installs without
the lock fails here. ``test_dockerfile.py`` holds the image to the same and checks what an
install from the Dockerfile's steps actually contains.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)\s*(;(?P<marker>[^\\]*))?\\?$")


@dataclass(frozen=True)
class Pin:
    name: str
    """Canonical (``discord-py``, ``pyyaml``)."""
    version: Version
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies(self, env: dict[str, str] | None = None) -> bool:
        return self.marker is None or self.marker.evaluate(env)


def lock_pins(path: Path) -> list[Pin]:
    """Every ``name==version [; marker]`` line of a lock with the ``--hash`` lines under it."""
    pins: list[Pin] = []
    current: dict[str, object] | None = None
    hashes: list[str] = []

    def close() -> None:
        if current is not None:
            pins.append(Pin(hashes=tuple(hashes), **current))  # type: ignore[arg-type]

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            assert current is not None, f"{path.name}: a hash under no pin: {line}"
            hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
            continue
        m = _PIN.match(line)
        assert m, f"{path.name}: not an exact pin: {line!r}"
        close()
        marker = (m.group("marker") or "").strip()
        current = {
            "name": canonicalize_name(m.group("name")),
            "version": Version(m.group("version")),
            "marker": Marker(marker) if marker else None,
        }
        hashes = []
    close()
    return pins


def project() -> dict[str, list[Requirement]]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        "runtime": [Requirement(r) for r in meta["dependencies"]],
        "dev": [Requirement(r) for r in meta["optional-dependencies"]["dev"]],
    }


def pinned(pins: list[Pin]) -> dict[str, list[Pin]]:
    out: dict[str, list[Pin]] = {}
    for pin in pins:
        out.setdefault(pin.name, []).append(pin)
    return out


def assert_locks(requirements: list[Requirement], pins: list[Pin], lock: str) -> None:
    by_name = pinned(pins)
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        found = [p for p in by_name.get(name, []) if p.applies()]
        assert found, f"{lock}: {req} is not pinned; run `make lock`"
        for pin in found:
            assert req.specifier.contains(pin.version, prereleases=True), (
                f"{lock}: {name}=={pin.version} does not satisfy pyproject's {req}; run `make lock`"
            )


def test_every_pin_is_exact_and_hashed() -> None:
    for path in (LOCK, DEV_LOCK):
        pins = lock_pins(path)
        assert len(pins) > 20, f"{path.name} pins only {len(pins)} packages"
        for pin in pins:
            assert pin.hashes, f"{path.name}: {pin.name} has no --hash"
            assert all(h.startswith("sha256:") for h in pin.hashes), pin


def test_the_locks_pin_every_dependency_pyproject_names() -> None:
    reqs = project()
    assert_locks(reqs["runtime"], lock_pins(LOCK), LOCK.name)
    assert_locks(reqs["runtime"] + reqs["dev"], lock_pins(DEV_LOCK), DEV_LOCK.name)


def test_the_dev_lock_installs_the_runtime_locks_versions() -> None:
    """`make test` must test what `make run` and the image run."""
    dev = {(p.name, p.marker and str(p.marker)): p.version for p in lock_pins(DEV_LOCK)}
    for pin in lock_pins(LOCK):
        key = (pin.name, pin.marker and str(pin.marker))
        assert dev.get(key) == pin.version, (
            f"{pin.name}: {pin.version} in {LOCK.name}, {dev.get(key)} in {DEV_LOCK.name}"
        )


def test_the_locks_do_not_pin_the_project_itself() -> None:
    for path in (LOCK, DEV_LOCK):
        assert "newsbot" not in pinned(lock_pins(path)), f"{path.name} pins newsbot"


def make_recipe(target: str) -> list[list[str]]:
    """The commands of a Makefile rule, variables expanded (the Makefile's own ``:=``)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    variables = dict(re.findall(r"^([A-Z_]+)\s*:?=\s*(.*)$", text, flags=re.M))

    def expand(s: str) -> str:
        for _ in range(5):
            s = re.sub(r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), m.group(0)), s)
        return s

    lines = text.splitlines()
    out: list[list[str]] = []
    for i, line in enumerate(lines):
        head = expand(line.split(":", 1)[0]) if ":" in line and not line.startswith("\t") else ""
        if head.strip() != target:
            continue
        for body in lines[i + 1 :]:
            if not body.startswith("\t"):
                break
            out.append(shlex.split(expand(body.strip().lstrip("@"))))
    assert out, f"the Makefile has no rule for {target}"
    return out


def pip_installs(commands: list[list[str]]) -> list[list[str]]:
    return [c[c.index("install") + 1 :] for c in commands if "pip" in " ".join(c) and "install" in c]


def assert_installs_from(installs: list[list[str]], lock: str) -> None:
    assert installs, "no pip install"
    first = installs[0]
    assert "--require-hashes" in first and first[first.index("-r") + 1] == lock, (
        f"the first install is {first}, not `pip install --require-hashes -r {lock}`"
    )
    for rest in installs[1:]:
        assert "--no-deps" in rest, f"`pip install {' '.join(rest)}` resolves versions anew"


def test_make_installs_the_locks_and_the_project_without_dependencies() -> None:
    assert_installs_from(pip_installs(make_recipe(".venv/.installed-run")), LOCK.name)
    assert_installs_from(pip_installs(make_recipe(".venv/.installed-dev")), DEV_LOCK.name)


def test_make_lock_writes_both_locks_with_hashes() -> None:
    commands = make_recipe("lock")
    written = [c[c.index("--output-file") + 1] for c in commands if "--output-file" in c]
    assert written == [LOCK.name, DEV_LOCK.name]
    assert all("--generate-hashes" in c for c in commands if "--output-file" in c)
