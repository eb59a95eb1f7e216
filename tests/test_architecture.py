"""The house rules of the code: stage packages, imports in one direction, no circles, modules of a readable size.

The rule (docs/architecture.md): core <- inputs <- checks <- model <- report <- run <- cli. A module may import
its own stage and earlier ones, never a later one, and no two modules may reach each other through imports.
Imports are read from the source (module level and inside functions alike), so a lazy import cannot hide a
circle.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from analysis.core import paths
from analysis.report import chart_cache as cache

PACKAGE = paths.PACKAGE_DIR
STAGES = ("core", "inputs", "checks", "model", "report", "run")
TOP = {"cli": len(STAGES), "__main__": len(STAGES) + 1, "__init__": -1}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports anywhere in its source (a package counts as its __init__)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def rank(name: str) -> int:
    """The stage of a module: its index in STAGES (cli and __main__ above every stage; the package root below)."""
    parts = name.split(".")[1:]
    if not parts:
        return TOP["__init__"]
    if parts[0] in STAGES:
        return STAGES.index(parts[0])
    return TOP[parts[0]]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, or None (depth-first search). A package counts as its __init__: a name imported
    from `analysis.model` is an edge to that __init__, so a re-export there cannot hide a circle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if state.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if not state.get(v):
                found = visit(v)
                if found:
                    return found
        stack.pop()
        state[u] = 2
        return None

    for node in sorted(edges):
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return None


def test_every_module_lives_in_a_stage_package():
    loose = [n for n in modules() if n.count(".") == 1 and n.split(".")[1] not in (*STAGES, *TOP)]
    assert loose == []
    assert all((PACKAGE / stage / "__init__.py").exists() for stage in STAGES)


def test_no_module_imports_a_later_stage():
    upward = sorted(f"{a} -> {b}" for a, targets in graph().items() for b in targets if rank(b) > rank(a))
    assert upward == []


def test_no_two_modules_import_each_other_even_through_others():
    assert find_cycle(graph()) is None


def test_the_checks_find_a_circle_and_an_upward_import_when_there_is_one():
    """The two rules above on a made-up graph: they are not vacuous."""
    edges = {"analysis.core.a": {"analysis.core.b"}, "analysis.core.b": {"analysis.core.c"},
             "analysis.core.c": {"analysis.core.a"}}
    assert find_cycle(edges) == ["analysis.core.a", "analysis.core.b", "analysis.core.c", "analysis.core.a"]
    assert rank("analysis.report.charts") > rank("analysis.model.assess") > rank("analysis.core.paths")
    assert rank("analysis.cli") > rank("analysis.run.pipeline")


def test_a_function_level_import_counts(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from analysis.report import charts\n    return charts\n")
    assert imports_of("analysis.core.m", src, {"analysis.report.charts", "analysis.report"}) == {"analysis.report.charts"}


def test_no_module_is_longer_than_the_house_limit():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_cache_key_hashes_the_code_of_every_stage(tmp_path):
    """A change to a module in any stage folder makes new cache keys, not only one in the folder of chart_cache.py."""
    copy = tmp_path / "analysis"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "assets", "templates"))
    assert cache.code_version() == cache.code_digest(PACKAGE)
    before = cache.code_digest(copy)
    for stage in ("report", "run", "model"):
        module = sorted((copy / stage).glob("*.py"))[-1]
        module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        after = cache.code_digest(copy)
        assert after != before, stage
        before = after
    (copy / "cli.py").write_text((copy / "cli.py").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache.code_digest(copy) != before


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_package_says_what_it_holds(stage):
    assert ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))


def test_the_readme_is_short_and_a_planner_finds_the_three_tasks_from_its_contents():
    """Issue 23: at most 200 lines; "add a figure", "correct or withdraw a figure" and "department returns" are
    linked from the contents line to headings that exist (GitHub's anchors: lower case, spaces to hyphens)."""
    import re

    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#{2,3} (.+)$", text, flags=re.M)}
    linked = dict(re.findall(r"\[([^\]]+)\]\(#([^)]+)\)", text))
    for task in ("add a figure", "correct or withdraw a figure", "department returns"):
        assert task in linked and linked[task] in anchors, task
