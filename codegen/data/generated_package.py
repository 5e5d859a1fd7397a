"""Imports the generated ``gdzw_uppro`` package, so the CLI validates with
exactly the code downstream projects vendor (one implementation, not two)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

from codegen.model.package_name import PACKAGE


def load_generated_package(out_dir: Path) -> ModuleType:
    python_dir = (out_dir / "python").resolve()
    init = python_dir / PACKAGE / "__init__.py"
    if not init.is_file():
        raise click.ClickException(
            f"{python_dir / PACKAGE} does not exist: run `codegen build` first"
        )
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != init:
        # Another build's package is imported: drop it so this one is used.
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]
    if str(python_dir) in sys.path:
        sys.path.remove(str(python_dir))
    sys.path.insert(0, str(python_dir))
    return importlib.import_module(PACKAGE)
