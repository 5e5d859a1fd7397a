"""The frozen, typed model every target renders.

Built once from the checked spec documents by ``codegen.model_builder``. All
decisions a template might be tempted to make (Python names, type hints,
constant names, patterns, order, example values) are made here, so templates
only lay out what the model already says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codegen.spec_docs import (
    ErratumDoc,
    GatewayDoc,
    ProblemCodeDoc,
    SemanticDoc,
    StandardInfoDoc,
)
from codegen.wire_types import WireType

# How a field is represented in Python and checked; one macro file per kind.
PropertyKind = Literal["string", "string_list", "code", "code_list", "integer", "number", "datetime"]
JsonValue = str | int | float


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    python_name: str


@dataclass(frozen=True)
class CodeSet:
    id: str
    name: str
    clause: str
    table: str
    python_name: str
    constant_name: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @property
    def source(self) -> str:
        return self.table


@dataclass(frozen=True)
class Format:
    id: str
    label: str
    pattern: str
    json_pattern: str
    description: str
    clause: str
    constant_name: str


@dataclass(frozen=True)
class Field:
    wire_name: str
    label: str
    label_origin: str
    description: str
    required: bool
    wire_type: WireType
    printed_type: str
    kind: PropertyKind
    max_length: int | None
    minimum: int | None
    maximum: int | None
    codeset: CodeSet | None
    separator: str | None
    format: Format | None
    python_name: str
    python_type: str
    aliases: tuple[str, ...]
    source: str
    note: str | None
    constant_name: str
    example: JsonValue

    @property
    def is_list(self) -> bool:
        return self.separator is not None


@dataclass(frozen=True)
class Condition:
    field: Field
    op: Literal["in", "any_part_in", "present"]
    values: tuple[str, ...]

    def describe(self) -> str:
        if self.op == "present":
            return f"{self.field.wire_name}（{self.field.label}）已填写"
        shown = "、".join(self._value_labels())
        if self.op == "in":
            return f"{self.field.wire_name}（{self.field.label}）为 {shown}"
        return f"{self.field.wire_name}（{self.field.label}）任一项为 {shown}"

    def _value_labels(self) -> list[str]:
        labels = {c.code: c.label for c in self.field.codeset.codes} if self.field.codeset else {}
        return [f"{v}（{labels[v]}）" if v in labels else v for v in self.values]


@dataclass(frozen=True)
class RequiredIf:
    id: str
    text: str
    clause: str
    field: Field
    when: tuple[Condition, ...]
    kind: Literal["required_if"] = "required_if"

    def describe(self) -> str:
        return "或".join(c.describe() for c in self.when) + f"时，{self.field.wire_name}（{self.field.label}）必填"


@dataclass(frozen=True)
class PairedLists:
    id: str
    text: str
    clause: str
    fields: tuple[Field, Field]
    separator: str
    kind: Literal["paired_lists"] = "paired_lists"

    def describe(self) -> str:
        a, b = self.fields
        return f"{a.wire_name}（{a.label}）与 {b.wire_name}（{b.label}）均填写时，以 “{self.separator}” 分隔的项数须一致"


Rule = RequiredIf | PairedLists


@dataclass(frozen=True)
class Endpoint:
    record_key: str
    operation: str
    path: str
    label: str
    batch: bool
    operation_id: str
    summary: str


@dataclass(frozen=True)
class Record:
    key: str
    label: str
    interface: str
    clause: str
    table: str
    reply_table: str
    python_name: str
    validator_name: str
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...]
    reconciliation_table: str | None
    reconciliation_table_inferred: bool
    endpoints: tuple[Endpoint, ...]
    schema_file: str
    example: dict[str, JsonValue]

    def field(self, wire_name: str) -> Field:
        for f in self.fields:
            if f.wire_name == wire_name:
                return f
        raise KeyError(wire_name)

    @property
    def required_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    @property
    def codesets(self) -> tuple[CodeSet, ...]:
        seen: dict[str, CodeSet] = {}
        for f in self.fields:
            if f.codeset is not None:
                seen.setdefault(f.codeset.id, f.codeset)
        return tuple(seen.values())


@dataclass(frozen=True)
class DatetimeSpec:
    format: str
    strftime: str
    printed_type: str
    pattern: str
    json_pattern: str
    utc_offset: str
    timezone_label: str
    clause: str
    constant_name: str


@dataclass(frozen=True)
class Model:
    standard: StandardInfoDoc
    edition: int
    version: str
    spec_hash: str
    package: str
    semantics: tuple[SemanticDoc, ...]
    datetime: DatetimeSpec
    formats: tuple[Format, ...]
    codesets: tuple[CodeSet, ...]
    records: tuple[Record, ...]
    gateway: GatewayDoc
    problem_codes: tuple[ProblemCodeDoc, ...]
    errata: tuple[ErratumDoc, ...]

    def record(self, key: str) -> Record:
        for r in self.records:
            if r.key == key:
                return r
        raise KeyError(key)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(e for r in self.records for e in r.endpoints)
