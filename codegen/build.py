"""``codegen build``: render every target in memory, then write all or nothing.

Rendering never touches ``generated/``. Writing goes to a sibling temporary
directory that replaces ``generated/`` only once every file is written, so a
failed build leaves the previous output exactly as it was, and a killed one
is finished or undone by the next (``recover``).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from codegen.build_cache import (
    DEFAULT_TEMPLATES_DIR as TEMPLATES_DIR,
)
from codegen.build_cache import KEEP_BUILDS, generator_digest, key_of, load, store
from codegen.model.builder import build_model
from codegen.model.types import Model
from codegen.project import in_tool_cache
from codegen.spec.canonical import NOT_CANONICAL, non_canonical
from codegen.spec.loader import LoadedSpec, SpecFileRefused, load_spec, read_spec_text

FileContent = str | bytes


class Rendered:
    """Everything a spec renders to: path relative to generated/ → content (text, written
    as UTF-8, or bytes), the spec's hash, and the spec files not in the canonical layout.

    ``spec`` and ``model`` are loaded on first use when the files came from the build cache.
    """

    def __init__(
        self,
        files: dict[str, FileContent],
        spec_hash: str,
        layout: tuple[str, ...],
        spec_dir: Path,
        spec: LoadedSpec | None = None,
        model: Model | None = None,
    ) -> None:
        self.files = files
        self.spec_hash = spec_hash
        self.layout = layout
        self.spec_dir = spec_dir
        self._spec = spec
        self._model = model

    @property
    def spec(self) -> LoadedSpec:
        if self._spec is None:
            self._spec = load_spec(self.spec_dir)
        return self._spec

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = build_model(self.spec)
        return self._model


def render_all(spec_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> Rendered:
    """Renders every target; an unchanged spec and generator reuse the last build's output."""
    inputs = spec_inputs(spec_dir)
    key = None if inputs is None else key_of("build", generator_digest(templates_dir), *inputs)
    if key is not None:
        hit = load("build", key)
        if isinstance(hit, tuple) and len(hit) == 3:
            files, spec_hash, layout = hit
            return Rendered(files, spec_hash, layout, spec_dir)
    spec = load_spec(spec_dir)
    model = build_model(spec)
    files = render_targets(model, templates_dir)
    layout = tuple(non_canonical(spec.docs, spec.texts))
    rendered = Rendered(files, spec.hash, layout, spec_dir, spec, model)
    if key is not None and inputs is not None and _read_the_same(spec.texts, inputs):
        store("build", key, (files, spec.hash, layout), keep=KEEP_BUILDS)
    return rendered


def render_targets(model: Model, templates_dir: Path = TEMPLATES_DIR) -> dict[str, FileContent]:
    from codegen.render.environment import make_environment, make_html_environment
    from codegen.targets import html_reference, json_schema, openapi, openapi30, xlsx_templates
    from codegen.targets.python import package as python_package

    env = make_environment(templates_dir)
    targets: tuple[Callable[[], Mapping[str, FileContent]], ...] = (
        lambda: python_package.render(model, env),
        lambda: json_schema.render(model),
        lambda: openapi.render(model),
        lambda: openapi30.render(model),
        lambda: xlsx_templates.render(model),
        lambda: html_reference.render(model, make_html_environment(templates_dir)),
    )
    files: dict[str, FileContent] = {}
    for target in targets:
        for path, text in target().items():
            if path in files:
                raise RuntimeError(f"two targets write {path}")  # a generator bug
            files[path] = text
    return dict(sorted(files.items()))


def spec_inputs(spec_dir: Path) -> tuple[str, ...] | None:
    """Every file under spec/ as (path, text) parts of the build's cache key, or None when
    one cannot be read as a spec file (the loader then reports it)."""
    if not spec_dir.is_dir():
        return None
    parts: list[str] = []
    try:
        for path in sorted(spec_dir.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                continue
            parts += [path.relative_to(spec_dir).as_posix(), read_spec_text(path)]
    except (OSError, UnicodeDecodeError, SpecFileRefused):
        return None
    return tuple(parts)


def _read_the_same(texts: Mapping[str, str], inputs: tuple[str, ...]) -> bool:
    """Whether the loader read the texts the key was made of (no edit in between)."""
    pairs = dict(zip(inputs[::2], inputs[1::2], strict=True))
    return all(pairs.get(rel) == text for rel, text in texts.items())


@dataclass(frozen=True)
class Drift:
    """How ``generated/`` and the spec's layout differ from what the spec produces."""

    stale: tuple[str, ...]
    missing: tuple[str, ...]
    orphans: tuple[str, ...]
    spec_layout: tuple[str, ...]
    leftovers: tuple[str, ...] = ()  # folders an interrupted build left beside generated/

    @property
    def clean(self) -> bool:
        return not (
            self.stale or self.missing or self.orphans or self.spec_layout or self.leftovers
        )

    def lines(self) -> list[str]:
        out = [f"generated/{p}: 已过时 (stale, out of date)" for p in self.stale]
        out += [f"generated/{p}: 缺失 (missing)" for p in self.missing]
        out += [
            f"generated/{p}: 多余，不由规范生成 (orphan, not generated by the spec)"
            for p in self.orphans
        ]
        out += [f"spec/{p}: {NOT_CANONICAL}" for p in self.spec_layout]
        out += [
            f"{p}: 中断的构建留下的文件，请运行 `codegen build` "
            "(left by an interrupted build: run `codegen build`)"
            for p in self.leftovers
        ]
        return out


def existing_files(out_dir: Path) -> dict[str, Path]:
    if not out_dir.is_dir():
        return {}
    found = {}
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir)
        if path.is_file() and not in_tool_cache(rel):
            found[rel.as_posix()] = path
    return found


def find_drift(rendered: Rendered, out_dir: Path) -> Drift:
    existing = existing_files(out_dir)
    stale, missing = [], []
    for rel, text in rendered.files.items():
        path = existing.get(rel)
        if path is None:
            missing.append(rel)
        elif path.read_bytes() != as_bytes(text):
            stale.append(rel)
    orphans = sorted(set(existing) - set(rendered.files))
    left = tuple(path.name for path in leftovers(out_dir))
    return Drift(tuple(stale), tuple(missing), tuple(orphans), rendered.layout, left)


def as_bytes(content: FileContent) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


# Sibling folders of generated/ while a build writes it; the name says how far it got.
STAGING = ".tmp-"  # being written: never used, removed by the next build
READY = ".new-"  # written whole: replaces generated/ (renamed from .tmp-)
RETIRED = ".old-"  # the previous generated/, removed once the new one is in place
LEFTOVER_KINDS = (STAGING, READY, RETIRED)

# Every rename of a build goes through here (tests stop a build between two renames).
_rename: Callable[[Path, Path], None] = os.replace


def write_all(files: Mapping[str, FileContent], out_dir: Path) -> str | None:
    """Replaces ``out_dir`` with exactly ``files``, all or nothing.

    The files are written to ``<out>.tmp-*``, which is renamed ``<out>.new-*``
    once complete; then ``out_dir`` becomes ``<out>.old-*``, the new folder takes
    its place and the old one is removed. On an error the previous output is put
    back. A build killed between those renames leaves folders that say how far it
    got, and the next one finishes or undoes the swap first (``recover``).
    Folders and files get the ordinary permissions (the umask's), not 0700. When
    ``out_dir`` already holds exactly ``files``, nothing is written.
    Returns what ``recover`` did, if anything.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir.parent):
        recovered = recover(out_dir)
        if _holds_exactly(out_dir, files):
            return recovered  # nothing to change: nothing is rewritten
        staging = _new_dir(out_dir, STAGING)
        try:
            for rel, text in files.items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                # Bytes, not text mode: "\n" stays "\n" on every platform.
                target.write_bytes(as_bytes(text))
            ready = _sibling(out_dir, READY, staging.name.rpartition("-")[2])
            _rename(staging, ready)
            staging = ready
            _swap(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return recovered


def _holds_exactly(out_dir: Path, files: Mapping[str, FileContent]) -> bool:
    """Whether ``out_dir`` holds exactly ``files``, byte for byte (and nothing else)."""
    existing = existing_files(out_dir)
    if existing.keys() != files.keys():
        return False
    try:
        return all(existing[rel].read_bytes() == as_bytes(files[rel]) for rel in files)
    except OSError:
        return False


def leftovers(out_dir: Path) -> list[Path]:
    """Folders an interrupted build left beside ``out_dir``, oldest first."""
    out_dir = out_dir.resolve()
    if not out_dir.parent.is_dir():
        return []
    found = [
        path
        for path in out_dir.parent.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and any(path.name.startswith(out_dir.name + kind) for kind in LEFTOVER_KINDS)
    ]
    return sorted(found, key=lambda path: (path.stat().st_mtime_ns, path.name))


def recover(out_dir: Path) -> str | None:
    """Finishes or undoes a swap a killed build left half done; removes its leftovers.

    Without ``out_dir``: a ``.new-*`` folder (written whole) takes its place, else
    the ``.old-*`` one (the previous output) goes back. Every other leftover is
    removed. Returns what was done, or None when there was nothing to do.
    """
    out_dir = out_dir.resolve()
    found = leftovers(out_dir)
    if not found:
        return None
    done = None
    if not out_dir.exists():
        for kind, what in ((READY, "finished"), (RETIRED, "undone")):
            candidates = [p for p in found if p.name.startswith(out_dir.name + kind)]
            if candidates:
                _rename(candidates[-1], out_dir)
                found.remove(candidates[-1])
                done = f"an interrupted build was {what}: {candidates[-1].name} -> {out_dir.name}"
                break
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    names = ", ".join(p.name for p in found)
    removed = f"removed {names}" if found else ""
    return "; ".join(part for part in (done, removed) if part)


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        _rename(staging, out_dir)
        return
    retired = _sibling(out_dir, RETIRED, staging.name.rpartition("-")[2])
    _rename(out_dir, retired)
    try:
        _rename(staging, out_dir)
    except BaseException:
        _rename(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _sibling(out_dir: Path, kind: str, suffix: str) -> Path:
    return out_dir.with_name(f"{out_dir.name}{kind}{suffix}")


def _new_dir(out_dir: Path, kind: str) -> Path:
    """A new empty sibling folder, made with the umask's permissions (mkdtemp's are 0700)."""
    for _ in range(100):
        path = _sibling(out_dir, kind, secrets.token_hex(4))
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free name for a {kind} folder beside {out_dir}")


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One build at a time per folder: an advisory lock on the folder itself (POSIX)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
