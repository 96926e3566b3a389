"""The layering holds: who may import whom, and no import cycles.

Every ``import`` in the project counts, also the ones inside functions (the lazy imports that keep
cold starts cheap are still dependencies). Rules:

- ``shared/`` (the platform library) never imports ``functions/``, ``function_app``, ``devhost/``,
  ``jobs/``, ``bench/``, ``datasets/`` or ``tests/``;
- nothing the app runs (``function_app``, ``functions/``, ``shared/``, ``jobs/``) imports
  ``devhost/``: ``func start`` and Azure run without it;
- ``functions/`` modules (blueprints) do not import each other;
- tests and benchmarks share data through modules of their own (``datasets/``, ``tests/utils``),
  never through each other's modules (``tests/unit/bench/``, the benchmarks' own unit tests, are
  the one exception); a test imports other test modules only from
  ``tests/utils``, a top-level ``tests/*_support.py`` or its own package (another package's
  conftest is no place to share from);
- no two modules of the project import each other, directly or through others.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("function_app", "functions", "shared", "devhost", "jobs", "bench", "datasets", "tests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found = {}
    for top in PACKAGES:
        candidates = [ROOT / "function_app.py"] if top == "function_app" else []
        candidates += sorted((ROOT / top).rglob("*.py")) if (ROOT / top).is_dir() else []
        for path in candidates:
            found[_module_name(path)] = path
    return found


def _resolve(name: str) -> str | None:
    modules = _modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                yield resolved


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(_imports(m, p)) for m, p in _modules().items()}


def _edges(source_top: str) -> Iterator[tuple[str, str]]:
    for module, targets in _graph().items():
        if module.split(".")[0] == source_top:
            for target in targets:
                yield module, target


def _top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def test_the_platform_library_imports_no_outer_layer():
    outer = {"functions", "function_app", "devhost", "jobs", "bench", "datasets", "tests"}
    bad = [(m, t) for m, t in _edges("shared") if _top(t) in outer]
    assert bad == []


def test_nothing_the_app_runs_imports_devhost():
    bad = [
        (m, t)
        for top in ("function_app", "functions", "shared", "jobs")
        for m, t in _edges(top)
        if _top(t) == "devhost"
    ]
    assert bad == []


def test_blueprints_do_not_import_each_other():
    bad = [(m, t) for m, t in _edges("functions") if t.startswith("functions.")]
    assert bad == []


def test_tests_and_benchmarks_share_through_modules_of_their_own():
    # (tests/unit/bench/ are the benchmarks' own unit tests: they may import what they test)
    bad = [
        (m, t)
        for m, t in _edges("tests")
        if _top(t) == "bench" and not m.startswith("tests.unit.bench.")
    ]
    bad += [(m, t) for m, t in _edges("bench") if _top(t) == "tests"]
    for module, target in _edges("tests"):
        if _top(target) != "tests" or target == "tests":
            continue
        own_package = target.rpartition(".")[0] == module.rpartition(".")[0]
        shared = target.startswith("tests.utils") or (
            target.count(".") == 1 and target.endswith("_support")
        )
        if not (own_package or shared):
            bad.append((module, target))
    assert bad == []


def test_there_are_no_import_cycles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_rules_see_the_whole_project():
    # A rule that reads no files would pass for nothing: the graph holds every layer.
    tops = {_top(module) for module in _graph()}
    assert set(PACKAGES) <= tops
    assert any(t.startswith("shared.") for t in _graph()["functions.media"])
