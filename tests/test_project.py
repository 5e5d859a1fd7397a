"""The project a command works on is found from the working directory upward (issue 12 §6)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from conftest import REPO

CODEGEN = [sys.executable, "-m", "codegen.cli.main"]


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [*CODEGEN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _copy(project: Path, target: Path) -> Path:
    shutil.copytree(project / "spec", target / "spec")
    shutil.copytree(project / "generated", target / "generated")
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    return target


def test_spec_commands_find_the_project_above_the_working_directory(
    project: Path, tmp_path: Path
) -> None:
    copy = _copy(project, tmp_path / "copy")
    (copy / "generated" / "openapi.json").write_text("{}", encoding="utf-8")
    deep = copy / "spec" / "records"
    result = _run(deep, "build", "--check")
    # The copy's own generated/ is checked (and found stale), not this checkout's.
    assert result.returncode == 1, result.stderr
    assert "openapi.json" in result.stdout + result.stderr
    assert _run(deep, "build").returncode == 0
    assert json.loads((copy / "generated" / "openapi.json").read_text(encoding="utf-8"))
    assert _run(copy, "build", "--check").returncode == 0


def test_spec_commands_outside_any_project_give_a_clear_error(tmp_path: Path) -> None:
    for args in (["build"], ["fmt", "--check"], ["xlsx", "export", "x.xlsx"]):
        result = _run(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "找不到项目" in result.stderr and "--root" in result.stderr
        assert "Traceback" not in result.stderr


def test_root_overrides_the_search(project: Path, tmp_path: Path) -> None:
    copy = _copy(project, tmp_path / "copy")
    result = _run(tmp_path, "--root", str(copy), "build", "--check")
    assert result.returncode == 0, result.stderr


def test_data_commands_work_from_any_folder(pkg: ModuleType, tmp_path: Path) -> None:
    """Outside a project, validate uses the package that ships with the installed tool."""
    path = tmp_path / "accept.jsonl"
    path.write_text(json.dumps(pkg.EXAMPLES["accept"], ensure_ascii=False) + "\n", "utf-8")
    result = _run(tmp_path, "validate", "--interface", "accept", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 条记录" in result.stdout
