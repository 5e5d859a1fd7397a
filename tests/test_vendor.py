"""``codegen vendor``: copying the generated package downstream and telling when the copy
drifts (issue 15, "Vendoring that stays in sync")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from codegen.cli.main import main
from codegen.model.package_name import PACKAGE
from codegen.vendoring import MANIFEST_NAME, absolute_self_imports, sha256_of


def _vendor(project: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), "vendor", *args])


def _source(project: Path) -> Path:
    return project / "generated" / "python" / PACKAGE


def _manifest(target: Path) -> dict[str, object]:
    body = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


def _write_manifest(target: Path, body: dict[str, object]) -> None:
    (target / MANIFEST_NAME).write_text(json.dumps(body), encoding="utf-8")


def test_vendor_edit_check_refuse_then_force(project: Path, tmp_path: Path) -> None:
    result = _vendor(project, str(tmp_path))
    assert result.exit_code == 0, result.output
    target = tmp_path / PACKAGE
    source = _source(project)
    body = _manifest(target)
    files = body["files"]
    assert isinstance(files, dict)
    shipped = sorted(
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(files) == shipped and "py.typed" in files
    for rel, digest in files.items():
        assert (target / rel).read_bytes() == (source / rel).read_bytes()
        assert sha256_of(target / rel) == digest
    init = (source / "__init__.py").read_text(encoding="utf-8")
    assert f'__version__: Final = "{body["version"]}"' in init
    assert str(body["spec_hash"]) in init  # the do-not-edit line names the spec's hash

    assert _vendor(project, str(tmp_path), "--check").exit_code == 0

    edited = target / "client.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# 本地修改\n", encoding="utf-8")
    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1
    assert "本地已修改 (edited locally)" in check.output and "client.py" in check.output

    refused = _vendor(project, str(tmp_path))
    assert refused.exit_code == 1
    assert "client.py" in refused.stderr and "--force" in refused.stderr
    assert edited.read_text(encoding="utf-8").endswith("# 本地修改\n")  # left as it was

    forced = _vendor(project, str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert "client.py" in forced.output
    assert edited.read_bytes() == (source / "client.py").read_bytes()
    assert _vendor(project, str(tmp_path), "--check").exit_code == 0


def test_an_outdated_copy_fails_the_check_and_is_updated(project: Path, tmp_path: Path) -> None:
    assert _vendor(project, str(tmp_path)).exit_code == 0
    target = tmp_path / PACKAGE
    body = _manifest(target)
    # What an older release left: another version and spec, an older records.py.
    older = b"# an older records.py\n"
    (target / "records.py").write_bytes(older)
    files = body["files"]
    assert isinstance(files, dict)
    files["records.py"] = sha256_of(target / "records.py")
    body.update(version="2019.1.1", spec_hash="0" * 64)
    _write_manifest(target, body)

    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1
    assert "已过时 (outdated)" in check.output and "2019.1.1" in check.output
    assert "上游已更新 (changed upstream)" in check.output and "records.py" in check.output
    assert "本地已修改" not in check.output

    update = _vendor(project, str(tmp_path))  # unedited: no --force needed
    assert update.exit_code == 0, update.output
    assert (target / "records.py").read_bytes() == (_source(project) / "records.py").read_bytes()
    assert _vendor(project, str(tmp_path), "--check").exit_code == 0


def test_files_the_new_package_drops_are_removed_unless_edited(
    project: Path, tmp_path: Path
) -> None:
    assert _vendor(project, str(tmp_path)).exit_code == 0
    target = tmp_path / PACKAGE
    body = _manifest(target)
    files = body["files"]
    assert isinstance(files, dict)
    for rel in ("old_module.py", "old_edited.py"):
        (target / rel).write_text("# from an older release\n", encoding="utf-8")
        files[rel] = sha256_of(target / rel)
    _write_manifest(target, body)
    (target / "old_edited.py").write_text("# edited since\n", encoding="utf-8")

    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1
    assert "上游已删除 (dropped upstream)" in check.output and "old_module.py" in check.output

    update = _vendor(project, str(tmp_path))
    assert update.exit_code == 0, update.output
    assert not (target / "old_module.py").exists()
    assert (target / "old_edited.py").read_text(encoding="utf-8") == "# edited since\n"
    assert "old_edited.py" in update.output and "已保留" in update.output
    assert "old_edited.py" not in _manifest(target)["files"]  # type: ignore[operator]
    # Kept, it is now a file the manifest does not know.
    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1 and "extra" in check.output and "old_edited.py" in check.output


def test_a_missing_file_fails_the_check_and_is_restored(project: Path, tmp_path: Path) -> None:
    assert _vendor(project, str(tmp_path)).exit_code == 0
    (tmp_path / PACKAGE / "mock.py").unlink()
    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1 and "已缺失 (missing)" in check.output and "mock.py" in check.output
    assert _vendor(project, str(tmp_path)).exit_code == 0
    assert _vendor(project, str(tmp_path), "--check").exit_code == 0


def test_a_hand_made_copy_is_adopted_only_when_equal(project: Path, tmp_path: Path) -> None:
    target = tmp_path / PACKAGE
    shutil.copytree(_source(project), target)
    # No manifest: the check cannot judge the copy.
    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 2 and MANIFEST_NAME in check.stderr
    (target / "spec.py").write_text("# changed by hand\n", encoding="utf-8")
    refused = _vendor(project, str(tmp_path))
    assert refused.exit_code == 1 and "spec.py" in refused.stderr
    shutil.copy(_source(project) / "spec.py", target / "spec.py")
    adopted = _vendor(project, str(tmp_path))
    assert adopted.exit_code == 0, adopted.output
    assert "写入 0 个文件" in adopted.output
    assert _vendor(project, str(tmp_path), "--check").exit_code == 0


@pytest.mark.parametrize(
    "manifest",
    [
        "{not json",
        json.dumps({"format": 99}),
        json.dumps(
            {
                "format": 1,
                **dict.fromkeys(("package", "name", "version", "spec_version", "spec_hash"), "x"),
                "files": {"../../outside.py": "0" * 64},
            }
        ),
        # A version with a terminal escape: --check prints the version.
        json.dumps(
            {
                "format": 1,
                **dict.fromkeys(("package", "name", "spec_version", "spec_hash"), "x"),
                "version": "2019.3.1\x1b]0;owned\x07",
                "files": {},
            }
        ),
    ],
)
def test_a_damaged_manifest_is_unreadable_input(
    project: Path, tmp_path: Path, manifest: str
) -> None:
    assert _vendor(project, str(tmp_path)).exit_code == 0
    (tmp_path / PACKAGE / MANIFEST_NAME).write_text(manifest, encoding="utf-8")
    for args in (["--check"], []):
        result = _vendor(project, str(tmp_path), *args)
        assert result.exit_code == 2, result.output
        assert "清单已损坏" in result.stderr and MANIFEST_NAME in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_of_a_folder_without_a_copy_is_unreadable_input(
    project: Path, tmp_path: Path
) -> None:
    result = _vendor(project, str(tmp_path / "nowhere"), "--check")
    assert result.exit_code == 2 and "nowhere" in result.stderr


def test_the_package_works_under_another_name(project: Path, tmp_path: Path) -> None:
    # Every import of the package by itself is relative, so a rename needs no rewriting.
    assert absolute_self_imports(_source(project)) == []
    assert _vendor(project, str(tmp_path), "--name", "1bad").exit_code == 2
    result = _vendor(project, str(tmp_path), "--name", "uppro_vendored")
    assert result.exit_code == 0, result.output
    assert _manifest(tmp_path / "uppro_vendored")["name"] == "uppro_vendored"
    assert _vendor(project, str(tmp_path), "--name", "uppro_vendored", "--check").exit_code == 0
    script = (
        "import uppro_vendored as p, sys\n"
        "record = p.examples.EXAMPLES['accept']\n"
        "assert p.validate('accept', record) == [], p.validate('accept', record)\n"
        "assert p.AcceptRecord.from_dict(record).to_dict()['RowGuid'] == record['RowGuid']\n"
        "assert p.validate('accept', {})\n"
        "assert 'gdzw_uppro' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr


def test_a_package_importing_itself_by_name_is_not_renamed(tmp_path: Path, project: Path) -> None:
    copy = tmp_path / "generated" / "python" / PACKAGE
    shutil.copytree(_source(project), copy)
    (copy / "extra_module.py").write_text("import gdzw_uppro.spec\n", encoding="utf-8")
    assert absolute_self_imports(copy) == ["extra_module.py:1"]
    result = _vendor(tmp_path, str(tmp_path / "dest"), "--name", "renamed")
    assert result.exit_code == 2 and "extra_module.py:1" in result.stderr
    assert not (tmp_path / "dest").exists()


def test_a_symlink_in_the_copy_is_never_followed(project: Path, tmp_path: Path) -> None:
    """A symlink to a FIFO or a device would block or never end reading through it; it
    counts as a file of its own (an extra, or an edit when it stands in for one)."""
    assert _vendor(project, str(tmp_path)).exit_code == 0
    target = tmp_path / PACKAGE
    os.mkfifo(tmp_path / "fifo")
    (target / "pipe").symlink_to(tmp_path / "fifo")
    (target / "zero").symlink_to("/dev/zero")
    (target / "records.py").unlink()
    (target / "records.py").symlink_to(_source(project) / "records.py")
    result = _vendor(project, str(tmp_path), "--check")
    assert result.exit_code == 1, result.output
    assert f"(extra, not in the manifest): {target / 'pipe'}" in result.output
    assert f"(extra, not in the manifest): {target / 'zero'}" in result.output
    assert f"(edited locally): {target / 'records.py'}" in result.output
    assert _vendor(project, str(tmp_path)).exit_code == 1  # would overwrite the symlink
    result = _vendor(project, str(tmp_path), "--force")
    assert result.exit_code == 0, result.output
    assert not (target / "records.py").is_symlink()
    assert (target / "records.py").read_bytes() == (_source(project) / "records.py").read_bytes()


@pytest.mark.parametrize("name", ["a/b", "..", "class", "None", "ｇｄｚｗ", "ﬁle", ""])
def test_a_name_python_could_not_import_is_refused(
    project: Path, tmp_path: Path, name: str
) -> None:
    """Python imports a name in its NFKC form: a folder named "ｇｄｚｗ" is not found by
    ``import ｇｄｚｗ`` (it looks for "gdzw")."""
    result = _vendor(project, str(tmp_path), "--name", name)
    assert result.exit_code == 2, result.output
    assert "不是合法的 Python 包名" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_symlinked_package_folder_is_not_written_through(project: Path, tmp_path: Path) -> None:
    """DEST/NAME a symlink (say, committed by someone else to point at a folder of the
    user's): vendor refuses rather than write or delete files wherever it points."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine", encoding="utf-8")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / PACKAGE).symlink_to(elsewhere, target_is_directory=True)
    for args in ((), ("--force",)):
        result = _vendor(project, str(dest), *args)
        assert result.exit_code == 2, result.output
        assert "符号链接" in result.output
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]


def test_scratch_files_of_an_interrupted_run_are_cleared_by_the_next(
    project: Path, tmp_path: Path
) -> None:
    """A run killed while writing leaves its scratch file (``.records.py.XXXXXXXX``): the
    check names it, and the next vendor run removes it (else the check would fail for
    ever, telling to run vendor, which would not help). Look-alikes are left alone."""
    assert _vendor(project, str(tmp_path)).exit_code == 0
    target = tmp_path / PACKAGE
    scratch = [target / ".records.py.k3j_9zq1", target / f".{MANIFEST_NAME}.ab12cd34"]
    mine = [target / ".records.py.mine", target / ".notes.txt.ab12cd34"]
    for path in scratch + mine:
        path.write_bytes(b"half")
    check = _vendor(project, str(tmp_path), "--check")
    assert check.exit_code == 1 and ".records.py.k3j_9zq1" in check.output
    result = _vendor(project, str(tmp_path))
    assert result.exit_code == 0, result.output
    assert ".records.py.k3j_9zq1" in result.output
    assert [p.exists() for p in scratch + mine] == [False, False, True, True]
    for path in mine:
        path.unlink()
    assert _vendor(project, str(tmp_path), "--check").exit_code == 0


def test_a_manifest_that_is_not_a_regular_file_is_unreadable_input(
    project: Path, tmp_path: Path
) -> None:
    """A manifest replaced by a FIFO (or a symlink to one) would block the read for ever."""
    assert _vendor(project, str(tmp_path)).exit_code == 0
    manifest = tmp_path / PACKAGE / MANIFEST_NAME
    manifest.unlink()
    os.mkfifo(tmp_path / "fifo")
    manifest.symlink_to(tmp_path / "fifo")
    for args in (("--check",), ()):
        result = _vendor(project, str(tmp_path), *args)
        assert result.exit_code == 2, result.output
        assert "不是普通文件" in result.output
