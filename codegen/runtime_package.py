"""Imports the generated ``gdzw_uppro`` package, so the CLI validates with
exactly the code downstream projects vendor (one implementation, not two)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

from codegen.model_builder import PACKAGE


def load_generated_package(out_dir: Path) -> ModuleType:
    python_dir = (out_dir / "python").resolve()
    if not (python_dir / PACKAGE / "__init__.py").is_file():
        raise click.ClickException(
            f"{python_dir / PACKAGE} does not exist: run `codegen build` first"
        )
    if str(python_dir) not in sys.path:
        sys.path.insert(0, str(python_dir))
    return importlib.import_module(PACKAGE)
