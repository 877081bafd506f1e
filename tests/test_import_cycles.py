"""No import cycles anywhere in the code, counting imports inside functions too.

An import moved into a function to dodge a cycle still ties the two modules together;
this walks every import statement (top level, functions, TYPE_CHECKING blocks) of the
application's code, resolves it to a module of the tree, and looks for strongly
connected components of the module graph. grimp cannot read the top-level scripts
(``scheduler.py``, ``app.py``), hence a small walk of our own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "core",
    "dashboards",
    "ui",
    "app_pages",
    "data",
    "bench",
    "scheduler.py",
    "app.py",
    "page_registry.py",
)


def source_files() -> Iterator[Path]:
    for name in SOURCES:
        path = ROOT / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every dotted name an import statement may refer to (absolute)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package holding this module
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the tree it imports (the longest known prefix of a name)."""
    paths = {module_name(path): path for path in source_files()}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for name in imported_names(tree, module, path.name == "__init__.py"):
            parts = name.split(".")
            while parts and ".".join(parts) not in paths:
                parts.pop()
            if parts and ".".join(parts) != module:
                targets.add(".".join(parts))
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_walk_sees_the_whole_tree() -> None:
    graph = import_graph()
    assert {"scheduler", "app", "page_registry", "core.jobs.registry", "dashboards"} <= set(graph)
    assert len([m for m in graph if m.startswith("app_pages.")]) >= 12
    assert "core.jobs.runner" in graph["scheduler"]


def test_the_walk_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("def f():\n    from core.jobs import registry\n")
    assert set(imported_names(tree, "core.x", False)) == {"core.jobs", "core.jobs.registry"}
    relative = ast.parse("from .spec import JobSpec\n")
    assert "core.jobs.spec.JobSpec" in set(imported_names(relative, "core.jobs.runner", False))


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []
