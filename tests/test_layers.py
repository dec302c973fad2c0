"""The package's layers: data flows one way, so a layer imports only from the layers below it,
and only the tracking module talks to MLflow."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sahelrisk"

# Bottom to top. Root modules not listed (errors, calendar, countries, specs, files, geo, i18n) are the base layer.
LAYERS = ["data", "units", "features", "modeling", "evaluation", "registry", "scoring", "routes", "publishing",
          "jobs", "api", "serving", "console", "cli"]


def _layer(module: str) -> int:
    """Layer index of a dotted module under sahelrisk (-1: the base layer)."""
    parts = module.split(".")
    if parts == ["sahelrisk"]:  # the package's __init__ re-exports the public API: the top
        return len(LAYERS)
    top = parts[1] if len(parts) > 1 else ""
    return LAYERS.index(top) if top in LAYERS else -1


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, where: str) -> set[str]:
    """Every module a source imports; ``from sahelrisk import X`` counts as ``sahelrisk.X`` (a
    submodule) or, for a name the package re-exports, as the package itself (the top layer)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{where}: use absolute imports (from sahelrisk....)"
            if node.module != "sahelrisk":
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
                continue
            for alias in node.names:
                submodule = (SRC / alias.name).is_dir() or (SRC / f"{alias.name}.py").is_file()
                # A re-exported name comes from the package's __init__, the top layer.
                names.add(f"sahelrisk.{alias.name}" if submodule else "sahelrisk")
    return names


def _violations(module: str, source: str) -> list[str]:
    own = _layer(module)
    return [f"{module} imports {name}" for name in sorted(_imports(source, module))
            if (name == "sahelrisk" or name.startswith("sahelrisk.")) and _layer(name) > own]


def test_every_module_imports_only_its_own_layer_or_below():
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        wrong += _violations(_module(path), path.read_text())
    assert wrong == []


def test_the_rule_catches_planted_upward_imports():
    planted = {
        "from sahelrisk.api import score": "sahelrisk.api",
        "import sahelrisk.jobs.run": "sahelrisk.jobs.run",
        "from sahelrisk import score": "sahelrisk",          # a re-exported name: the package's top layer
        "from sahelrisk import cli": "sahelrisk.cli",       # a submodule by the package's name
        "def f():\n    from sahelrisk.scoring.week import score_week": "sahelrisk.scoring.week",
    }
    for source, target in planted.items():
        assert f"sahelrisk.data.readers imports {target}" in _violations("sahelrisk.data.readers", source), source


def test_the_rule_lets_a_layer_import_below_itself():
    assert _violations("sahelrisk.scoring.week", "from sahelrisk.features.panel import compute_panel\n"
                                                 "from sahelrisk import calendar") == []


def test_only_tracking_imports_mlflow():
    users = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
             if any(i.split(".")[0] == "mlflow" for i in _imports(p.read_text(), str(p)))]
    assert users == ["registry/tracking.py"]
