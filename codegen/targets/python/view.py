"""The Python view of the model: every name the generated package gives a spec fact.

The shared model says what the standard says; this module says how the Python target
spells it: modules, constants, functions, type hints, the package's exports. The
templates under ``templates/python/`` read these names through ``PythonView`` (``py`` in
a template) and the Jinja filters it installs (``f|const``, ``r|validator``, …), and
``codegen diff`` reads them to classify changes to Python names. The class, enum, member
and attribute names themselves are the spec's (``python_name`` in spec/), or derived from
the wire names by the loader.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from codegen.model.types import Code, CodeSet, Field, Format, Model, Record
from codegen.targets.python.revision import package_version

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"

ImportLine = tuple[str, tuple[str, ...] | None]  # (module, names) or (module, None): import module

# Python type of each property kind (the code kinds take their enum's name).
_TYPES = {
    "string": "str",
    "string_list": "tuple[str, ...]",
    "integer": "int",
    "number": "float",
    "datetime": "datetime",
}


def validator_module(record: Record) -> str:
    """The module holding one record type's validator, loaded on its first use."""
    return f"validators_{record.key}"


def record_class(record: Record) -> str:
    """The record's dataclass (the spec's python_name)."""
    return record.python_name


def enum_class(cs: CodeSet) -> str:
    """The code set's Enum (the spec's python_name)."""
    return cs.python_name


def enum_member(code: Code) -> str:
    return code.python_name


def attribute(f: Field) -> str:
    """The field's dataclass attribute."""
    return f.python_name


def validator_function(record: Record) -> str:
    return f"validate_{record.key}"


def python_type(f: Field) -> str:
    """The dataclass attribute's type hint."""
    if f.codeset is not None and f.kind in ("code", "code_list"):
        base = f.codeset.python_name if f.kind == "code" else f"tuple[{f.codeset.python_name}, ...]"
    else:
        base = _TYPES[f.kind]
    return base if f.required else f"{base} | None"


def format_constant(fmt: Format) -> str:
    return f"_RE_{fmt.id.upper()}"


def format_info(fmt: Format) -> str:
    return f"_FORMAT_{fmt.id.upper()}"


def codes_constant(cs: CodeSet) -> str:
    return f"_CODES_{cs.id.upper()}"


def codeset_info(cs: CodeSet) -> str:
    return f"_CODESET_{cs.id.upper()}"


def labels_constant(cs: CodeSet) -> str:
    return f"{codes_constant(cs)}_LABELS"


def record_info(record: Record) -> str:
    return f"_{record.key.upper()}_RECORD"


def record_fields(record: Record) -> str:
    """The validator's frozenset of wire names, and spec.py's tuple of FieldSpec rows."""
    return f"_{record.key.upper()}_FIELDS"


def record_input_names(record: Record) -> str:
    return f"_{record.key.upper()}_INPUT_NAMES"


def domain_check(f: Field) -> str | None:
    """The checks.py helper running the field's domain check (strict profile)."""
    return f"_check_{f.domain}" if f.domain else None


def domain_ok(f: Field) -> str | None:
    """The checks.py predicate true when the field's domain check would find nothing (the
    generated validators' fast path)."""
    return f"_ok_{f.domain}" if f.domain else None


def plain_codes(f: Field) -> bool:
    """Every code of the field's set is non-empty ASCII text within the field's length and
    without its separator: then a plain str found in the set surely has no problem, and the
    validator's fast path is one set lookup."""
    cs = f.codeset
    if cs is None:
        return False
    return all(
        code
        and code.isascii()
        and (f.max_length is None or len(code) <= f.max_length)
        and (f.separator is None or f.separator not in code)
        for code in cs.values
    )


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
    names = {n for f in model.formats for n in (format_constant(f), format_info(f))}
    names |= {n for cs in model.codesets for n in (codes_constant(cs), codeset_info(cs))}
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
        # __version__: the spec's version and the generator's revision (revision.py).
        self.package_version = package_version(model)
        # A field's constant needs its record's key; fields are looked up by identity.
        self._field_constants = {
            id(f): f"_F_{r.key.upper()}_{f.python_name.upper()}"
            for r in model.records
            for f in r.fields
        }

    def field_constant(self, f: Field) -> str:
        return self._field_constants[id(f)]

    def filters(self) -> dict[str, Callable[..., object]]:
        """The Jinja filters the Python templates (and their macros) use for names."""
        return {
            "const": self.constant,
            "info": self.info,
            "labels_const": labels_constant,
            "fields_const": record_fields,
            "input_names_const": record_input_names,
            "validator": validator_function,
            "domain_check": domain_check,
            "domain_ok": domain_ok,
            "plain_codes": plain_codes,
            "python_type": python_type,
        }

    def constant(self, thing: Field | Format | CodeSet) -> str:
        """A field's _Field, a format's compiled pattern, a code set's frozenset."""
        if isinstance(thing, Field):
            return self.field_constant(thing)
        if isinstance(thing, Format):
            return format_constant(thing)
        return codes_constant(thing)

    def info(self, thing: Record | Format | CodeSet) -> str:
        """The _Field/_Info describing a record, a format or a code set in messages."""
        if isinstance(thing, Record):
            return record_info(thing)
        if isinstance(thing, Format):
            return format_info(thing)
        return codeset_info(thing)

    def validator_module(self, record: Record) -> str:
        return validator_module(record)

    def field_specs_name(self, record: Record) -> str:
        """spec.py's tuple of one record type's FieldSpec rows."""
        return record_fields(record)

    @property
    def validator_table(self) -> tuple[tuple[str, str, str], ...]:
        """(record key, module, function) of every record type's validator, in spec order."""
        return tuple(
            (r.key, validator_module(r), validator_function(r)) for r in self.model.records
        )

    @property
    def enum_names(self) -> tuple[str, ...]:
        """The code sets' Enum classes, sorted (import lists in isort's order)."""
        return tuple(sorted(cs.python_name for cs in self.model.codesets))

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
