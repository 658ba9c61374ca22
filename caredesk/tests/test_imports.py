"""Imports point one way: a lower layer never imports a higher one, and no module comes back to
itself through its imports.

The contract is read from the source with `ast` (no import-linter): every `import` and
`from … import` in every module under `caredesk/` (migrations and tests aside) counts, the
function-local ones too: a function-local import that hides a cycle is still a cycle, it only
fails later and at random.

Imports under `if TYPE_CHECKING:` count for the layers (a type from a higher layer is still a
dependency on it) but not for the cycles, since they never run.

Tests (`tests/` packages and `conftest.py`) may import anything; no other module may import them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # caredesk/

# The layers, lowest first (drawn in docs/architecture.md). A module may import its own layer and
# the layers below it, never one above. The longest matching prefix places a module; every module
# must have a place, so a new top-level module or app is placed here on purpose.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The library: pure Python, no Django, no environment, imports nothing else of caredesk.
    ("empathy", ("caredesk.empathy",)),
    # Project helpers any app may use, because they import no app (only the library, at most).
    (
        "project helpers",
        (
            "caredesk",  # the package's __init__
            "caredesk.config",
            "caredesk.jobs",
            "caredesk.forms",
            "caredesk.health",
            "caredesk.checks",
            "caredesk.admin_site",
            "caredesk.apikit",
            "caredesk.taskqueue",
            "caredesk.taskaudit",
            "caredesk.text",
            "caredesk.rows",
        ),
    ),
    # Who works here and for whom; the coach's rules and saved replies.
    ("people, customers, replies", ("caredesk.people", "caredesk.customers", "caredesk.replies")),
    ("conversations", ("caredesk.conversations",)),
    (
        "channels, care, insights, demo",
        (
            "caredesk.channels",
            "caredesk.care",
            "caredesk.insights",
            "caredesk.knowledge",
            "caredesk.demo",
        ),
    ),
    (
        "the project's entry points",
        ("caredesk.urls", "caredesk.cli", "caredesk.server", "caredesk.settings", "caredesk.wsgi"),
    ),
)

# The library must stay usable without Django and must be handed its paths and settings.
PURE = "caredesk.empathy"
PURE_FORBIDDEN_IMPORTS = ("django",)
ENVIRONMENT_READS = ("os.environ", "os.getenv", "os.environb", "os.getenvb")

# Temporary: violations being fixed right now (issue 13, helper L's lifecycle work in conversations/
# and demo/). Each entry is the exact text the test reports, with the reason it is still here. The
# test fails when an entry no longer occurs, so the list only shrinks. Never add to it to let a new
# violation in.
KNOWN_VIOLATIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the caredesk module (or outside name) imported
    line: int
    type_checking: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_test(module: str) -> bool:
    parts = module.split(".")
    return "tests" in parts or parts[-1] == "conftest"


def source_files() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    """Every import of one module, wherever it sits, and whether only the type checker runs it."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[str, tuple[str, ...], int, bool]] = []  # base, names, line, typing
        self.env_reads: list[int] = []
        self._typing = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._typing += 1
            for child in node.body:
                self.visit(child)
            self._typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, (), node.lineno, self._typing > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = tuple(alias.name for alias in node.names)
        self.found.append((base, names, node.lineno, self._typing > 0))
        if base == "os" and {"environ", "getenv", "environb", "getenvb"} & set(names):
            self.env_reads.append(node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and f"{node.value.id}.{node.attr}" in ENVIRONMENT_READS:
            self.env_reads.append(node.lineno)
        self.generic_visit(node)


def _resolve(name: str, modules: set[str]) -> str:
    """The deepest caredesk module `name` names (`caredesk.x.y.func` -> `caredesk.x.y`)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


@dataclass
class Graph:
    imports: list[Import]
    env_reads: dict[str, list[int]]


def build_graph() -> Graph:
    files = source_files()
    modules = set(files)
    imports: list[Import] = []
    env_reads: dict[str, list[int]] = {}
    for module, path in files.items():
        collector = _Collector(module, path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(), filename=str(path)))
        env_reads[module] = collector.env_reads
        for base, names, line, typing in collector.found:
            if not (base == "caredesk" or base.startswith("caredesk.")):
                imports.append(Import(module, base, line, typing))
                continue
            # `from pkg import name`: a submodule if one is called so, else a name of pkg itself.
            targets = [_resolve(f"{base}.{n}", modules) for n in names] if names else [base]
            for target in dict.fromkeys(_resolve(t, modules) for t in targets):
                if target != module:
                    imports.append(Import(module, target, line, typing))
    return Graph(imports, env_reads)


def layer_of(module: str) -> int:
    best, place = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "caredesk" and module.startswith(prefix + "."))
            if matches and len(prefix) > best:
                best, place = len(prefix), index
    return place


def _where(imp: Import) -> str:
    return f"{imp.source}:{imp.line}"


def layer_violations(graph: Graph) -> list[str]:
    found: list[str] = []
    for imp in graph.imports:
        if is_test(imp.source) or not imp.target.startswith("caredesk"):
            continue
        if is_test(imp.target):
            found.append(f"{imp.source} imports test module {imp.target}")
            continue
        source, target = layer_of(imp.source), layer_of(imp.target)
        if source < 0 or target < 0:
            continue  # reported by unplaced_modules
        if target > source:
            found.append(
                f"{imp.source} ({LAYERS[source][0]}) imports {imp.target} ({LAYERS[target][0]})"
            )
        elif imp.source.startswith(PURE + ".") and not imp.target.startswith(PURE):
            found.append(
                f"{imp.source} (empathy) imports {imp.target}: the library is self-contained"
            )
    return sorted(set(found))


def purity_violations(graph: Graph) -> list[str]:
    found: list[str] = []
    for imp in graph.imports:
        if not imp.source.startswith(PURE) or is_test(imp.source):
            continue
        top = imp.target.split(".")[0]
        if top in PURE_FORBIDDEN_IMPORTS:
            found.append(f"{imp.source} imports {imp.target}: the library runs without Django")
    for module, lines in graph.env_reads.items():
        if module.startswith(PURE) and not is_test(module) and lines:
            found.append(
                f"{module} reads the environment: take the value as an argument "
                "(only caredesk.config reads the environment)"
            )
    return sorted(set(found))


def cycles(graph: Graph) -> list[tuple[str, ...]]:
    """Strongly connected groups of modules that import each other at run time (Tarjan)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in graph.imports:
        if imp.type_checking or is_test(imp.source) or not imp.target.startswith("caredesk"):
            continue
        edges[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[tuple[str, ...]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(tuple(sorted(group)))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(groups)


def cycle_violations(graph: Graph) -> list[str]:
    found = []
    for group in cycles(graph):
        members = set(group)
        edges = sorted(
            f"{_where(imp)} -> {imp.target}"
            for imp in graph.imports
            if imp.source in members and imp.target in members and not imp.type_checking
        )
        found.append(f"cycle among {', '.join(group)} (" + "; ".join(edges) + ")")
    return found


def cycle_key(text: str) -> str:
    """A cycle is known by its members, not by the lines that make it (they move as it is fixed)."""
    return text.split(" (", 1)[0]


def _check(found: list[str], key: object = None) -> None:
    keyed = {cycle_key(text) if key else text: text for text in found}
    new = [text for k, text in keyed.items() if k not in KNOWN_VIOLATIONS]
    listing = "\n  ".join(new)
    assert not new, f"forbidden imports (see docs/architecture.md, 'Imports'):\n  {listing}"


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in source_files() if not is_test(m) and layer_of(m) < 0]
    assert not unplaced, "place these modules in LAYERS (tests/test_imports.py): " + ", ".join(
        unplaced
    )


def test_no_layer_imports_a_higher_one() -> None:
    _check(layer_violations(build_graph()))


def test_empathy_is_pure() -> None:
    _check(purity_violations(build_graph()))


def test_no_import_cycle() -> None:
    _check(cycle_violations(build_graph()), key=cycle_key)


def test_known_violations_still_occur() -> None:
    """The temporary list only shrinks: a fixed violation must leave it."""
    graph = build_graph()
    current = {
        *layer_violations(graph),
        *purity_violations(graph),
        *(cycle_key(text) for text in cycle_violations(graph)),
    }
    stale = sorted(set(KNOWN_VIOLATIONS) - current)
    assert not stale, "fixed, remove from KNOWN_VIOLATIONS: " + "; ".join(stale)


def test_the_contract_catches_what_it_forbids() -> None:
    """The checker itself: a wrong-way import, a hidden cycle and an environment read are found."""
    graph = Graph(
        imports=[
            Import("caredesk.people.selectors", "caredesk.conversations.models", 3, False),
            Import("caredesk.conversations.services", "caredesk.conversations.tasks", 5, False),
            Import("caredesk.conversations.tasks", "caredesk.conversations.services", 40, False),
            Import("caredesk.conversations.reading", "caredesk.channels.api", 9, True),
            Import("caredesk.channels.api", "caredesk.conversations.reading", 2, False),
            Import("caredesk.empathy.types", "django.db", 1, False),
            Import("caredesk.empathy.types", "caredesk.config", 2, False),
        ],
        env_reads={"caredesk.empathy.emotion.minilm": [53]},
    )
    assert layer_violations(graph) == [
        "caredesk.conversations.reading (conversations) imports caredesk.channels.api "
        "(channels, care, insights, demo)",
        "caredesk.empathy.types (empathy) imports caredesk.config (project helpers)",
        "caredesk.people.selectors (people, customers, replies) imports "
        "caredesk.conversations.models (conversations)",
    ]
    assert [cycle_key(c) for c in cycle_violations(graph)] == [
        "cycle among caredesk.conversations.services, caredesk.conversations.tasks"
    ]  # the TYPE_CHECKING import of channels.api makes no run-time cycle
    assert len(purity_violations(graph)) == 2


def test_function_local_and_type_checking_imports_are_read(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from caredesk.channels import api\n"
        "def f():\n    from .services import x\n    import os\n    return os.environ['A']\n"
    )
    collector = _Collector("caredesk.conversations.reading", is_package=False)
    collector.visit(ast.parse(source))
    assert [(base, typing) for base, _, _, typing in collector.found] == [
        ("typing", False),
        ("caredesk.channels", True),
        ("caredesk.conversations.services", False),
        ("os", False),
    ]
    assert collector.env_reads == [7]


if __name__ == "__main__":  # `python caredesk/tests/test_imports.py` lists every violation
    g = build_graph()
    for text in [*layer_violations(g), *purity_violations(g), *cycle_violations(g)]:
        print(text)
