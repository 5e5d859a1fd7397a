"""Helpers the spec commands share: the project's spec/ and generated/, and spec errors as exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from codegen.project import spec_root
from codegen.render.environment import RenderError
from codegen.spec.errors import SpecError


def spec_paths(ctx: click.Context) -> tuple[Path, Path]:
    root = spec_root(ctx)
    return root / "spec", root / "generated"


def spec_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turns spec and render errors into a report on stderr and exit code 1
    (2 when a spec file cannot be read at all)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpecError as exc:
            click.echo(exc.report(), err=True)
            sys.exit(exc.exit_code)
        except RenderError as exc:
            click.echo(f"生成失败 (render failed): {exc}", err=True)
            sys.exit(1)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper
