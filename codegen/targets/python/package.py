"""The vendorable Python package ``generated/python/gdzw_uppro/``."""

from __future__ import annotations

from pathlib import Path

import jinja2

from codegen.model.types import Model
from codegen.render.environment import RenderError, format_python
from codegen.targets.python import distribution
from codegen.targets.python.view import PythonView, validator_imports, validator_module

# Modules rendered from templates/python/<module>.jinja: what varies with the spec.
MODULES = (
    "__init__.py",
    "codes.py",
    "examples.py",
    "record_groups.py",
    "records.py",
    "reference.py",
    "spec.py",
    "validators.py",
    "validators_shared.py",
)

# The sending runtime: plain Python modules in codegen/targets/python/runtime/, linted,
# type-checked and tested as source, copied into the package as they are. They read every
# spec fact from the generated spec.py.
RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
RUNTIME_MODULES = (
    "checks.py",
    "client.py",
    "domains.py",
    "mock.py",
    "normalize.py",
    "outbox.py",
    "problems.py",
    "signing.py",
)

# Each runtime module starts with these lines; the build puts the do-not-edit header (the
# same number of lines) in their place, so tracebacks and coverage line numbers match.
RUNTIME_PLACEHOLDER = (
    "# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts\n"
    "# the do-not-edit header in place of these three lines, so line numbers stay the same.\n"
    "# Spec facts come from the generated spec.py (relative imports resolve there).\n"
)


def render(model: Model, env: jinja2.Environment) -> dict[str, str]:
    root = f"python/{model.package}"
    files: dict[str, str] = {}
    py = PythonView(model)
    env.filters.update(py.filters())  # the Python names: f|const, r|validator, ...
    header = do_not_edit_header(model, env)
    for module in MODULES:
        source = env.get_template(f"python/{module}.jinja").render(model=model, py=py)
        files[f"{root}/{module}"] = format_stamped(source, header, f"{root}/{module}")
    template = env.get_template("python/validators_record.py.jinja")
    for record in model.records:
        # Rendered twice: the first time shows which helpers the code uses, the second
        # imports exactly those.
        body = template.render(model=model, py=py, record=record, imports=[])
        imports = validator_imports(model, body)
        source = template.render(model=model, py=py, record=record, imports=imports)
        name = f"{root}/{validator_module(record)}.py"
        files[name] = format_stamped(source, header, name)
    for module in RUNTIME_MODULES:
        files[f"{root}/{module}"] = runtime_module(module, header)
    files[f"{root}/py.typed"] = ""  # PEP 561 marker: the package ships its own types
    files["python/pyproject.toml"] = distribution.render(model, env, header)
    return files


def format_stamped(source: str, header: str, name: str) -> str:
    """black's output for a rendered module, formatted without its do-not-edit header.

    The header carries the spec's hash, so formatting it with the code would make every
    spec edit a new source for black's cache; formatted first and stamped after, a module
    whose code did not change is a cache hit.
    """
    if not source.startswith(header):
        raise RenderError(f"{name}: does not start with the do-not-edit header")
    return header + format_python(source[len(header) :], name)


def do_not_edit_header(model: Model, env: jinja2.Environment) -> str:
    """The do-not-edit comment lines every generated Python module starts with."""
    macros = env.get_template("python/macros/common.jinja").module
    header = str(macros.do_not_edit(model)).lstrip("\n")  # type: ignore[attr-defined]
    if header.count("\n") != RUNTIME_PLACEHOLDER.count("\n") or not header.endswith("\n"):
        raise RenderError("the do-not-edit header and RUNTIME_PLACEHOLDER differ in line count")
    return header


def runtime_module(module: str, header: str) -> str:
    """A runtime module's source with its placeholder lines replaced by ``header``."""
    source = (RUNTIME_DIR / module).read_text(encoding="utf-8")
    if not source.startswith(RUNTIME_PLACEHOLDER):
        raise RenderError(f"{RUNTIME_DIR / module}: does not start with RUNTIME_PLACEHOLDER")
    return header + source[len(RUNTIME_PLACEHOLDER) :]
