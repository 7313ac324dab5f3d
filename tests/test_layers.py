"""The layers of DESIGN.md: imports only run downwards, and nobody reaches into another package's privates.

Walks every module of ``infoplane/`` with ``ast`` (no import is executed), so a new
module is checked the day it lands.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "infoplane"
LAYERS = {"info": 1, "estimators": 1, "metrics": 1, "data": 1, "bottleneck": 2, "inn": 2, "bibae": 2,
          "train": 3, "plane": 3, "sweep": 3, "cli": 4, "__main__": 4}


def layer(module: str) -> int:
    """The layer of ``infoplane.<top>...``: 0 for the private base modules, 4 for the package root."""
    parts = module.split(".")
    if len(parts) == 1:
        return 4
    top = parts[1]
    if top.startswith("_") and top != "__main__":
        return 0
    if top not in LAYERS:
        raise AssertionError(f"{module}: not in DESIGN.md's layer table; add it there and here")
    return LAYERS[top]


def package(module: str) -> str:
    """The top-level part a module belongs to (``infoplane.inn.flow`` -> ``inn``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports(path: Path, module: str) -> list[tuple[str, str]]:
    """(imported module, imported name or '') for every ``infoplane`` import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    pkg = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("infoplane")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("infoplane"):
                for a in node.names:
                    full = f"{base}.{a.name}"
                    # `from infoplane import train` imports a module; `from infoplane.x import f` a name
                    is_module = (ROOT.parent / Path(*full.split("."))).with_suffix(".py").exists() or \
                        (ROOT.parent / Path(*full.split("."))).is_dir()
                    out.append((full, "") if is_module else (base, a.name))
    return out


MODULES = modules()

# Documented exceptions to "imports only run downwards", (importer, imported module) pairs.
# - The neural MI estimators (layer 1) train their critic "with fit" as issue 15 asks;
#   train.py (layer 3) imports layer 0 only, so this creates no cycle. Nothing else in
#   layer 1 may import train (test_only_the_neural_estimators_import_train).
ALLOWED_UPWARD = {("infoplane.estimators.neural", "infoplane.train")}


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_run_down_the_layers(module: str, path: Path) -> None:
    if module == "infoplane":
        return
    mine = layer(module)
    upward = [target for target, _ in imports(path, module)
              if layer(target) > mine and (module, target) not in ALLOWED_UPWARD]
    assert not upward, f"{module} (layer {mine}) imports upward: {upward}"


def test_only_the_neural_estimators_import_train() -> None:
    """The exception stays one: no other layer-1 module imports train, and train imports layer 0 only."""
    importers = {module for module, path in MODULES if layer(module) == 1
                 and any(target == "infoplane.train" for target, _ in imports(path, module))}
    assert importers <= {"infoplane.estimators.neural"}, importers
    train = dict(MODULES)["infoplane.train"]
    assert all(layer(target) == 0 for target, _ in imports(train, "infoplane.train"))


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_no_private_names_across_packages(module: str, path: Path) -> None:
    """A private name (``_x``) is imported only inside its own package; layer 0 is shared by design."""
    bad = []
    for target, name in imports(path, module):
        if layer(target) == 0:
            continue
        private_module = any(part.startswith("_") and part != "__init__" for part in target.split(".")[2:])
        private_name = name.startswith("_")
        if (private_module or private_name) and package(target) != package(module):
            bad.append(f"{target}:{name}" if name else target)
    assert not bad, f"{module} imports private names of another package: {bad}"


def test_the_walk_sees_the_layers() -> None:
    """The checker itself: a known upward import is caught, a known module list is complete."""
    names = {m for m, _ in MODULES}
    assert {"infoplane.train", "infoplane.inn.flow", "infoplane.info.measures",
            "infoplane._gaussian"} <= names
    assert layer("infoplane.inn.flow") > layer("infoplane.metrics.mmd") > layer("infoplane._units")
    assert layer("infoplane.plane.recorder") > layer("infoplane.bottleneck.models")


def test_the_walk_catches_an_upward_and_a_private_import(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text("from infoplane.train import fit\nfrom infoplane.estimators._prepare import as_numpy\n"
                    "import infoplane.plane.recorder\n")
    found = imports(fake, "infoplane.inn.fake")
    assert ("infoplane.train", "fit") in found
    assert ("infoplane.estimators._prepare", "as_numpy") in found
    assert [t for t, _ in found if layer(t) > layer("infoplane.inn.fake")] == ["infoplane.train",
                                                                              "infoplane.plane.recorder"]
