"""Vendoring the generated package into a downstream project, and telling when it drifts.

``codegen vendor DEST`` copies ``generated/python/gdzw_uppro`` to ``DEST/NAME`` and writes
``DEST/NAME/VENDORED.json``: the package's version, the spec's version and hash, and each
file's SHA-256. The manifest is what later runs compare with: a file whose hash differs
from it was edited locally; a manifest that differs from the current package is outdated.
"""

from __future__ import annotations

import ast
import hashlib
import json
import keyword
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from codegen.files import write_whole
from codegen.project import in_tool_cache

MANIFEST_NAME = "VENDORED.json"
MANIFEST_FORMAT = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
# A manifest's file names: relative, forward slashes, no "." or ".." part (a damaged or
# hostile manifest must not reach outside the package's folder).
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_MAX_MANIFEST_BYTES = 1 << 20


class VendorError(Exception):
    """Input that cannot be read (exit 2): a folder, a file or the manifest."""


@dataclass(frozen=True)
class Manifest:
    package: str  # the generated package's own name
    name: str  # its name in the downstream project
    version: str  # the package's release (spec version + generator revision)
    spec_version: str
    spec_hash: str
    files: Mapping[str, str]  # relative path -> SHA-256

    def to_json(self) -> str:
        body = {
            "format": MANIFEST_FORMAT,
            "generator": "gdzw-codegen",
            "note": "由 codegen vendor 写入，请勿修改；检查：codegen vendor DEST --check "
            "(written by codegen vendor; do not edit)",
            "package": self.package,
            "name": self.name,
            "version": self.version,
            "spec_version": self.spec_version,
            "spec_hash": self.spec_hash,
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"

    @property
    def label(self) -> str:
        return f"{self.version}（spec {self.spec_hash[:12]}）"


def valid_name(name: str) -> bool:
    """An importable package name: an identifier, not a keyword, and in NFKC form (Python
    imports "ｇｄｚｗ" as "gdzw", which a folder named "ｇｄｚｗ" is not)."""
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and unicodedata.normalize("NFKC", name) == name
    )


def sha256_of(path: Path) -> str:
    """The file's SHA-256; a symlink's is that of its target's name, never of what it points
    to (a FIFO or a device there would block or never end), so it differs from any file's."""
    if path.is_symlink():
        return hashlib.sha256(b"symlink\0" + os.fsencode(os.readlink(path))).hexdigest()
    digest = hashlib.sha256()
    with _open_regular(path, getattr(os, "O_NOFOLLOW", 0)) as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_regular(path: Path, flags: int = 0) -> BinaryIO:
    """``path`` opened for reading; OSError unless it is a regular file (a FIFO or a
    device would block or never end). Opened without blocking, so a FIFO is not waited on."""
    handle = open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | flags), "rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise OSError(f"{path}: 不是普通文件 (not a regular file)")
    return handle


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """The package's files under ``folder`` (relative path, path), bytecode and the manifest
    left out, in a stable order."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        rel = relative.as_posix()
        if in_tool_cache(relative) or path.suffix == ".pyc" or rel == MANIFEST_NAME:
            continue
        if path.is_file() or path.is_symlink():
            yield rel, path


def file_hashes(folder: Path) -> dict[str, str]:
    try:
        return {rel: sha256_of(path) for rel, path in _files(folder)}
    except OSError as exc:
        raise VendorError(f"{folder}: 无法读取 (cannot read): {exc.strerror or exc}") from exc


def _constant(path: Path, name: str) -> str:
    """A module-level string constant of a generated module, read without importing it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise VendorError(f"{path}: 无法读取 (cannot read): {exc}") from exc
    for node in tree.body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        if value is not None and any(isinstance(t, ast.Name) and t.id == name for t in targets):
            literal = ast.literal_eval(value)
            if isinstance(literal, str):
                return literal
    raise VendorError(f"{path}: 找不到 {name} (no {name} in the generated module)")


def source_manifest(package_dir: Path, name: str) -> Manifest:
    """The manifest the current generated package would get under ``name``."""
    if not (package_dir / "__init__.py").is_file():
        raise VendorError(
            f"{package_dir}: 没有生成的包，请先运行 codegen build (run codegen build)"
        )
    return Manifest(
        package=package_dir.name,
        name=name,
        version=_constant(package_dir / "__init__.py", "__version__"),
        spec_version=_constant(package_dir / "spec.py", "VERSION"),
        spec_hash=_constant(package_dir / "spec.py", "SPEC_HASH"),
        files=file_hashes(package_dir),
    )


def absolute_self_imports(package_dir: Path) -> list[str]:
    """``file:line`` of every import of the package by its own name: such a module would
    break once the package is vendored under another name."""
    own = package_dir.name
    found: list[str] = []
    for rel, path in _files(package_dir):
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), rel)
        except (OSError, SyntaxError, UnicodeDecodeError) as exc:
            raise VendorError(f"{path}: 无法读取 (cannot read): {exc}") from exc
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module] if node.level == 0 and node.module else []
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(n == own or n.startswith(own + ".") for n in names):
                found.append(f"{rel}:{node.lineno}")
    return found


def read_manifest(target: Path) -> Manifest | None:
    """``target``'s manifest; None when it has none. A damaged one is a VendorError."""
    path = target / MANIFEST_NAME
    try:
        if not path.exists():
            return None
        with _open_regular(path) as handle:
            raw = handle.read(_MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise VendorError(f"{path}: 无法读取 (cannot read): {exc.strerror or exc}") from exc
    try:
        if len(raw) > _MAX_MANIFEST_BYTES:
            raise ValueError(f"超过 {_MAX_MANIFEST_BYTES} 字节 (too large)")
        return _parse_manifest(json.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError) as exc:
        raise VendorError(
            f"{path}: 清单已损坏，无法读取 (damaged manifest): {str(exc)[:200]}"
        ) from exc


def _parse_manifest(body: object) -> Manifest:
    if not isinstance(body, dict) or body.get("format") != MANIFEST_FORMAT:
        raise ValueError(
            f"不是第 {MANIFEST_FORMAT} 版清单 (not a format {MANIFEST_FORMAT} manifest)"
        )
    strings = {}
    for key in ("package", "name", "version", "spec_version", "spec_hash"):
        value = body.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{key} 应为字符串 (must be a string)")
        if len(value) > 200 or not value.isprintable():  # printed by --check: no escapes
            raise ValueError(f"{key} 含控制字符或过长 (control characters or too long)")
        strings[key] = value
    files = body.get("files")
    if not isinstance(files, dict):
        raise ValueError("files 应为对象 (must be an object)")
    for rel, digest in files.items():
        parts = rel.split("/")
        if not all(_PART.fullmatch(p) for p in parts) or rel == MANIFEST_NAME:
            raise ValueError(f"文件名 {rel[:100]!r} 不可用 (bad file name)")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ValueError(f"{rel} 的 SHA-256 不对 (bad digest)")
    return Manifest(files=dict(files), **strings)


@dataclass
class Drift:
    """How a vendored copy differs from its manifest and from the current package."""

    edited: list[str] = field(default_factory=list)  # differs from the manifest
    missing: list[str] = field(default_factory=list)  # in the manifest, not on disk
    extra: list[str] = field(default_factory=list)  # on disk, not in the manifest
    changed: list[str] = field(default_factory=list)  # the current package's differs
    added: list[str] = field(default_factory=list)  # new in the current package
    dropped: list[str] = field(default_factory=list)  # no longer in the current package
    other_release: bool = False  # the manifest names another version or spec

    @property
    def outdated(self) -> bool:
        return bool(self.changed or self.added or self.dropped or self.other_release)

    @property
    def in_sync(self) -> bool:
        return not (self.edited or self.missing or self.extra or self.outdated)


def drift(source: Manifest, manifest: Manifest, local: Mapping[str, str]) -> Drift:
    new, old = source.files, manifest.files
    return Drift(
        edited=[p for p in old if p in local and local[p] != old[p]],
        missing=[p for p in old if p not in local],
        extra=[p for p in local if p not in old],
        changed=[p for p in new if p in old and old[p] != new[p]],
        added=[p for p in new if p not in old],
        dropped=[p for p in old if p not in new],
        other_release=(manifest.version, manifest.spec_hash) != (source.version, source.spec_hash),
    )


@dataclass
class Plan:
    """What ``codegen vendor`` does to a target folder."""

    write: list[str] = field(default_factory=list)  # new or changed files to (re)write
    remove: list[str] = field(default_factory=list)  # dropped upstream, unedited
    conflicts: list[str] = field(default_factory=list)  # would overwrite a local edit
    kept: list[str] = field(default_factory=list)  # dropped upstream but edited: left
    scratch: list[str] = field(default_factory=list)  # left by an interrupted run: removed
    unchanged: int = 0


def plan(source: Manifest, manifest: Manifest | None, local: Mapping[str, str]) -> Plan:
    """A file may be overwritten when it is what the manifest says (unedited) or already
    what the current package holds (an interrupted run resumes); anything else is a
    conflict. Without a manifest every differing file is one: a copy made by hand."""
    old = manifest.files if manifest is not None else {}
    result = Plan()
    for rel, digest in source.files.items():
        have = local.get(rel)
        if have == digest:
            result.unchanged += 1
            continue
        result.write.append(rel)
        if have is not None and have != old.get(rel):
            result.conflicts.append(rel)
    for rel, digest in old.items():
        if rel in source.files or rel not in local:
            continue
        (result.remove if local[rel] == digest else result.kept).append(rel)
    ours = {*source.files, *old, MANIFEST_NAME}
    result.scratch = [rel for rel in local if _scratch_of(rel) in ours]
    return result


# The scratch file _replace writes beside a file: "." + its name + "." + mkstemp's 8
# characters; one left behind means a run was killed while writing.
_SCRATCH = re.compile(r"((?:[^/]*/)*)\.([^/]+)\.[a-z0-9_]{8}")


def _scratch_of(rel: str) -> str | None:
    """The file ``rel`` would be the scratch file of, if its name is one's."""
    match = _SCRATCH.fullmatch(rel)
    return None if match is None else match.group(1) + match.group(2)


def apply(plan: Plan, source_dir: Path, target: Path, manifest: Manifest) -> None:
    """Carries out ``plan``: each file replaced whole (written beside, then renamed), the
    manifest written last, so an interrupted run leaves no half-written file and the next
    run finishes it."""
    for rel in plan.write:
        _replace(target / rel, (source_dir / rel).read_bytes())
    for rel in (*plan.remove, *plan.scratch):
        (target / rel).unlink(missing_ok=True)
    _replace(target / MANIFEST_NAME, manifest.to_json().encode("utf-8"))


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, data, prefix=f".{path.name}.")  # the scratch name _SCRATCH knows
