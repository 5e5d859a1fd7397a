"""The package face: ``import gdzw_uppro`` loads only what the names used need (PEP 562),
and type checkers still see every name, so a misspelt one fails ``mypy --strict``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
before = set(sys.modules)
import gdzw_uppro as g
loaded = {"import": sorted(m for m in sys.modules if m.startswith("gdzw_uppro."))}
example = g.EXAMPLES["accept"]
g.validate("accept", example)
loaded["validate"] = sorted(m for m in sys.modules if m.startswith("gdzw_uppro."))
g.validate("accept", example, "strict")
loaded["strict"] = sorted(m for m in sys.modules if m.startswith("gdzw_uppro."))
print(json.dumps(loaded))
"""


def run_python(project: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=project / "generated" / "python",
        check=False,
    )


def test_import_and_validate_load_only_what_they_need(project: Path) -> None:
    result = run_python(project, PROBE)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # normalize() is bound at import: its module shares its name.
    assert loaded["import"] == ["gdzw_uppro.normalize", "gdzw_uppro.spec"]
    validate = set(loaded["validate"])
    assert "gdzw_uppro.validators_accept" in validate
    assert not validate & {
        "gdzw_uppro.records",
        "gdzw_uppro.client",
        "gdzw_uppro.outbox",
        "gdzw_uppro.mock",
        "gdzw_uppro.reference",
        "gdzw_uppro.codes",
        "gdzw_uppro.validators_process",
    }
    # The strict profile's division checks load the reference data (accept has division codes).
    assert "gdzw_uppro.reference" in loaded["strict"]
    assert "gdzw_uppro.mock" not in loaded["strict"]


def test_names_load_on_first_use(pkg: object) -> None:
    import gdzw_uppro

    assert gdzw_uppro.Client.__module__ == "gdzw_uppro.client"
    assert gdzw_uppro.AcceptRecord.__module__ == "gdzw_uppro.records"
    assert callable(gdzw_uppro.normalize)  # the function, though its module is imported
    assert gdzw_uppro.spec.RECORD_KEYS == gdzw_uppro.RECORD_KEYS
    assert gdzw_uppro.validators.validate_accept is gdzw_uppro.VALIDATORS["accept"]
    assert set(gdzw_uppro.__all__) <= set(dir(gdzw_uppro))
    assert gdzw_uppro.__version__.startswith(gdzw_uppro.VERSION + ".")  # + the revision
    for name in gdzw_uppro.__all__:
        assert getattr(gdzw_uppro, name) is not None


def test_misspelt_names_raise_attribute_and_import_errors(project: Path) -> None:
    code = """
import gdzw_uppro
try:
    gdzw_uppro.Clinet
except AttributeError as exc:
    print("AttributeError", exc)
try:
    from gdzw_uppro import Clinet
except ImportError as exc:
    print("ImportError", exc)
try:
    gdzw_uppro.validators.validate_nothing
except AttributeError as exc:
    print("AttributeError", exc)
"""
    result = run_python(project, code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "AttributeError module 'gdzw_uppro' has no attribute 'Clinet'"
    assert lines[1].startswith("ImportError cannot import name 'Clinet' from 'gdzw_uppro'")
    assert "validate_nothing" in lines[2]


def test_misspelt_name_fails_mypy_strict_downstream(project: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(
        "from gdzw_uppro import AcceptRecord, Client, Outbox, __version__, normalize, validate\n"
        "from gdzw_uppro.validators import validate_accept\n\n"
        "problems = validate('accept', {})\n"
        "first: str = problems[0].field or ''\n"
        "record: AcceptRecord | None = None\n"
        "names = (Client, Outbox, normalize, validate_accept, __version__.upper())\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.py"
    bad.write_text("from gdzw_uppro import Clinet\n\nprint(Clinet)\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(good), str(bad)],
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(project / "generated" / "python"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout
    assert errors and all(line.startswith("bad.py:") for line in errors), result.stdout
    assert 'Module "gdzw_uppro" has no attribute "Clinet"' in result.stdout
