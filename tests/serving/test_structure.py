"""The web app's code stays small: routers of short handlers over shared helpers."""

import ast
from pathlib import Path

SERVING = Path(__file__).resolve().parents[2] / "src" / "sahelrisk" / "serving"


def _long_functions(source: str, most: int) -> list[str]:
    return [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > most]


def test_no_function_of_the_web_app_is_over_80_lines():
    found = {path.name: _long_functions(path.read_text(), 80) for path in sorted(SERVING.glob("*.py"))}
    assert {name: long for name, long in found.items() if long} == {}


def test_the_rule_finds_a_long_function():
    assert _long_functions("def f():\n" + "    x = 1\n" * 90, 80) == ["f (91 lines)"]
