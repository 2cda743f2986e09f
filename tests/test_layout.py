"""The package shows its architecture: layers that import one way, a README layout that matches the tree,
and a first docstring line in every module that says what it owns."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulation"
SUBPACKAGES = ("model", "experiments", "dashboard")
# What may import what: the shared top-level modules, then the model, then many runs of it, then the dashboard;
# the command line and the public API (simulation/__init__.py) may use them all.
ORDER = {"shared": 0, "model": 1, "experiments": 2, "dashboard": 3, "cli": 4}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "simulation":
        return "api"
    if parts[1] in SUBPACKAGES:
        return parts[1]
    return "cli" if parts[1] in ("cli", "__main__") else "shared"


def imported(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module of this package that ``path`` imports (at module level or inside a function)."""
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.Import):  # `import simulation.x`
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "simulation"]
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
        elif node.module and node.module.split(".")[0] == "simulation":
            module = node.module
        else:
            continue
        names = [f"{module}.{alias.name}" for alias in node.names]  # `from . import views`: the names are modules
        targets = [module, *names] if node.module else names
        found += [(node.lineno, t) for t in targets if t != "simulation.__version__"]
    return found


def test_layers_import_one_way():
    wrong = []
    for path in modules():
        mine = layer(dotted(path))
        if mine == "api":
            continue
        for line, target in imported(path):
            theirs = layer(target)
            if theirs == "api" or (theirs in ORDER and ORDER[theirs] > ORDER[mine]):
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_wrong_import():
    """The layer check itself: a model module importing the dashboard, relatively or not, is caught."""
    stages = PACKAGE / "model" / "stages.py"
    for wrong in (
        "from ..dashboard import views",
        "from simulation.dashboard.views import Prose",
        "import simulation.dashboard.views",
    ):
        found = {t for _, t in imported(stages, stages.read_text() + f"\n{wrong}\n")}
        assert found & {"simulation.dashboard.views", "simulation.dashboard.views.Prose"}
    assert layer("simulation.dashboard.views") == "dashboard" and layer("simulation.model.stages") == "model"


def model_import_graph(added: dict[str, str] | None = None) -> nx.DiGraph:
    """Which module of ``simulation/model`` imports which, anywhere in the file (under ``TYPE_CHECKING`` too: a
    reader meets those imports as well). ``added``: extra lines for a module's source, for testing the check."""
    folder = PACKAGE / "model"
    graph = nx.DiGraph()
    names = {dotted(path) for path in folder.glob("*.py")}
    graph.add_nodes_from(names)
    for path in folder.glob("*.py"):
        source = path.read_text() + "\n" + (added or {}).get(path.stem, "")
        graph.add_edges_from((dotted(path), target) for _, target in imported(path, source) if target in names)
    return graph


def test_the_model_s_modules_import_each_other_without_a_circle():
    circles = [" -> ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(model_import_graph())]
    assert not circles, "import circles among simulation/model:\n" + "\n".join(sorted(circles))


def test_the_circle_check_sees_a_type_only_circle():
    """The check itself: stages importing the community model, only for type checking, closes a circle."""
    line = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .community import CommunityModel\n"
    assert not nx.is_directed_acyclic_graph(model_import_graph({"stages": line}))


def test_only_the_package_and_the_runner_import_the_community_model():
    """Agents and mechanisms read the model through ``World`` (agents.py), never the module that builds it."""
    importers = set(model_import_graph().predecessors("simulation.model.community"))
    assert importers <= {"simulation.model", "simulation.model.runner"}, sorted(importers)


def readme_layout() -> dict[str, set[str]]:
    """The modules the README's layout section names, per folder of the package."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    section = block.split("simulation/", 1)[1].split("\nscenarios/", 1)[0]
    named: dict[str, set[str]] = {}
    folder = ""
    for line in section.splitlines():
        head = re.match(r"^  (\w+)/", line)
        if head:
            folder = head.group(1)
        elif line.startswith("  (top level)"):
            folder = ""
        named.setdefault(folder, set()).update(re.findall(r"\b(\w+\.py)\b", line))
    return named


def test_the_readme_layout_matches_the_tree():
    named = readme_layout()
    actual: dict[str, set[str]] = {}
    for path in modules():
        if path.name != "__init__.py":
            folder = "" if path.parent == PACKAGE else path.parent.name
            actual.setdefault(folder, set()).add(path.name)
    for folder in sorted(set(named) | set(actual)):
        where = f"simulation/{folder}" if folder else "simulation/ (top level)"
        assert named.get(folder, set()) == actual.get(folder, set()), (
            f"README layout of {where}: missing {sorted(actual.get(folder, set()) - named.get(folder, set()))}, "
            f"not in the tree {sorted(named.get(folder, set()) - actual.get(folder, set()))}"
        )


def test_every_module_says_what_it_owns_in_its_first_line():
    silent = []
    for path in modules():
        doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
        first = doc.splitlines()[0].strip() if doc else ""
        if not first.endswith(".") or len(first.split()) < 4:
            silent.append(f"{path.relative_to(ROOT)}: {first!r}")
    assert not silent, "\n".join(silent)


def test_the_lanes_name_test_modules_that_exist():
    """A misspelt module in conftest.py's lanes would silently leave the fast lane (or mark nothing end to end)."""
    import conftest

    modules = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    assert conftest.FAST_MODULES <= modules and conftest.END_TO_END_MODULES <= modules
    assert not conftest.FAST_MODULES & conftest.END_TO_END_MODULES
