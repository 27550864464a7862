"""The layers, by their imports: every import statement of every module is read (those inside
functions and under TYPE_CHECKING too), and the test fails on an import cycle between modules, an
import from a lower layer to a higher one, or a Streamlit import outside playground/ui, app_pages/ and
app.py. The layers, bottom up, are LAYERS; a module may import its own layer and those below."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("playground.core", "playground.engine", "playground.views", "playground.experiments",
          "playground.serving", "playground.api", "playground.ui", "app_pages", "app", "tools")
# only these may import streamlit; tools/ is not the app (the load generator speaks Streamlit's protocol
# from outside, with its message classes) and is left out of this rule
STREAMLIT_ALLOWED = ("playground.ui", "app_pages", "app")
SCANNED = ("playground", "app_pages", "tools", "app.py")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, scanned=SCANNED) -> dict[str, Path]:
    found = {}
    for top in scanned:
        path = root / top
        for file in ([path] if path.suffix == ".py" else sorted(path.rglob("*.py"))):
            found[module_name(file, root)] = file
    return found


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module `path` (module `name`) imports, anywhere in it; names outside `known` are kept
    as they are written (streamlit, torch)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from a import b`: the module a.b when there is one, else a
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return out


def layer_of(name: str, layers=LAYERS) -> int | None:
    for rank, layer in enumerate(layers):
        if name == layer or name.startswith(layer + "."):
            return rank
    return None


def within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def problems(root: Path, scanned=SCANNED, layers=LAYERS, streamlit_allowed=STREAMLIT_ALLOWED) -> list[str]:
    """Every breach of the rules in the tree at `root`, in words."""
    found = modules(root, scanned)
    known = set(found)
    graph, out = {}, []
    for name, path in found.items():
        deps = imports(path, name, known)
        graph[name] = {d for d in deps if d in known and d != name}
        if any(within(d, ("streamlit",)) for d in deps) and not within(name, streamlit_allowed) \
                and not within(name, ("tools",)):
            out.append(f"streamlit imported by {name}")
        for dep in sorted(graph[name]):
            low, high = layer_of(name, layers), layer_of(dep, layers)
            if low is not None and high is not None and high > low:
                out.append(f"upward import: {name} ({layers[low]}) imports {dep} ({layers[high]})")
    if cycle := find_cycle(graph):
        out.append("import cycle: " + " -> ".join(cycle))
    return out


def test_the_project_keeps_its_layers():
    assert problems(ROOT) == []


def test_every_library_module_sits_in_a_layer():
    loose = [n for n in modules(ROOT, ("playground",)) if n != "playground" and layer_of(n) is None]
    assert loose == []


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_the_checker_finds_a_cycle_an_upward_import_and_streamlit_out_of_place(tmp_path):
    write(tmp_path, {
        "playground/__init__.py": "",
        "playground/core/__init__.py": "",
        # a cycle through an import inside a function and one under TYPE_CHECKING
        "playground/core/a.py": "def f():\n    from playground.core import b\n",
        "playground/core/b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                 "    from playground.core.a import f\n"),
        # upward, by a relative import
        "playground/core/c.py": "from ..ui import d\n",
        "playground/core/e.py": "import streamlit as st\n",
        "playground/ui/__init__.py": "",
        "playground/ui/d.py": "import streamlit\nfrom playground.core import e\n",
    })
    found = problems(tmp_path, ("playground",))
    assert "import cycle: playground.core.a -> playground.core.b -> playground.core.a" in found
    assert ("upward import: playground.core.c (playground.core) imports playground.ui.d (playground.ui)"
            in found)
    assert "streamlit imported by playground.core.e" in found
    assert len(found) == 3  # the ui may import streamlit and the core


def test_the_checker_passes_a_tree_that_keeps_the_rules(tmp_path):
    write(tmp_path, {
        "playground/__init__.py": "",
        "playground/core/__init__.py": "",
        "playground/core/a.py": "import math\n",
        "playground/engine/__init__.py": "from playground.engine.run import go\n",
        "playground/engine/run.py": "from playground.core import a\n\ndef go():\n    pass\n",
        "app_pages/p.py": "import streamlit\nfrom playground.engine import go\n",
    })
    assert problems(tmp_path, ("playground", "app_pages")) == []
