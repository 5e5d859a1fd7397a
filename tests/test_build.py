"""codegen build: deterministic, all-or-nothing, and --check catches drift."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.build import Rendered, as_bytes, find_drift, render_all, write_all
from codegen.cli.main import main
from conftest import REPO, SPEC_DIR


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture()
def tmp_project(tmp_path: Path, rendered: Rendered) -> Path:
    shutil.copytree(SPEC_DIR, tmp_path / "spec")
    write_all(rendered.files, tmp_path / "generated")
    return tmp_path


def test_rendering_is_deterministic(rendered: Rendered) -> None:
    again = render_all(SPEC_DIR)
    assert again.files == rendered.files


def test_expected_artefacts(rendered: Rendered) -> None:
    paths = set(rendered.files)
    for key in rendered.model.record_keys:
        assert f"jsonschema/{key}.schema.json" in paths
    assert "openapi.json" in paths
    assert "openapi-3.0.json" in paths
    assert "python/gdzw_uppro/py.typed" in paths
    assert {p for p in paths if p.endswith(".py")} >= {
        "python/gdzw_uppro/__init__.py",
        "python/gdzw_uppro/validators.py",
        "python/gdzw_uppro/records.py",
        "python/gdzw_uppro/codes.py",
        "python/gdzw_uppro/normalize.py",
    }


def test_every_file_carries_the_spec_hash(rendered: Rendered) -> None:
    spec_hash = rendered.spec.hash
    for path, text in rendered.files.items():
        if isinstance(text, bytes):
            continue  # binary formats (xlsx) carry the hash in their document properties
        if path.endswith(".py"):
            assert spec_hash in text.splitlines()[2], path
            assert "DO NOT EDIT" in text, path
        elif path.endswith(".json"):
            doc = json.loads(text)
            assert spec_hash in json.dumps(doc, ensure_ascii=False), path
            assert (
                text == json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
            ), path


def test_repository_generated_is_up_to_date(rendered: Rendered) -> None:
    """The committed generated/ is byte for byte what spec/ renders to.

    The behaviour tests import a fresh render of spec/ (the ``project`` and ``pkg``
    fixtures), never the committed generated/: the committed files are protected by
    this drift test alone (and ``codegen build --check``), so it must stay in CI.
    test_committed_package_works below runs the committed package itself once.
    """
    drift = find_drift(rendered, REPO / "generated")
    assert drift.clean, "\n".join(drift.lines())


SMOKE = """
import json, sys, uuid
import gdzw_uppro
from gdzw_uppro import EXAMPLES, Client, InvalidRecordError, validate
from gdzw_uppro.mock import MockGateway

out = {"file": gdzw_uppro.__file__, "invalid": {}, "refused": False}
out["problems"] = {key: [p.message for p in validate(key, EXAMPLES[key])] for key in EXAMPLES}
broken = dict(EXAMPLES["accept"], ApplyType="12")
out["invalid"] = [(p.field, p.code) for p in validate("accept", broken)]
records = [dict(EXAMPLES["accept"], RowGuid=str(uuid.UUID(int=n))) for n in (1, 2, 3)]
with MockGateway("smoke-token") as gateway:
    client = Client(token="smoke-token", base_url=gateway.base_url)
    client.accept.save(records[0])
    report = client.accept.batch_save(records[1:])
    try:
        client.accept.save(broken)
    except InvalidRecordError:
        out["refused"] = True
    out["outcomes"] = [o.status for o in report.outcomes]
    out["stored"] = [r["RowGuid"] for r in gateway.records("accept")]
    out["stored_as_sent"] = gateway.records("accept") == records
print(json.dumps(out, ensure_ascii=False))
"""


def test_committed_package_works(tmp_path: Path) -> None:
    """The committed generated/python itself (not a fresh render): it imports, validates
    the examples, and a client sends records to its own mock gateway, which stores them."""
    committed = REPO / "generated" / "python"
    done = subprocess.run(
        [sys.executable, "-c", SMOKE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(committed)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert Path(out["file"]).resolve() == committed / "gdzw_uppro" / "__init__.py"
    assert len(out["problems"]) == 8 and all(p == [] for p in out["problems"].values())
    assert out["invalid"] == [["ApplyType", "code"]]
    assert out["refused"] is True
    assert out["outcomes"] == ["sent", "sent"]
    assert out["stored"] == [str(uuid.UUID(int=n)) for n in (1, 2, 3)]
    assert out["stored_as_sent"] is True


def test_check_reports_stale_missing_orphan_and_writes_nothing(tmp_project: Path) -> None:
    generated = tmp_project / "generated"
    (generated / "openapi.json").write_text("{}\n", encoding="utf-8")
    (generated / "jsonschema" / "accept.schema.json").unlink()
    (generated / "python" / "stray.py").write_text("x = 1\n", encoding="utf-8")
    before = snapshot(generated)
    result = CliRunner().invoke(main, ["--root", str(tmp_project), "build", "--check"])
    assert result.exit_code == 1
    assert "generated/openapi.json: 已过时 (stale, out of date)" in result.output
    assert "generated/jsonschema/accept.schema.json: 缺失 (missing)" in result.output
    assert (
        "generated/python/stray.py: 多余，不由规范生成 (orphan, not generated by the spec)"
        in result.output
    )
    assert snapshot(generated) == before


def test_check_leaves_tool_caches_alone(tmp_project: Path) -> None:
    """What mypy, pytest, ruff and Python leave in generated/ is neither output nor orphan;
    a stray file beside them still is."""
    generated = tmp_project / "generated"
    for cache in ("__pycache__", ".mypy_cache/3.10", ".pytest_cache", ".ruff_cache"):
        (generated / "python" / cache).mkdir(parents=True)
        (generated / "python" / cache / "entry").write_text("x\n", encoding="utf-8")
    check = CliRunner().invoke(main, ["--root", str(tmp_project), "build", "--check"])
    assert check.exit_code == 0, check.output
    (generated / "python" / "mypy_cache_not.py").write_text("x = 1\n", encoding="utf-8")
    check = CliRunner().invoke(main, ["--root", str(tmp_project), "build", "--check"])
    assert check.exit_code == 1
    assert "generated/python/mypy_cache_not.py: 多余" in check.output


def test_check_reports_non_canonical_spec(tmp_project: Path) -> None:
    standard = tmp_project / "spec" / "standard.yaml"
    standard.write_text(
        standard.read_text(encoding="utf-8").replace("paasid: tysb-sjcj", "paasid: 'tysb-sjcj'", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--root", str(tmp_project), "build", "--check"])
    assert result.exit_code == 1
    assert "spec/standard.yaml: 不是规范布局，请运行 `codegen fmt`" in result.output
    fixed = CliRunner().invoke(main, ["--root", str(tmp_project), "fmt"])
    assert fixed.exit_code == 0 and "spec/standard.yaml" in fixed.output
    assert "1 file(s) rewritten" in fixed.output
    again = CliRunner().invoke(main, ["--root", str(tmp_project), "fmt"])
    assert again.exit_code == 0 and "0 file(s) rewritten" in again.output  # a line on success
    checked = CliRunner().invoke(main, ["--root", str(tmp_project), "fmt", "--check"])
    assert checked.exit_code == 0 and "canonical layout" in checked.output


def test_build_repairs_drift(tmp_project: Path, rendered: Rendered) -> None:
    generated = tmp_project / "generated"
    (generated / "openapi.json").write_text("{}\n", encoding="utf-8")
    (generated / "python" / "stray.py").write_text("x = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--root", str(tmp_project), "build"])
    assert result.exit_code == 0, result.output
    assert snapshot(generated) == {p: as_bytes(t) for p, t in rendered.files.items()}
    assert CliRunner().invoke(main, ["--root", str(tmp_project), "build", "--check"]).exit_code == 0


def test_failed_write_leaves_generated_untouched(
    tmp_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated = tmp_project / "generated"
    before = snapshot(generated)

    def broken(staging: Path, out_dir: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("codegen.build._swap", broken)
    with pytest.raises(OSError):
        write_all({"openapi.json": "changed\n"}, generated)
    assert snapshot(generated) == before
    assert sorted(p.name for p in tmp_project.iterdir()) == ["generated", "spec"]


def test_spec_edit_flows_to_every_artefact(tmp_project: Path) -> None:
    """One edit to spec/ followed by `codegen build` changes the generated outputs."""
    accept = tmp_project / "spec" / "records" / "accept.yaml"
    accept.write_text(
        accept.read_text(encoding="utf-8").replace("label: 事项名称", "label: 事项名称（改）", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--root", str(tmp_project), "build"])
    assert result.exit_code == 0, result.output
    generated = tmp_project / "generated"
    assert "事项名称（改）" in (generated / "jsonschema" / "accept.schema.json").read_text(
        encoding="utf-8"
    )
    assert "事项名称（改）" in (generated / "openapi.json").read_text(encoding="utf-8")
    package = generated / "python" / "gdzw_uppro"
    assert "事项名称（改）" in (package / "validators_accept.py").read_text(encoding="utf-8")
