"""docker-compose.yml, checked without a Docker engine: what would break a deployment.

No engine runs here, so `docker compose config` cannot. These tests read the file with
PyYAML (merge keys resolved, as compose does), fill in ``${VAR}`` the way compose does from
``.env``, and hold the result against the Dockerfile, the bot's own settings loader and the
environment variables the bot reads. Each check is a mistake that would show only on the
day someone runs it: a URL to the wrong host, a token not passed, a watchlist /watch
cannot write, a variable nobody is told to set.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.chat import DISCORD_ENV, SLACK_ENV
from bot.cli.common import DEFAULT_CONFIG
from bot.runtime.logs import SECRET_ENV
from bot.runtime.shutdown import SHUTDOWN_BUDGET
from bot.settings.model import load_settings
from tests.deploy.test_dockerfile import dockerfile_steps

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt},
# $NAME; "$$" is a literal dollar sign.
_VAR = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class Unset(Exception):
    """``${NAME:?message}`` with NAME unset: compose refuses to start, saying ``message``."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` as compose fills it in from ``env`` (the project's .env)."""

    def one(m: re.Match[str]) -> str:
        name = m.group("name") or m.group("bare")
        op, arg = m.group("op") or "", m.group("arg") or ""
        value = env.get(name)
        empty = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if empty else str(value)
        if op.endswith("?"):
            if empty:
                raise Unset(f"{name}: {arg}")
            return str(value)
        if op.endswith("+"):
            return "" if empty else arg
        return value or ""

    parts = text.split("$$")
    return "$".join(_VAR.sub(one, part) for part in parts)


def variables(text: str) -> set[str]:
    """The variable names ``text`` refers to."""
    return {
        m.group("name") or m.group("bare") for part in text.split("$$") for m in _VAR.finditer(part)
    }


def walk_strings(node: Any) -> list[str]:
    """Every string value in the file; compose interpolates values, never comments."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping):
        return [s for v in node.values() for s in walk_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in walk_strings(v)]
    return []


def render(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, Mapping):
        return {k: render(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [render(v, env) for v in node]
    return node


def raw() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def markers() -> dict[str, str]:
    """Each variable set to a value of its own, so a value shows which variable it came from."""
    return {name: f"v_{name.lower()}_v" for s in walk_strings(raw()) for name in variables(s)}


def env_example() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: {line!r} is not NAME=value"
            out[name.strip()] = value.strip()
    return out


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment``, in either of compose's two spellings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.partition("=") for item in env)
        return {k: v for k, _, v in pairs}
    return {k: "" if v is None else str(v) for k, v in env.items()}


def bot_services(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Services built from this repository's Dockerfile: the bot instances."""
    bots = {}
    for name, svc in data["services"].items():
        build = svc.get("build")
        context = build.get("context") if isinstance(build, Mapping) else build
        if context is not None and (ROOT / context).resolve() == ROOT:
            bots[name] = svc
    assert len(bots) >= 2, (
        f"expected two bot instances built from ./Dockerfile, found {sorted(bots)}"
    )
    return bots


def postgres_service(data: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    found = [
        (name, svc)
        for name, svc in data["services"].items()
        if str(svc.get("image", "")).split(":")[0] in ("postgres", "docker.io/library/postgres")
    ]
    assert len(found) == 1, f"expected one postgres service, found {[n for n, _ in found]}"
    return found[0]


@dataclass(frozen=True)
class Mount:
    source: str
    target: PurePosixPath
    read_only: bool

    @property
    def is_bind(self) -> bool:
        return self.source.startswith((".", "/", "~"))


def mounts(service: Mapping[str, Any]) -> list[Mount]:
    out = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, Mapping):
            out.append(
                Mount(
                    str(entry.get("source", "")),
                    PurePosixPath(entry["target"]),
                    bool(entry.get("read_only", False)),
                )
            )
            continue
        parts = str(entry).split(":")
        if len(parts) == 1:  # an anonymous volume: a target only
            out.append(Mount("", PurePosixPath(parts[0]), False))
            continue
        mode = parts[2].split(",") if len(parts) > 2 else []
        out.append(Mount(parts[0], PurePosixPath(parts[1]), "ro" in mode))
    return out


def host_side(container_path: PurePosixPath, service: Mapping[str, Any]) -> tuple[Path, Mount]:
    """The host path a bind mount puts at ``container_path`` (the deepest mount wins)."""
    covering = [
        m
        for m in mounts(service)
        if m.is_bind and (container_path == m.target or m.target in container_path.parents)
    ]
    assert covering, f"nothing is mounted at {container_path}"
    m = max(covering, key=lambda m: len(m.target.parts))
    return (ROOT / m.source / container_path.relative_to(m.target)).resolve(), m


def workdir() -> PurePosixPath:
    dirs = [rest for instr, rest in dockerfile_steps() if instr == "WORKDIR"]
    assert dirs, "the Dockerfile sets no WORKDIR"
    return PurePosixPath(dirs[-1])


def go_duration(text: str) -> float:
    """Seconds in a compose duration: ``20s``, ``1m30s``, ``1.5s``, ``500ms``."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", text)
    assert parts and "".join(n + u for n, u in parts) == text.strip(), f"not a duration: {text!r}"
    return sum(float(n) * units[u] for n, u in parts)


# --------------------------------------------------------------------------------------


def test_each_bot_reaches_the_postgres_service_with_its_user_password_and_database() -> None:
    data = render(raw(), markers())
    pg_name, pg = postgres_service(data)
    pg_env = environment(pg)
    user = pg_env.get("POSTGRES_USER") or "postgres"
    database = pg_env.get("POSTGRES_DB") or user
    password = pg_env.get("POSTGRES_PASSWORD")
    assert password, "the postgres service has no POSTGRES_PASSWORD (the image refuses to start)"
    host_names = {str(h) for h in (pg_name, pg.get("hostname"), pg.get("container_name")) if h}
    for name, svc in bot_services(data).items():
        raw_url = environment(svc).get("NEWSBOT_DATABASE_URL")
        assert raw_url, f"{name}: no NEWSBOT_DATABASE_URL, so it would use SQLite in its container"
        url = make_url(raw_url)
        assert url.drivername == "postgresql+psycopg", f"{name}: driver {url.drivername}"
        assert url.host in host_names, (
            f"{name}: host {url.host!r}, postgres is {sorted(host_names)}"
        )
        assert (url.port or 5432) == 5432, f"{name}: port {url.port}"
        assert url.username == user, f"{name}: user {url.username!r}, postgres creates {user!r}"
        assert url.database == database, f"{name}: database {url.database!r}, not {database!r}"
        assert url.password == password, (
            f"{name}: the URL's password comes from {url.password!r}, "
            f"the server's from {password!r}: they must be one variable"
        )


def test_bots_start_after_postgres_is_healthy_and_come_back_after_a_crash() -> None:
    data = raw()
    pg_name, pg = postgres_service(data)
    check = pg.get("healthcheck") or {}
    assert not check.get("disable"), "postgres has its healthcheck disabled"
    test = check.get("test")
    command = " ".join(test) if isinstance(test, list) else str(test or "")
    assert "pg_isready" in command, f"postgres healthcheck {command!r} does not run pg_isready"
    # Over TCP: on first start the image initialises the database with a temporary server
    # on the socket only, which a socket check calls ready just before it restarts.
    assert re.search(r"(^|\s)(-h|--host(=|\s))", command), (
        f"the healthcheck {command!r} asks the socket, which passes during initialisation"
    )
    for name, svc in bot_services(data).items():
        deps = svc.get("depends_on")
        assert isinstance(deps, Mapping) and pg_name in deps, f"{name} does not depend on {pg_name}"
        assert deps[pg_name].get("condition") == "service_healthy", (
            f"{name} starts as soon as the postgres container exists, before it accepts connections"
        )
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), (
            f"{name}: restart {svc.get('restart')!r}; a crashed instance would stay down"
        )


def test_the_instances_name_themselves_differently() -> None:
    data = render(raw(), markers())
    ids = {
        name: environment(svc).get("NEWSBOT_INSTANCE_ID", "")
        for name, svc in bot_services(data).items()
    }
    assert all(ids.values()), f"an instance without NEWSBOT_INSTANCE_ID: {ids}"
    assert len(set(ids.values())) == len(ids), f"two instances share an id (logs, leases): {ids}"


def test_docker_waits_for_the_bot_to_finish_its_shutdown() -> None:
    for name, svc in bot_services(raw()).items():
        grace = svc.get("stop_grace_period")
        assert grace, f"{name}: Docker's default 10 s leaves no margin after the bot's budget"
        # The budget runs from SIGTERM to a closed store; the interpreter exits after it.
        assert go_duration(str(grace)) > SHUTDOWN_BUDGET + 1, (
            f"{name}: stop_grace_period {grace} does not outlast the {SHUTDOWN_BUDGET:.0f} s "
            "shutdown: the post in flight would be SIGKILLed"
        )


def test_every_secret_the_bot_reads_reaches_both_instances() -> None:
    names = dict.fromkeys((*SLACK_ENV, *DISCORD_ENV, *SECRET_ENV))
    for name, svc in bot_services(raw()).items():
        if svc.get("env_file"):
            continue  # every variable of the file goes in
        env = environment(svc)
        for var in names:
            assert var in env, f"{name} is not given {var}"
            assert variables(env[var]) == {var}, (
                f"{name}: {var} is {env[var]!r}; it must come from the variable of that name "
                "in .env, not be written in this file"
            )


def test_every_mounted_host_path_exists_and_every_named_volume_is_declared() -> None:
    data = raw()
    declared = set((data.get("volumes") or {}).keys())
    for name, svc in data["services"].items():
        for m in mounts(svc):
            if not m.source:
                continue
            if m.is_bind:
                assert (ROOT / m.source).exists(), (
                    f"{name} mounts {m.source}, which is not in the repo"
                )
            else:
                assert m.source in declared, (
                    f"{name} uses volume {m.source!r}, not declared under volumes:"
                )
    pg_name, pg = postgres_service(data)
    data_dir = PurePosixPath("/var/lib/postgresql/data")
    kept = [m for m in mounts(pg) if m.target == data_dir and m.source]
    assert kept, f"{pg_name} keeps its database in the container: recreating it loses everything"


def test_the_bots_find_their_config_seeds_and_watchlist_where_the_image_looks() -> None:
    data = raw()
    wd = workdir()
    settings = load_settings(ROOT / DEFAULT_CONFIG, env={})
    in_container = wd / DEFAULT_CONFIG.as_posix()
    bots = bot_services(data)
    shared: dict[str, set[Path]] = {}
    for name, svc in bots.items():
        host, _ = host_side(in_container, svc)
        assert host == (ROOT / DEFAULT_CONFIG).resolve(), (
            f"{name}: `newsbot run` in {wd} reads {in_container}, which is {host} on the host"
        )
        for folder in settings.seeds:
            rel = settings.resolve(folder).resolve().relative_to(ROOT)
            where, _ = host_side(wd / rel.as_posix(), svc)
            assert where == (ROOT / rel).resolve(), f"{name}: seeds {rel} come from {where}"
            shared.setdefault(f"seeds {rel}", set()).add(where)
        watchlist = settings.resolve(settings.watchlist).resolve().relative_to(ROOT)
        where, m = host_side(wd / watchlist.as_posix(), svc)
        assert where == (ROOT / watchlist).resolve(), f"{name}: the watchlist comes from {where}"
        # /watch writes a temporary file beside the watchlist and renames it over the old one.
        assert not m.read_only, f"{name}: {m.target} is read-only, so /watch cannot save"
        assert m.target != wd / watchlist.as_posix(), (
            f"{name}: the watchlist is mounted as a single file, which cannot be renamed over"
        )
        shared.setdefault("watchlist", set()).add(where)
    for what, paths in shared.items():
        assert len(paths) == 1, f"the instances read {what} from different places: {paths}"


def test_an_instance_that_writes_the_config_runs_as_its_owner() -> None:
    data = raw()
    wd = workdir()
    settings = load_settings(ROOT / DEFAULT_CONFIG, env={})
    watchlist = wd / settings.resolve(settings.watchlist).resolve().relative_to(ROOT).as_posix()
    for name, svc in bot_services(data).items():
        _, m = host_side(watchlist, svc)
        if m.read_only:
            continue
        # The image's own user is a system account that does not own a checkout's config/.
        user = interpolate(str(svc.get("user", "")), env_example())
        assert re.fullmatch(r"\d+(:\d+)?", user), (
            f"{name}: runs as {user or 'the image user'!r} with .env.example's values; "
            "/watch would fail with permission denied on the host's config/"
        )


def test_env_example_lists_every_variable_the_compose_file_uses() -> None:
    used = {name for s in walk_strings(raw()) for name in variables(s)}
    listed = set(env_example())
    assert used - listed == set(), f".env.example does not mention {sorted(used - listed)}"


def test_the_env_file_with_the_secrets_stays_out_of_git() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, timeout=30
    )
    assert out.returncode == 0, ".env (passwords, tokens) is not in .gitignore"


def test_the_image_can_load_the_postgresql_driver() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    psycopg = [d for d in deps if re.match(r"psycopg(\[|[<>=!~ ]|$)", d)]
    if not psycopg:
        pytest.skip("psycopg is not a dependency yet: the image cannot reach PostgreSQL")
    # python:3.11-slim has no libpq: plain psycopg fails at import ("no pq wrapper available").
    bundled = any(re.search(r"\[[^]]*\bbinary\b", d) for d in psycopg)
    system = any(instr == "RUN" and "libpq5" in rest for instr, rest in dockerfile_steps())
    assert bundled or system, (
        f"{psycopg[0]} needs libpq, which the slim image lacks: use psycopg[binary] "
        "or install libpq5 in the Dockerfile"
    )


def test_the_translator_is_optional_and_loads_only_the_watchlists_languages() -> None:
    """``docker compose up`` starts no LibreTranslate (a profile); with the profile it
    loads the watchlist's languages and no other (each costs memory), plus English."""
    from bot.nlp.watchlist import load_watchlist

    data = raw()
    svc = data["services"]["libretranslate"]
    assert svc["profiles"] == ["translate"]
    loaded = set(environment(svc)["LT_LOAD_ONLY"].split(","))
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    wanted = {lang for item in watchlist.items for lang in item.aliases if lang != "any"}
    assert loaded == wanted | {"en"}
    assert "libretranslate" not in bot_services(data)
