"""Shared fixtures: the spec is rendered once per test session, not per test."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from codegen.build import Rendered, render_all, write_all
from codegen.loader import LoadedSpec, load_spec
from codegen.model import Model

REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO / "spec"

# CI runs hypothesis derandomized: the same examples every run.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def loaded() -> LoadedSpec:
    return load_spec(SPEC_DIR)


@pytest.fixture(scope="session")
def rendered() -> Rendered:
    return render_all(SPEC_DIR)


@pytest.fixture(scope="session")
def model(rendered: Rendered) -> Model:
    return rendered.model


@pytest.fixture(scope="session")
def project(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root (spec/ + freshly generated/) the tests may read but not change."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(SPEC_DIR, root / "spec")
    write_all(rendered.files, root / "generated")
    return root


@pytest.fixture(scope="session")
def pkg(project: Path) -> ModuleType:
    """The generated gdzw_uppro package, imported from this session's build."""
    python_dir = str(project / "generated" / "python")
    sys.path.insert(0, python_dir)
    sys.modules.pop("gdzw_uppro", None)
    return importlib.import_module("gdzw_uppro")


@pytest.fixture()
def spec_copy(tmp_path: Path) -> Path:
    """A private, writable copy of spec/ for tests that break it."""
    target = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, target)
    return target
