"""``codegen vendor DEST [--name NAME] [--force] [--check]``: copy the generated package into a
downstream project and tell, later, whether that copy is still the current one.

The package copied is the project's generated one inside a project, else the one shipped
inside the installed tool, so downstream CI can run ``--check`` with just
``pip install gdzw-codegen``. Exit codes: 0 done or in sync; 1 refused (local edits) or out
of sync; 2 DEST, its manifest or the package cannot be read, or a bad ``--name``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from codegen.model.package_name import PACKAGE
from codegen.project import data_root
from codegen.vendoring import (
    MANIFEST_NAME,
    Drift,
    Manifest,
    Plan,
    VendorError,
    absolute_self_imports,
    apply,
    drift,
    file_hashes,
    plan,
    read_manifest,
    source_manifest,
    valid_name,
)


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--name",
    default=PACKAGE,
    show_default=True,
    help="The package's name in DEST (a Python identifier); the package imports itself "
    "only relatively, so it works under any name.",
)
@click.option("--force", is_flag=True, help="Overwrite files edited locally.")
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing: exit 1 if DEST/NAME is outdated or was edited, 0 if in sync.",
)
@click.pass_context
def vendor(ctx: click.Context, dest: Path, name: str, force: bool, check: bool) -> None:
    """Copy the generated package to DEST/NAME with a manifest (VENDORED.json), or
    check such a copy.

    复制生成的包到下游项目（DEST/NAME，附清单 VENDORED.json）；--check 检查副本是否过时或被修改。
    """
    if not valid_name(name):
        _fail(f"--name {name!r} 不是合法的 Python 包名 (not a valid Python package name)")
    source_dir = data_root(ctx) / "generated" / "python" / PACKAGE
    target = dest / name
    try:
        source = source_manifest(source_dir, name)
        if name != PACKAGE:
            _refuse_rename(source_dir, name)
        if check:
            sys.exit(_check(source, target))
        sys.exit(_vendor(source, source_dir, target, force))
    except VendorError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _refuse_rename(source_dir: Path, name: str) -> None:
    places = absolute_self_imports(source_dir)
    if places:
        raise VendorError(
            f"不能改名为 {name}：包用绝对导入引用自己 (cannot rename: the package imports "
            f"itself by name at {', '.join(places)})"
        )


def _check(source: Manifest, target: Path) -> int:
    if not target.is_dir():
        raise VendorError(f"{target}: 不存在或不是目录 (no vendored package here)")
    manifest = read_manifest(target)
    if manifest is None:
        raise VendorError(
            f"{target / MANIFEST_NAME}: 没有清单，无法判断 (no manifest): "
            "用 codegen vendor 重新复制 (vendor it with codegen vendor)"
        )
    found = drift(source, manifest, file_hashes(target))
    if found.in_sync:
        click.echo(f"{target}: 与当前包一致 (in sync) {source.label}")
        return 0
    click.echo(f"{target}: 与当前包不一致 (out of sync)")
    for line in _drift_lines(found, source, manifest, target):
        click.echo(f"  {line}")
    rename = "" if target.name == source.package else f" --name {target.name}"
    click.echo(
        f"  运行 codegen vendor {target.parent}{rename} 更新；本地修改的文件需 --force "
        "(run codegen vendor to update; edited files need --force)"
    )
    return 1


def _drift_lines(found: Drift, source: Manifest, manifest: Manifest, target: Path) -> list[str]:
    lines = []
    if found.other_release:
        lines.append(
            f"已过时 (outdated): 副本为 {manifest.label}，当前为 {source.label} "
            f"(vendored {manifest.version}, current {source.version})"
        )
    groups: tuple[tuple[str, list[str]], ...] = (
        ("本地已修改 (edited locally)", found.edited),
        ("已缺失 (missing)", found.missing),
        ("清单之外的文件 (extra, not in the manifest)", found.extra),
        ("上游已更新 (changed upstream)", found.changed),
        ("上游新增 (new upstream)", found.added),
        ("上游已删除 (dropped upstream)", found.dropped),
    )
    for title, files in groups:
        lines += [f"{title}: {target / rel}" for rel in files]
    return lines


def _vendor(source: Manifest, source_dir: Path, target: Path, force: bool) -> int:
    if target.is_symlink():  # its files would be written (or deleted) wherever it points
        raise VendorError(
            f"{target}: 是符号链接，不会写入它指向的目录 (a symlink: not written through)"
        )
    if target.exists() and not target.is_dir():
        raise VendorError(f"{target}: 不是目录 (not a directory)")
    manifest = read_manifest(target) if target.is_dir() else None
    local = file_hashes(target) if target.is_dir() else {}
    work = plan(source, manifest, local)
    if work.conflicts and not force:
        why = (
            "本地已修改 (edited locally)"
            if manifest
            else "与包不同且没有清单 (differs; no manifest)"
        )
        click.echo(f"{target}: 未复制，以下文件会被覆盖 (refused: would overwrite):", err=True)
        for rel in work.conflicts:
            click.echo(f"  {why}: {target / rel}", err=True)
        click.echo("  确认覆盖请加 --force (give --force to overwrite them)", err=True)
        return 1
    try:
        apply(work, source_dir, target, source)
    except OSError as exc:
        raise VendorError(f"{target}: 无法写入 (cannot write): {exc}") from exc
    _report(target, source, work, manifest)
    return 0


def _report(target: Path, source: Manifest, work: Plan, manifest: Manifest | None) -> None:
    if manifest is not None and manifest.label != source.label:
        click.echo(f"{target}: {manifest.label} → {source.label}")
    _list("已覆盖本地修改 (overwrote local edits)", target, work.conflicts)
    _list("已删除上游删除的文件 (removed, dropped upstream)", target, work.remove)
    _list("上游已删除但本地修改过，已保留 (dropped upstream but edited: kept)", target, work.kept)
    _list(
        "已删除中断的运行留下的临时文件 (removed, left by an interrupted run)", target, work.scratch
    )
    click.echo(
        f"{target}: 写入 {len(work.write)} 个文件，{work.unchanged} 个未变，删除 {len(work.remove)} 个 "
        f"(wrote {len(work.write)}, unchanged {work.unchanged}, removed {len(work.remove)}) "
        f"{source.label}"
    )


def _list(title: str, target: Path, files: Iterable[str]) -> None:
    for rel in files:
        click.echo(f"  {title}: {target / rel}")
