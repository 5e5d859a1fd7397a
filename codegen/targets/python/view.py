"""The Python view of the model: every name the generated package gives a spec fact.

The shared model says what the standard says; this module says how the Python target
spells it (modules, constants, functions, the package's exports). Templates under
``templates/python/`` read names from here, and ``codegen diff`` reads them to classify
changes to Python names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from codegen.model import Model, Record

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"

ImportLine = tuple[str, tuple[str, ...] | None]  # (module, names) or (module, None): import module


def validator_module(record: Record) -> str:
    """The module holding one record type's validator, loaded on its first use."""
    return f"validators_{record.key}"


@cache
def module_names(path: Path) -> frozenset[str]:
    """The top-level names a runtime module defines (functions, classes, constants)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def shared_validator_names(model: Model) -> frozenset[str]:
    """What ``validators_shared.py`` defines: the formats' and code sets' constants."""
    names = {n for f in model.formats for n in (f.constant_name, f.info_name)}
    names |= {n for cs in model.codesets for n in (cs.constant_name, cs.info_name)}
    return frozenset(names)


_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def validator_imports(model: Model, body: str) -> list[list[ImportLine]]:
    """The imports of a per-record validator module: exactly the names its code uses."""
    used = set(_IDENTIFIER.findall(body))
    stdlib: list[ImportLine] = []
    if "math" in used:
        stdlib.append(("math", None))
    stdlib.append(("typing", ("Final",)))
    local: list[ImportLine] = [
        (".checks", isort_names(used & module_names(RUNTIME_DIR / "checks.py"))),
        (".problems", ("Problem",)),
    ]
    shared = used & shared_validator_names(model)
    if shared:
        local.append((".validators_shared", isort_names(shared)))
    return [stdlib, local]


def isort_names(names: Iterable[str]) -> tuple[str, ...]:
    """Names in the order ruff's isort wants them: CONSTANTS, Classes, then the rest."""

    def key(name: str) -> tuple[int, list[int | str], str]:
        if len(name) > 1 and name.isupper():
            kind = 0
        elif name[:1].isupper():
            kind = 1
        else:
            kind = 2
        natural = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name.lower())]
        return kind, natural, name

    return tuple(sorted(names, key=key))


class PythonView:
    """What the Python templates read besides the model (``py`` in a template)."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def validator_module(self, record: Record) -> str:
        return validator_module(record)

    def field_specs_name(self, record: Record) -> str:
        """spec.py's tuple of one record type's FieldSpec rows."""
        return f"_{record.key.upper()}_FIELDS"

    @property
    def validator_table(self) -> tuple[tuple[str, str, str], ...]:
        """(record key, module, function) of every record type's validator, in spec order."""
        return tuple((r.key, validator_module(r), r.validator_name) for r in self.model.records)

    @property
    def exports(self) -> dict[str, str]:
        """The package's public names → the module each comes from, sorted by name.

        ``import gdzw_uppro`` loads none of those modules; the first use of a name does.
        """
        model = self.model
        names = {cs.python_name: "codes" for cs in model.codesets}
        names |= {r.python_name: "records" for r in model.records}
        names |= _RUNTIME_EXPORTS
        return dict(sorted(names.items()))

    def export_imports(self, eager: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(module, names) to import, modules and names in isort order.

        Eager: the names spelt like their module (``normalize``), bound when the package
        is imported; importing the module later would otherwise replace the package's
        attribute with the module. The others are imported for type checkers only.
        """
        by_module: dict[str, list[str]] = {}
        for name, module in self.exports.items():
            if (name == module) == eager:
                by_module.setdefault(module, []).append(name)
        return tuple((m, isort_names(by_module[m])) for m in sorted(by_module))

    @property
    def all_names(self) -> tuple[str, ...]:
        """``__all__``: every export and ``__version__``, sorted."""
        return tuple(sorted([*self.exports, "__version__"]))


# The package's names that do not vary with the spec, and their modules.
_RUNTIME_EXPORTS: dict[str, str] = {
    "Client": "client",
    "RetryPolicy": "client",
    "EXAMPLES": "examples",
    "Normalized": "normalize",
    "Renamed": "normalize",
    "normalize": "normalize",
    "Outbox": "outbox",
    "PROFILES": "problems",
    "InvalidRecordError": "problems",
    "Problem": "problems",
    "errors": "problems",
    "RECORD_TYPES": "records",
    "RECORD_KEYS": "spec",
    "SPEC_HASH": "spec",
    "STANDARD_ID": "spec",
    "VERSION": "spec",
    "VALIDATORS": "validators",
    "validate": "validators",
}
