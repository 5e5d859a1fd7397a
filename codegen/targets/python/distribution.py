"""``generated/python/pyproject.toml``: the package as a distribution pip can install.

``pip install generated/python`` builds it with flit_core, which writes its wheel to pip's
own temporary folder: nothing (no egg-info, no build/) is left inside generated/.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from codegen.model.types import Model
from codegen.targets.python.revision import package_version

# flit_core 3.12 reads PEP 639's SPDX ``license`` string; it has no dependencies.
BUILD_REQUIRES = ("flit_core>=3.12,<5",)

# The postgres extra: the same bound as the tool's own (pyproject.toml, tests/test_vendor.py
# compares them) and as the outbox's message when psycopg is missing.
POSTGRES_REQUIRES = ("psycopg[binary]>=3.1,<4",)

REQUIRES_PYTHON = ">=3.10"


@dataclass(frozen=True)
class Distribution:
    """What templates/python/pyproject.toml.jinja writes."""

    name: str
    module: str
    version: str
    description: str
    license: str | None
    requires_python: str
    build_requires: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]


def distribution(model: Model) -> Distribution:
    return Distribution(
        name=model.package.replace("_", "-"),
        module=model.package,
        version=package_version(model),
        description=f"{model.standard.id} {model.standard.title}",
        license=model.license.identifier if model.license is not None else None,
        requires_python=REQUIRES_PYTHON,
        build_requires=BUILD_REQUIRES,
        extras={"postgres": POSTGRES_REQUIRES},
    )


def render(model: Model, env: jinja2.Environment, header: str) -> str:
    template = env.get_template("python/pyproject.toml.jinja")
    return header + template.render(dist=distribution(model))
