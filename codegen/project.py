"""Which project a command works on, found the way git and ruff find theirs.

A project is a folder holding ``spec/`` and ``pyproject.toml``. Spec commands
(build, fmt, diff, xlsx, refresh-data) need one: ``--root``, or the nearest
such folder from the working directory upward. Data commands (validate, send,
outbox) work from any folder: inside a project they use its generated
package, elsewhere the one that ships with the installed tool.
"""

from __future__ import annotations

from pathlib import Path, PurePath

import click

# The checkout (or installed tree) this tool runs from: its generated/ is the package
# data commands use outside any project.
TOOL_ROOT = Path(__file__).resolve().parent.parent

# A non-editable install has no checkout beside it: its wheel carries the generated package
# under codegen/_shipped/generated/ instead (setup.py puts it there).
SHIPPED_ROOT = Path(__file__).resolve().parent / "_shipped"

# Folders that Python and the checkers the project runs on the package (mypy, pytest, ruff)
# leave beside its files: never generated, never part of a vendored copy, never an orphan.
TOOL_CACHES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


def in_tool_cache(rel: PurePath) -> bool:
    """Whether ``rel`` (a path relative to generated/ or to a package) is in a tool cache."""
    return not TOOL_CACHES.isdisjoint(rel.parts)


def is_project(folder: Path) -> bool:
    return (folder / "spec").is_dir() and (folder / "pyproject.toml").is_file()


def find_project(start: Path) -> Path | None:
    """The nearest folder from ``start`` upward that is a project, or None."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if is_project(folder):
            return folder
    return None


def spec_root(ctx: click.Context) -> Path:
    """The project a spec command works on; a clear usage error outside any project."""
    obj = ctx.find_root().obj
    root: Path | None = obj.get("root")
    if root is not None:
        return root
    raise click.UsageError(
        f"在 {Path.cwd()} 及其上级目录中找不到项目（含 spec/ 与 pyproject.toml 的目录）；"
        "请在项目中运行，或用 --root 指定 "
        "(no project here or above: run inside one, or give --root)"
    )


def data_root(ctx: click.Context) -> Path:
    """Where a data command finds generated/: the project, else the installed tool."""
    obj = ctx.find_root().obj
    root: Path | None = obj.get("root")
    if root is not None:
        return root
    return SHIPPED_ROOT if SHIPPED_ROOT.is_dir() else TOOL_ROOT
