"""The layout stays readable (docs/architecture.md): every module of models/ and gql/ at most 300 lines, every function
at most 60, and one package per area, each holding modules only of its own."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("models", "gql")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
VENDORED = ROOT / "gql" / "http" / "static"


def _modules() -> list[Path]:
    return [path for top in SOURCES for path in sorted((ROOT / top).rglob("*.py")) if VENDORED not in path.parents]


def test_no_module_is_over_300_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines():
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert long == {}


def test_models_and_gql_hold_packages_only():
    """A module on the floor of models/ or gql/ belongs to no area: it goes into the area's package."""
    loose = sorted(
        str(path.relative_to(ROOT))
        for top in SOURCES
        for path in (ROOT / top).glob("*.py")
        if path.name not in {"__init__.py", "__main__.py"}
    )
    assert loose == []


def test_every_package_folder_is_installed():
    """A new area's folder must be listed in pyproject.toml's packages, or a wheel leaves it out."""
    text = (ROOT / "pyproject.toml").read_text()
    missing = [
        f"seatwise.{'.'.join(init.parent.relative_to(ROOT).parts)}"
        for top in SOURCES
        for init in sorted((ROOT / top).rglob("__init__.py"))
        if f'"seatwise.{".".join(init.parent.relative_to(ROOT).parts)}"' not in text
    ]
    assert missing == []
