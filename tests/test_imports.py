"""The house rules of the import graph: data flows one way (text -> parse tree -> IR ->
checked IR -> files -> runtime -> CLI), and so do imports, including those inside
functions (which once hid two cycles)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("compiler", "runtime", "cli", "grammar", "schemas", "sites", "api")

COMPILER = "jobsub.compiler"
#: Syntax: what knows how workflows are written.
SOURCE_SYNTAX = ("frontends", "options.flags", "options.shellwords", "site.config", "tools",
                 "jobsub.grammar")
#: What runs the stages, or sits above them.
ABOVE = ("pipeline", "tools")


def _outside(package: str) -> tuple[str, ...]:
    """Every compiler module not in `package`."""
    return tuple(m for m in MODULES if m.startswith(COMPILER + ".")
                 and not _matches(m, package) and m != f"{COMPILER}.__init__")


#: (importing modules, modules they must not import, the rule)
def _rules():
    return [
        (COMPILER, ("jobsub.runtime", "jobsub.cli"),
         "compiling never imports the runtime or the CLI"),
        ("jobsub.runtime", ("jobsub.cli",), "the runtime never imports the CLI"),
        *((f"jobsub.{m}", ("jobsub.cli",), "the Python API sits below the CLI")
          for m in ("results", "builder", "runs")),
        ("base", _outside("base"), "the shared conventions sit below every stage"),
        ("ir.model", _outside("base"),
         "the IR knows no source syntax, no option spelling and no output"),
        *((below, ("frontends", "emit", *ABOVE, "jobsub.grammar"),
           "the option table, the IR and site policy know neither front nor back end")
          for below in ("ir", "options", "site.policy", "site.placement")),
        ("frontends", ("emit", "ir.check", *ABOVE),
         "front ends never import the back end (nor what runs them)"),
        ("emit", (*SOURCE_SYNTAX, "ir.check", *ABOVE), "emitters see only the IR"),
        ("pipeline", ("tools",), "the orchestrator runs the stages, not the tools over them"),
    ]


def _modules() -> dict[str, Path]:
    found = {}
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[0] == "api":  # the package `jobsub` itself
                parts.pop(0)
            if parts and parts[-1] == "__init__":
                parts.pop()
            found[".".join(["jobsub", *parts])] = path
    return found


MODULES = _modules()


def _target(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = module.split(".")
        if path.name != "__init__.py":
            base.pop()
        base = base[:len(base) - node.level + 1]
        name = ".".join([*base, *([node.module] if node.module else [])])
    else:
        name = node.module or ""
    return [f"{name}.{a.name}" if f"{name}.{a.name}" in MODULES else name for a in node.names]


def _known(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            names = _target(module, path, node) if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            targets |= {t for t in map(_known, names) if t and t != module}
        graph[module] = targets
    return graph


GRAPH = imports()


def _matches(module: str, pattern: str) -> bool:
    full = pattern if pattern.startswith("jobsub.") else f"jobsub.compiler.{pattern}"
    return module == full or module.startswith(full + ".")


RULES = _rules()


@pytest.mark.parametrize("importer, forbidden, rule", RULES, ids=[r[2] for r in RULES])
def test_imports_follow_the_flow(importer, forbidden, rule):
    wrong = sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if _matches(m, importer)
                   for t in targets if any(_matches(t, f) for f in forbidden))
    assert not wrong, rule


def test_no_cycles():
    """Tarjan's strongly connected components: none larger than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # the graph is a few dozen modules deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_rules_see_imports_inside_functions():
    """The walker must see function-level imports (where the old cycles hid)."""
    assert "jobsub.compiler.pipeline" in GRAPH["jobsub.results"]
    assert "jobsub.runtime.credentials" in GRAPH["jobsub.results"]
