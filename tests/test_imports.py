"""Imports run one way and in no circle.

The layers: ``agents`` at the bottom, then ``model``, then ``experiments``, then the programs
above them (``validation``, ``viewer`` and ``app.py``). A module may import its own package and
the layers below it, never one above; and no chain of imports between the project's modules
returns to where it started. Every ``import`` statement counts, including those inside
functions and under ``TYPE_CHECKING``: a type-only import still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "model", "experiments", "validation", "viewer")

#: What each top-level package (or app.py) may import from the project.
ALLOWED = {
    "agents": {"agents"},
    "model": {"model", "agents"},
    "experiments": {"experiments", "model", "agents"},
    "validation": {"validation", "experiments", "model", "agents"},
    "viewer": {"viewer", "experiments", "model", "agents"},
    "app": {"app", "viewer", "experiments", "model", "agents"},
}


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages and app.py."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = f.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    if (root / "app.py").exists():
        out["app"] = root / "app.py"
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that ``name`` (at ``path``) imports, resolved to the deepest module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            # "from model import measures" names a submodule when one exists
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    return {name: imports_of(name, path, known) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import that runs from a layer to one it may not import."""
    bad = []
    for src, targets in sorted(graph.items()):
        top = src.split(".")[0]
        for t in sorted(targets):
            if t.split(".")[0] not in ALLOWED[top]:
                bad.append(f"{src} -> {t}")
    return bad


def test_checker_finds_a_planted_circle_and_an_upward_arrow():
    graph = {
        "model.a": {"model.b"},
        "model.b": {"model.c"},
        "model.c": {"model.a"},
        "agents.x": {"model.a"},
    }
    assert cycles(graph) == [["model.a", "model.b", "model.c"]]
    assert upward(graph) == ["agents.x -> model.a"]


def test_relative_and_submodule_imports_resolve(tmp_path):
    pkg = tmp_path / "model"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from model import sub\n")
    (pkg / "sub" / "__init__.py").write_text("from .leaf import f\n")
    (pkg / "sub" / "leaf.py").write_text("from ..sub import leaf\nimport agents.user\n")
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "__init__.py").write_text("")
    (tmp_path / "agents" / "user.py").write_text("")
    graph = import_graph(tmp_path)
    assert graph["model"] == {"model.sub"}
    assert graph["model.sub"] == {"model.sub.leaf"}
    assert graph["model.sub.leaf"] == {"agents.user"}


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_no_upward_imports():
    assert upward(import_graph()) == []
