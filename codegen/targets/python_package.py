"""The vendorable Python package ``generated/python/gdzw_uppro/``."""

from __future__ import annotations

import jinja2

from codegen.model import Model
from codegen.render import format_python

# Each module has one template, templates/python/<module>.jinja.
MODULES = (
    "__init__.py",
    "client.py",
    "codes.py",
    "domains.py",
    "examples.py",
    "mock.py",
    "normalize.py",
    "outbox.py",
    "problems.py",
    "records.py",
    "reference.py",
    "signing.py",
    "spec.py",
    "validators.py",
)


def render(model: Model, env: jinja2.Environment) -> dict[str, str]:
    root = f"python/{model.package}"
    files: dict[str, str] = {}
    for module in MODULES:
        source = env.get_template(f"python/{module}.jinja").render(model=model)
        files[f"{root}/{module}"] = format_python(source, f"{root}/{module}")
    files[f"{root}/py.typed"] = ""  # PEP 561 marker: the package ships its own types
    return files
