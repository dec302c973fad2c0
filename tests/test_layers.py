"""Import layers: data flows one way, and only tracking.py talks to MLflow."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sahelrisk"

# module (or package) -> modules it must not import: nothing upstream reaches downstream.
FORBIDDEN = {
    "sources": ("features", "panel", "model", "training", "scoring", "api", "cli", "tracking", "maps", "bulletin"),
    "units": ("features", "panel", "model", "training", "scoring", "api", "cli", "tracking"),
    "features": ("panel", "model", "training", "scoring", "api", "cli", "tracking"),
    "panel": ("model", "training", "scoring", "api", "cli", "tracking"),
    "model": ("training", "scoring", "api", "cli", "tracking", "panel"),
    "scoring": ("training", "api", "cli", "tracking"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names.add(("." * node.level) + base)
            names.update(f"{'.' * node.level}{base}.{a.name}".replace("..", ".") if base else f"{'.' * node.level}{a.name}"
                         for a in node.names)
    return names


def _files(name: str):
    target = SRC / name
    return sorted(target.rglob("*.py")) if target.is_dir() else [SRC / f"{name}.py"]


def test_only_tracking_imports_mlflow():
    users = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if any(i.split(".")[0] == "mlflow" for i in _imports(p))]
    assert users == ["tracking.py"]


def test_modules_import_only_upstream():
    for layer, banned in FORBIDDEN.items():
        for path in _files(layer):
            for name in _imports(path):
                parts = [p for p in name.lstrip(".").split(".") if p]
                assert not (name.startswith(".") and parts and parts[0] in banned), f"{path.name} imports {name}"
