"""Tests that need something from the machine: skipped outside CI, failed in CI.

CI (env CI set, as `.ci/run` does) installs everything these tests need, so a
missing piece there is a broken CI setup to report, never a reason to skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

IN_CI = bool(os.environ.get("CI"))


def need(available: bool, what: str) -> None:
    """Skips the calling test unless ``what`` is ``available``; under CI, fails it instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI must have {what}: see .ci/run", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def need_module(name: str, what: str) -> ModuleType:
    """The module ``name``, imported; else as need() does for ``what``."""
    try:
        return importlib.import_module(name)
    except ImportError:
        need(False, what)
        raise  # not reached: need() skipped or failed the test
