"""The generated package is clean under black, ruff and mypy --strict, and stdlib-only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

STDLIB = set(sys.stdlib_module_names)


def package_dir(project: Path) -> Path:
    return project / "generated" / "python" / "gdzw_uppro"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=REPO)


def test_black_clean(project: Path) -> None:
    result = run(
        "black", "--check", "--config", str(REPO / "pyproject.toml"), str(package_dir(project))
    )
    assert result.returncode == 0, result.stderr


def test_ruff_clean(project: Path) -> None:
    result = run(
        "ruff", "check", "--config", str(REPO / "pyproject.toml"), str(package_dir(project))
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("python_version", ["3.10", "3.12"])
def test_mypy_strict(project: Path, python_version: str) -> None:
    result = run(
        "mypy",
        "--strict",
        "--python-version",
        python_version,
        "--no-incremental",
        str(package_dir(project)),
    )
    assert result.returncode == 0, result.stdout


def test_standard_library_only(project: Path) -> None:
    for path in package_dir(project).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in STDLIB | {"__future__"}, (path.name, module)
