"""The package's layers: data flows one way, so a layer imports only from the layers below it,
and only the tracking module talks to MLflow."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sahelrisk"

# Bottom to top. Root modules not listed (errors, calendar, countries, specs, geo, i18n) are the base layer.
LAYERS = ["data", "units", "features", "modeling", "scoring", "routes", "publishing", "api", "jobs", "cli"]


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


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports (from sahelrisk....)"
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_every_module_imports_only_its_own_layer_or_below():
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        own = _layer(_module(path))
        for name in _imports(path):
            if name.startswith("sahelrisk.") and _layer(name) > own:
                wrong.append(f"{_module(path)} imports {name}")
    assert wrong == []


def test_the_layer_rule_catches_an_upward_import():
    assert _layer("sahelrisk.data.sources.ucdp") < _layer("sahelrisk.features.panel")
    assert _layer("sahelrisk.errors") < _layer("sahelrisk.data.catalog")


def test_only_tracking_imports_mlflow():
    users = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if any(i.split(".")[0] == "mlflow" for i in _imports(p))]
    assert users == ["modeling/tracking.py"]
