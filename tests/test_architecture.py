"""The shape of ``bot/``, read from the source: each part imports only what ARCHITECTURE.md
allows, no import cycles, no private names imported
from another module, the chat platforms' SDKs only under ``bot/chat/``.

Every module is parsed with ``ast`` (nothing is imported) and every import statement in it
counts: at the top, late inside a function (that only hides a cycle until the function
runs) and under ``if TYPE_CHECKING:`` too. A type-only import never runs, but it is still
one part knowing another: ``ops`` annotating with ``NewsBot`` is the hub the reshape removes,
and the remedy is a narrow ``Protocol`` where it is used, not an import the checker skips.
The failure message marks such edges ``(type only)``.

``from bot.x import y`` is an edge to the module ``bot.x.y`` when ``y`` is one, else to
``bot.x`` (for a package, its ``__init__``). The parent package that Python initialises first
is not an edge: ``bot/nlp/__init__.py`` re-exporting its submodules is not a cycle with them.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot"

PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "discord")
"""Imported only under bot/chat/. aiohttp is not one: the ops and WebSub servers use it too."""
CHAT = "bot.chat"


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module."""
    target: str
    """The module imported (``bot.x.y`` for ``from bot.x import y`` when ``y`` is a module)."""
    names: tuple[str, ...]
    """The names taken from ``target`` (empty for ``import x`` or a submodule)."""
    line: int
    type_only: bool

    @property
    def where(self) -> str:
        return f"{self.module.replace('.', '/')}.py:{self.line}"


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it sits under ``if TYPE_CHECKING:``."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, type_only = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, type_only) for child in node.orelse)
            continue
        stack.extend((child, type_only) for child in ast.iter_child_nodes(node))


def imports(known: dict[str, Path]) -> list[Import]:
    out: list[Import] = []
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, type_only in _statements(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    out.append(Import(module, alias.name, (), node.lineno, type_only))
                continue
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parent = parts if is_package else parts[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names: list[str] = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    out.append(Import(module, sub, (), node.lineno, type_only))
                else:
                    names.append(alias.name)
            if names or not node.names:
                out.append(Import(module, base, tuple(names), node.lineno, type_only))
    return out


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """The shortest cycle through the component's first module, as a path back to it."""
    start, members = component[0], set(component)
    came: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [*reversed(path), start]
            if w not in came:
                came[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle in {component}")


STILL_TO_BREAK: set[frozenset[str]] = set()
"""Cycles allowed while a split removing them is under way: none now (issue 15's Store and
NewsBot splits have landed)."""


def describe_cycles() -> list[str]:
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    first: dict[tuple[str, str], Import] = {}
    for i in imports(known):
        if i.target in known and i.target != i.module:
            graph[i.module].add(i.target)
            seen = first.get((i.module, i.target))
            if seen is None or (seen.type_only and not i.type_only):  # a run-time edge first
                first[i.module, i.target] = i
    out = []
    for component in strongly_connected(graph):
        if frozenset(component) in STILL_TO_BREAK:
            continue
        path = a_cycle(graph, component)
        steps = "; ".join(
            f"{first[a, b].where} imports {b}{' (type only)' if first[a, b].type_only else ''}"
            for a, b in zip(path, path[1:], strict=False)
        )
        out.append(f"{' -> '.join(path)} ({len(component)} modules: {', '.join(component)}): {steps}")
    return out


def test_no_import_cycles_inside_bot() -> None:
    cycles = describe_cycles()
    assert not cycles, "import cycles in bot/ (late and type-only imports count):\n" + "\n".join(cycles)


def test_no_module_imports_another_modules_private_names() -> None:
    """A name another module needs is made public where it lives."""
    known = modules()
    found = []
    for i in imports(known):
        if i.target == i.module or not (i.target == "bot" or i.target.startswith("bot.")):
            continue
        private = [n for n in i.names if n.startswith("_") and not n.startswith("__")]
        private += [p for p in i.target.split(".") if p.startswith("_") and not p.startswith("__")]
        if private:
            found.append(f"{i.where}: {', '.join(private)} from {i.target}")
    assert not found, "private names imported across modules:\n" + "\n".join(found)


def test_platform_sdks_are_imported_only_under_bot_chat() -> None:
    found = [
        f"{i.where}: {i.target}"
        for i in imports(modules())
        if i.target.split(".")[0] in PLATFORM_SDKS
        and not (i.module == CHAT or i.module.startswith(CHAT + "."))
    ]
    assert not found, "a chat platform's SDK outside bot/chat/:\n" + "\n".join(found)


def test_the_checks_see_late_relative_and_submodule_imports() -> None:
    """The parser itself, on the shapes it must not miss."""
    known = modules()
    got = {(i.module, i.target, i.names, i.type_only) for i in imports(known)}
    # ``from bot.cli import run`` names the submodule bot.cli.run, not the package
    assert ("bot.cli.main", "bot.cli.run", (), False) in got
    # a late import inside a command function
    assert any(m == "bot.cli.match" and t == "bot.nlp" for m, t, _, _ in got)
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert a_cycle({"a": {"b"}, "b": {"c", "a"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "b", "a"]


ARCHITECTURE = ROOT / "ARCHITECTURE.md"


def part_of(module: str) -> str:
    """``bot.chat.slack.adapter`` -> ``chat``; the shared modules are parts of their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "bot"


def allowed_imports() -> dict[str, set[str]]:
    """ARCHITECTURE.md's table: each part and the parts it may import, in the table's order
    ("everything above" is every row before it)."""
    rows: list[tuple[str, str]] = []
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0] != "`package`":
            rows.append((cells[0].strip("`"), cells[2]))
    allowed: dict[str, set[str]] = {}
    for i, (part, rule) in enumerate(rows):
        earlier = {p for p, _ in rows[:i]}
        if rule.startswith("everything above"):
            allowed[part] = earlier
        elif rule.startswith("everything but"):
            allowed[part] = {p for p, _ in rows} - {part} - set(rule.split("`")[1::2])
        elif rule.startswith("everything"):
            allowed[part] = {p for p, _ in rows} - {part}
        else:
            allowed[part] = set(rule.split("`")[1::2])
    return allowed


def test_architecture_md_names_every_part_of_bot() -> None:
    parts = {part_of(m) for m in modules()} - {"bot"}
    assert parts == set(allowed_imports()), "ARCHITECTURE.md's table and bot/ differ"


def test_each_part_imports_only_what_architecture_md_allows() -> None:
    allowed = allowed_imports()
    found = []
    for i in imports(modules()):
        if not i.target.startswith("bot."):
            continue
        a, b = part_of(i.module), part_of(i.target)
        if a != b and a in allowed and b not in allowed[a]:
            found.append(f"{i.where}: {a} imports {i.target}{' (type only)' if i.type_only else ''}")
    assert not found, "imports ARCHITECTURE.md does not allow:\n" + "\n".join(found)


MODULE_LINES = 400
CLASS_LINES = 300


def test_no_module_or_class_outgrows_one_job() -> None:
    """About 400 lines a module and 300 a class (the reshape's bounds): a part that grows
    past them has taken a second job, and is split by job, as the store's, chat's and the
    runtime's were. Alembic's migrations are the schema's history, not parts, and stay out."""
    found = []
    for name, path in modules().items():
        if ".migrations." in name:
            continue
        text = path.read_text(encoding="utf-8")
        if (lines := len(text.splitlines())) > MODULE_LINES:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > CLASS_LINES:
                    found.append(f"{path.relative_to(ROOT)}: class {node.name} is {size} lines "
                                 f"(at most {CLASS_LINES})")
    assert not found, "parts that outgrew one job:\n" + "\n".join(found)
