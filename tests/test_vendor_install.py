"""The two installed forms of the generated package (issue 15, "Vendoring that stays in
sync"): ``pip install generated/python`` into a fresh virtual environment, and the tool's
own wheel, which ships the package so ``codegen vendor --check`` runs outside this
repository. Each builds and installs for real (slow-ish; pip's cache makes it seconds)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from codegen.model.package_name import PACKAGE
from conftest import REPO
from needs import need

tomllib = pytest.importorskip("tomllib")


def _run(args: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _fresh_venv(where: Path) -> Path:
    """A new virtual environment's python; skipped (outside CI) where none can be made."""
    made = _run([sys.executable, "-m", "venv", where])
    need(made.returncode == 0, f"python -m venv (with ensurepip): {made.stderr[-300:]}")
    return where / "bin" / "python"


def _listing(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if "__pycache__" not in p.parts
    )


def test_pip_install_of_generated_python_into_a_fresh_venv(project: Path, tmp_path: Path) -> None:
    source = project / "generated" / "python"
    before = _listing(source)
    python = _fresh_venv(tmp_path / "venv")
    installed = _run([python, "-m", "pip", "install", "-q", source])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # flit_core builds in pip's temporary folder: no egg-info, no build/ in generated/.
    assert _listing(source) == before

    script = (
        "import importlib.metadata as m, json, pathlib, gdzw_uppro as p\n"
        "record = p.examples.EXAMPLES['accept']\n"
        "dist = m.distribution('gdzw-uppro')\n"
        "print(json.dumps({'version': p.__version__, 'dist_version': dist.version,\n"
        "  'spec_version': p.VERSION, 'file': p.__file__,\n"
        "  'valid': p.validate('accept', record) == [],\n"
        "  'invalid': len(p.validate('accept', {**record, 'RowGuid': None})),\n"
        "  'typed': (pathlib.Path(p.__file__).parent / 'py.typed').is_file(),\n"
        "  'requires': dist.requires or []}))\n"
    )
    ran = _run([python, "-c", script], cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    facts = json.loads(ran.stdout)
    assert facts["version"] == facts["dist_version"]
    assert facts["version"].startswith(facts["spec_version"] + ".")
    assert str(tmp_path / "venv") in facts["file"]  # the installed copy, not the source
    assert facts["valid"] and facts["invalid"] == 1 and facts["typed"]
    tool = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    postgres = tool["project"]["optional-dependencies"]["postgres"]
    # No dependencies; the postgres extra bounded as the tool's own.
    assert [r.split(";")[0].replace(" ", "") for r in facts["requires"]] == postgres
    assert all('extra == "postgres"' in r for r in facts["requires"])


def test_the_tools_wheel_ships_the_package_for_vendor_check_outside_a_project(
    tmp_path: Path, pkg: ModuleType
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "codegen", src / "codegen", ignore=ignore)
    shutil.copytree(REPO / "generated" / "python", src / "generated" / "python", ignore=ignore)
    shutil.copytree(REPO / "templates", src / "templates", ignore=ignore)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "wheels", src]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "wheels").glob("gdzw_codegen-*.whl")

    package = REPO / "generated" / "python" / PACKAGE
    shipped = "codegen/_shipped/generated/python/" + PACKAGE + "/"
    with zipfile.ZipFile(wheel) as archive:
        names = {n[len(shipped) :] for n in archive.namelist() if n.startswith(shipped)}
        assert names == set(_listing(package))
        for name in names:
            assert archive.read(shipped + name) == (package / name).read_bytes(), name
        templates = "codegen/_shipped/templates/"
        shipped_templates = {
            n[len(templates) :] for n in archive.namelist() if n.startswith(templates)
        }
        on_disk = {str(p.relative_to(REPO / "templates")) for p in (REPO / "templates").rglob("*")}
        assert shipped_templates == {n for n in on_disk if (REPO / "templates" / n).is_file()}

    python = _fresh_venv(tmp_path / "venv")
    installed = _run([python, "-m", "pip", "install", "-q", wheel])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    codegen = tmp_path / "venv" / "bin" / "codegen"
    downstream = tmp_path / "downstream"  # no spec/ here or above: the tool's own package
    downstream.mkdir()
    vendored = _run([codegen, "vendor", "app"], cwd=downstream)
    assert vendored.returncode == 0, vendored.stderr
    assert (downstream / "app" / PACKAGE / "py.typed").is_file()
    assert _run([codegen, "vendor", "app", "--check"], cwd=downstream).returncode == 0
    spec = downstream / "app" / PACKAGE / "spec.py"
    spec.write_text(spec.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    check = _run([codegen, "vendor", "app", "--check"], cwd=downstream)
    assert check.returncode == 1 and "spec.py" in check.stdout

    # validate --report renders the shipped templates, with no checkout beside the tool.
    records = downstream / "accept.jsonl"
    valid = importlib.import_module(pkg.__name__ + ".examples").EXAMPLES["accept"]
    records.write_text(json.dumps(valid) + "\n" + json.dumps({**valid, "RowGuid": None}) + "\n")
    reported = _run(
        [codegen, "validate", "accept=accept.jsonl", "--report", "r.html", "--report", "r.json"],
        cwd=downstream,
    )
    assert reported.returncode == 1, reported.stderr
    summary = json.loads((downstream / "r.json").read_text(encoding="utf-8"))
    assert summary["summary"]["records"] == 2 and summary["summary"]["invalid"] == 1
    assert "RowGuid" in (downstream / "r.html").read_text(encoding="utf-8")
