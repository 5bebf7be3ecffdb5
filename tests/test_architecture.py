"""The shape of the code: layers, no import cycles, no private names across packages.

These are static checks on the source (``ast``), so they see imports inside functions too,
and they ignore imports under ``if TYPE_CHECKING:`` (those never run).

Layers, lowest first; a module may import its own layer and the layers below it::

    core  <-  data  <-  methods  <-  store  <-  reports  <-  web  <-  cli / package root
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"

#: Layer rank of each top-level subpackage (modules directly in evalkit/ sit on top).
LAYERS = {
    "_version": 0,
    "core": 0,
    "data": 1,
    "methods": 2,
    "store": 3,
    "registry": 3,
    "reports": 4,
    "web": 5,
}
TOP = 6


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for sub in node.body:
                    for inner in ast.walk(sub):
                        if hasattr(inner, "lineno"):
                            lines.add(inner.lineno)
    return lines


@cache
def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    me = _module_name(path)
    package = me if _is_package(path) else me.rpartition(".")[0]
    out: list[tuple[str, list[str], int]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, [a.name for a in node.names], node.lineno))
    return out


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


MODULES = _all_modules()


def _resolve(mod: str, names: list[str]) -> list[str]:
    """The evalkit modules an import statement loads (submodules named in a from-import too)."""
    if not (mod == "evalkit" or mod.startswith("evalkit.")):
        return []
    targets = [mod]
    for n in names:
        if f"{mod}.{n}" in MODULES:
            targets.append(f"{mod}.{n}")
    return targets


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return TOP
    return LAYERS.get(parts[1], TOP)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for mod, names, _line in _imports(path):
            for target in _resolve(mod, names):
                if target != name and target in MODULES:
                    graph[name].add(target)
    return graph


def test_no_module_imports_the_package_root():
    offenders = []
    for name, path in MODULES.items():
        if name == "evalkit":
            continue
        for mod, names, line in _imports(path):
            if mod == "evalkit" and not all(f"evalkit.{n}" in MODULES for n in names):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} from evalkit import {names}")
            if mod == "evalkit" and not names:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} import evalkit")
    assert not offenders, "modules importing the package __init__:\n" + "\n".join(offenders)


def test_layers_only_import_downwards():
    offenders = []
    for name, path in MODULES.items():
        for mod, names, line in _imports(path):
            for target in _resolve(mod, names):
                if target in MODULES and _layer(target) > _layer(name):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not offenders, "imports from a higher layer:\n" + "\n".join(offenders)


def test_no_private_names_across_packages():
    offenders = []
    for name, path in MODULES.items():
        my_package = name if _is_package(path) else name.rpartition(".")[0]
        for mod, names, line in _imports(path):
            if not mod.startswith("evalkit"):
                continue
            target_package = (
                mod
                if f"{mod}.__init__" in MODULES
                or (MODULES.get(mod) is not None and _is_package(MODULES[mod]))
                else mod.rpartition(".")[0]
            )
            private_module = any(part.startswith("_") and part != "__init__" for part in mod.split(".")[1:])
            private_names = [n for n in names if n.startswith("_") and n != "__version__"]
            if target_package != my_package and not target_package.startswith(my_package + "."):
                if private_names or (private_module and mod != "evalkit._version"):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} from {mod} import {names}")
    assert not offenders, "private names used across packages:\n" + "\n".join(offenders)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _graph()
    # A package __init__ that re-exports its own submodules is not a cycle of logic:
    # drop edges from a submodule up to its own package __init__.
    for src in list(graph):
        graph[src] = {t for t in graph[src] if not src.startswith(t + ".")}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_importlib_hand_off_inside_methods():
    offenders = []
    for name, path in MODULES.items():
        if _layer(name) == LAYERS["methods"] and "importlib.import_module" in path.read_text(
            encoding="utf-8"
        ):
            if not _is_package(path):
                offenders.append(name)
    assert not offenders, f"importlib used to hide an import: {offenders}"


@pytest.mark.parametrize("module", ["evalkit.core", "evalkit.data", "evalkit.methods", "evalkit.reports"])
def test_layer_packages_exist(module):
    assert module in MODULES
