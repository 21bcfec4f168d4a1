"""The layers of the code, read from its imports (ast, function-level imports included).

    margin/   the engine: numbers in, numbers out; imports no other layer, nor streamlit or plotly
    charts/   plotly figures from results and frames: no streamlit, nothing from margin (the engine
              is never called to draw), from the rest only views.text (the one money/price format)
    views/    pure presentation: may import margin; never streamlit, ui, lessons or pages
    lessons/  pure lesson content: may import margin and views; never streamlit, ui, charts or pages
    ui/       the Streamlit layer: every module uses streamlit, directly or through another ui module
    pages/    the pages: imported by no module

and no import cycle anywhere among the repository's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folders whose Python files are first-party modules, plus app.py.
PACKAGES = ("margin", "charts", "views", "lessons", "ui", "pages", "tests", "benchmarks", "scripts")
UI_LIBRARIES = ("streamlit", "plotly")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module name ``path`` imports (at any depth of the file): the module itself for
    ``import a.b``, and ``a.b`` or ``a.b.c`` for ``from a.b import c`` (c when it is a module)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(part for part in (*anchor, base) if part)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def _first_party(name: str) -> set[str]:
    return {module for module in IMPORTS[name] if module in MODULES and module != name}


def _layer(layer: str) -> list[str]:
    return [name for name in MODULES if _top(name) == layer]


def _offenders(layer: str, allowed) -> dict[str, list[str]]:
    """module -> its imports that ``allowed(imported module)`` refuses."""
    found = {name: sorted(m for m in IMPORTS[name] if not allowed(m)) for name in _layer(layer)}
    return {name: bad for name, bad in found.items() if bad}


def test_the_layers_hold_modules():
    for layer in ("margin", "charts", "views", "lessons", "ui", "pages"):
        assert len(_layer(layer)) >= 2, layer


def test_the_engine_imports_no_other_layer_and_no_ui_library():
    refused = (*UI_LIBRARIES, "charts", "views", "lessons", "ui", "pages", "app")
    assert _offenders("margin", lambda m: _top(m) not in refused) == {}


def test_charts_import_no_streamlit_and_nothing_of_the_engine():
    def allowed(module: str) -> bool:
        if _top(module) in ("streamlit", "margin", "ui", "lessons", "pages", "app"):
            return False
        return _top(module) != "views" or module == "views.text"

    assert _offenders("charts", allowed) == {}


def test_views_are_pure():
    refused = ("streamlit", "ui", "lessons", "pages", "app")
    assert _offenders("views", lambda m: _top(m) not in refused) == {}


def test_lessons_are_pure():
    refused = ("streamlit", "ui", "charts", "pages", "app")
    assert _offenders("lessons", lambda m: _top(m) not in refused) == {}


def test_every_ui_module_is_streamlit_code():
    """What imports streamlit is in ui/ (and pages/, app.py); each ui module uses it, directly or
    through another ui module, so nothing pure hides there."""
    uses = {name for name in _layer("ui") if "streamlit" in {_top(m) for m in IMPORTS[name]}}
    grew = True
    while grew:
        more = {name for name in _layer("ui") if name not in uses and _first_party(name) & uses}
        grew = bool(more)
        uses |= more
    assert sorted(set(_layer("ui")) - uses - {"ui"}) == []


def test_no_module_imports_a_page():
    importers = {name: sorted(m for m in _first_party(name) if _top(m) == "pages") for name in MODULES}
    assert {name: pages for name, pages in importers.items() if pages} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_the_repositorys_modules():
    graph = {name: _first_party(name) for name in MODULES}
    assert _cycles(graph) == []


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_cycle_finder_finds_cycles(graph, cycle):
    assert _cycles(graph) == cycle


def test_a_hidden_function_level_import_counts(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from ui.state import KEY\n    return KEY\n")
    assert "ui.state" in _imports("ui.module", path)
