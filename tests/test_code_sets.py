"""Code sets: every code of every coded field passes validate() and the JSON Schema; near
misses (a code of another set, the code with a space) fail both; and the generated code
sets (validators, enums) are the model's, code for code."""

from __future__ import annotations

import copy
import importlib
from types import ModuleType
from typing import Any

import jsonschema
import pytest

import agreement
from codegen.build import Rendered
from codegen.model.types import Field, Model, Record
from codegen.targets.python.view import codes_constant


@pytest.fixture(scope="module")
def field_schemas(rendered: Rendered) -> dict[tuple[str, str], jsonschema.Draft202012Validator]:
    return agreement.field_schemas(rendered)


def coded_fields(model: Model) -> list[tuple[Record, Field]]:
    return [(r, f) for r in model.records for f in r.fields if f.codeset is not None]


def field_problems(pkg: ModuleType, record: Record, f: Field, value: object) -> set[str]:
    """The problem codes validate() gives field ``f`` set to ``value`` in the example."""
    data: dict[str, Any] = {**copy.deepcopy(pkg.EXAMPLES[record.key]), f.wire_name: value}
    problems = set()
    for profile in ("gateway", "standard"):
        problems |= {
            p.code for p in pkg.validate(record.key, data, profile) if p.field == f.wire_name
        }
    return problems


def test_every_code_of_every_coded_field_is_accepted(
    pkg: ModuleType, model: Model, field_schemas: dict[tuple[str, str], Any]
) -> None:
    refused = []
    checked = 0
    for record, f in coded_fields(model):
        assert f.codeset is not None
        for code in f.codeset.values:
            problems = field_problems(pkg, record, f, code)
            schema_ok = field_schemas[(record.key, f.wire_name)].is_valid(code)
            if problems or not schema_ok:
                refused.append((record.key, f.wire_name, code, problems, schema_ok))
            checked += 1
    assert not refused, refused
    assert checked == sum(len(f.codeset.values) for _, f in coded_fields(model) if f.codeset)
    assert checked > 0


def near_misses(model: Model, f: Field) -> list[str]:
    """Codes of other sets that are not in this one, and each code with a space."""
    assert f.codeset is not None
    own = set(f.codeset.values)
    others = {c for cs in model.codesets if cs.id != f.codeset.id for c in cs.values} - own
    spaced = [v for code in f.codeset.values for v in (f" {code}", f"{code} ", f"{code}\n")]
    return sorted(others) + spaced


def test_near_misses_are_refused(
    pkg: ModuleType, model: Model, field_schemas: dict[tuple[str, str], Any]
) -> None:
    accepted = []
    checked = 0
    for record, f in coded_fields(model):
        for value in near_misses(model, f):
            values = [value]
            if f.separator is not None:  # also as one part of a list whose other part is fine
                assert f.codeset is not None
                values.append(f"{f.codeset.values[0]}{f.separator}{value}")
            for v in values:
                problems = field_problems(pkg, record, f, v)
                schema_ok = field_schemas[(record.key, f.wire_name)].is_valid(v)
                if "code" not in problems or schema_ok:
                    accepted.append((record.key, f.wire_name, v, problems, schema_ok))
                checked += 1
    assert not accepted, accepted
    assert checked > 1000


def test_a_code_from_another_set_is_a_near_miss_for_every_coded_field(model: Model) -> None:
    """Keeps test_near_misses_are_refused meaningful: no field escapes with only spaced codes."""
    for _, f in coded_fields(model):
        assert f.codeset is not None
        assert len(near_misses(model, f)) > 3 * len(f.codeset.values), f.wire_name


def test_generated_code_sets_are_the_models(pkg: ModuleType, model: Model) -> None:
    validators = importlib.import_module(pkg.__name__ + ".validators_shared")
    for cs in model.codesets:
        assert getattr(validators, codes_constant(cs)) == frozenset(cs.values), cs.id
        enum = getattr(pkg, cs.python_name)
        assert [member.value for member in enum] == list(cs.values), cs.id
        assert {member.value: member.label for member in enum} == cs.labels, cs.id
    used = {f.codeset.id for _, f in coded_fields(model) if f.codeset}
    assert used == {cs.id for cs in model.codesets}
