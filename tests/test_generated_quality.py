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


def test_runtime_modules_are_copied_with_their_line_numbers(project: Path) -> None:
    """client, outbox, mock and signing are the source files, header lines swapped in place.

    So mypy --strict on the package (above) checks the source, and coverage and tracebacks
    of the package's copies name the source's lines.
    """
    from codegen.targets.python.package import (
        RUNTIME_DIR,
        RUNTIME_MODULES,
        RUNTIME_PLACEHOLDER,
    )

    skip = RUNTIME_PLACEHOLDER.count("\n")
    for module in RUNTIME_MODULES:
        source = (RUNTIME_DIR / module).read_text(encoding="utf-8").splitlines()
        copied = (package_dir(project) / module).read_text(encoding="utf-8").splitlines()
        assert len(copied) == len(source), module
        assert copied[skip:] == source[skip:], module
        assert copied[0].startswith("# 由 gdzw-codegen 根据 spec/ 生成"), module


def test_runtime_module_without_placeholder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen.render.environment import RenderError
    from codegen.targets.python import package as python_package

    (tmp_path / "client.py").write_text('"""no placeholder"""\n', encoding="utf-8")
    monkeypatch.setattr(python_package, "RUNTIME_DIR", tmp_path)
    with pytest.raises(RenderError, match="RUNTIME_PLACEHOLDER"):
        python_package.runtime_module("client.py", "# h\n# h\n# h\n")
