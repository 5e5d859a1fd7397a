"""The frozen, typed model every target renders.

Built once from the checked spec documents by ``codegen.model_builder``. All
decisions a template might be tempted to make (Python names, type hints,
constant names, patterns, order, example values) are made here, so templates
only lay out what the model already says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from codegen.problem_codes import DOMAIN_CODES
from codegen.spec_docs import (
    CurrenciesDoc,
    ErratumDoc,
    GatewayDoc,
    LicenseDoc,
    ProblemCodeDoc,
    RegionsDoc,
    SemanticDoc,
    StandardInfoDoc,
)
from codegen.wire_types import WireType

# Fields the sending runtime (client, outbox, mock) relies on, by role: every business record
# has the first three; the reconciliation record (表 17) has the second four. spec.py exports them.
BUSINESS_FIELD_ROLES: dict[str, str] = {
    "row_guid": "RowGuid",
    "batch": "Cd_Batch",
    "operation": "Cd_Operation",
}
RECONCILIATION_FIELD_ROLES: dict[str, str] = {
    "table": "Table_name",
    "batch": "Cd_batch",
    "count": "Cd_count",
    "time": "Cd_time",
}

# How a field is represented in Python and checked; one macro file per kind.
PropertyKind = Literal[
    "string", "string_list", "code", "code_list", "integer", "number", "datetime"
]
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
    info_name: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @property
    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.codes}

    @property
    def labels_name(self) -> str:
        return f"{self.constant_name}_LABELS"

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
    info_name: str


@dataclass(frozen=True)
class Alias:
    """An input spelling accepted for a field, with the erratum that records it."""

    name: str
    erratum: str


@dataclass(frozen=True)
class InputName:
    """One entry of normalize()'s lookup: a case-folded input key and where it maps."""

    folded: str
    wire_name: str
    erratum: str | None


@dataclass(frozen=True)
class Field:
    wire_name: str
    label: str
    label_origin: str
    former_labels: tuple[str, ...]
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
    aliases: tuple[Alias, ...]
    source: str
    note: str | None
    constant_name: str
    example: JsonValue
    domain: str | None
    sensitive: bool

    @property
    def holds_text(self) -> bool:
        """Its wire value is a string (checked for text UTF-8 cannot encode)."""
        return self.kind not in ("integer", "number")

    @property
    def domain_code(self) -> str | None:
        """The problem code of this field's domain check, if it has one."""
        return DOMAIN_CODES[self.domain] if self.domain else None

    @property
    def domain_check_name(self) -> str | None:
        """The generated validator helper that runs this field's domain check."""
        return f"_check_{self.domain}" if self.domain else None


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


Profile = Literal["gateway", "standard", "strict"]
# Validation profiles, each checking everything the one before it does.
PROFILES: tuple[Profile, ...] = ("gateway", "standard", "strict")


@dataclass(frozen=True)
class Provenance:
    """Where a rule comes from: the standard's words (quoted from ``lines`` of its text)
    or the editors' own rule (with its ``reason``)."""

    origin: Literal["text", "editor"]
    lines: tuple[int, ...]
    reason: str | None
    # True when the spec does not state it (an edition from before it was recorded).
    inferred: bool = False

    @property
    def label(self) -> str:
        return "原文" if self.origin == "text" else "编者规则"

    @property
    def where(self) -> str:
        """``L870、L871`` for a quote, "" otherwise."""
        return "、".join(f"L{n}" for n in self.lines)


class _RuleCommon:
    """What every rule kind has besides its own attributes (dataclasses below)."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance

    @property
    def level(self) -> int:
        """Index of the narrowest profile running this rule: it runs at that level and above."""
        return PROFILES.index(self.profile)

    @property
    def in_standard_text(self) -> bool:
        return self.provenance.origin == "text"


@dataclass(frozen=True)
class RequiredIf(_RuleCommon):
    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    field: Field
    when: tuple[Condition, ...]
    kind: Literal["required_if"] = "required_if"

    def describe(self) -> str:
        return (
            "或".join(c.describe() for c in self.when)
            + f"时，{self.field.wire_name}（{self.field.label}）必填"
        )


@dataclass(frozen=True)
class PairedLists(_RuleCommon):
    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    fields: tuple[Field, Field]
    separator: str
    kind: Literal["paired_lists"] = "paired_lists"

    def describe(self) -> str:
        a, b = self.fields
        return f"{a.wire_name}（{a.label}）与 {b.wire_name}（{b.label}）均填写时，以 “{self.separator}” 分隔的项数须一致"


@dataclass(frozen=True)
class CertificateNumber(_RuleCommon):
    """Each certificate number checked by the type at the same position."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    fields: tuple[Field, Field]
    separator: str | None
    id_types: tuple[str, ...]
    uscc_types: tuple[str, ...]
    kind: Literal["certificate_number"] = "certificate_number"

    def describe(self) -> str:
        a, b = self.fields
        return f"{b.wire_name}（{b.label}）须与 {a.wire_name}（{a.label}）同位置的证件类型相符"


@dataclass(frozen=True)
class NotBefore(_RuleCommon):
    """The second datetime is not earlier than the first."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    fields: tuple[Field, Field]
    kind: Literal["not_before"] = "not_before"

    def describe(self) -> str:
        a, b = self.fields
        return f"{b.wire_name}（{b.label}）不早于 {a.wire_name}（{a.label}）"


@dataclass(frozen=True)
class EmbeddedDate(_RuleCommon):
    """The YYYYMMDD inside the first field at ``offset`` is the date of the second."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    fields: tuple[Field, Field]
    offset: int
    kind: Literal["embedded_date"] = "embedded_date"

    def describe(self) -> str:
        a, b = self.fields
        return f"{a.wire_name}（{a.label}）第 {self.offset + 1}–{self.offset + 8} 位的日期即 {b.wire_name}（{b.label}）的日期"


@dataclass(frozen=True)
class Prefix(_RuleCommon):
    """The first field begins with one of the others, among those given."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    # The field checked, then the fields whose values it may begin with.
    fields: tuple[Field, ...]
    kind: Literal["prefix"] = "prefix"

    @property
    def prefixes(self) -> tuple[Field, ...]:
        return self.fields[1:]

    def describe(self) -> str:
        a = self.fields[0]
        shown = " 或 ".join(f"{b.wire_name}（{b.label}）" for b in self.prefixes)
        either = "之一" if len(self.prefixes) > 1 else ""
        return f"{a.wire_name}（{a.label}）以 {shown}{either}开头"


@dataclass(frozen=True)
class NonNegative(_RuleCommon):
    """Each of the numeric fields, when given, is not negative."""

    id: str
    text: str
    clause: str
    profile: Profile
    provenance: Provenance
    fields: tuple[Field, ...]
    kind: Literal["non_negative"] = "non_negative"

    def describe(self) -> str:
        shown = "、".join(f"{f.wire_name}（{f.label}）" for f in self.fields)
        return f"{shown}不为负数"


Rule = (
    RequiredIf | PairedLists | CertificateNumber | NotBefore | EmbeddedDate | Prefix | NonNegative
)


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

    @property
    def fields_name(self) -> str:
        return f"_{self.key.upper()}_FIELDS"

    @property
    def input_names_name(self) -> str:
        return f"_{self.key.upper()}_INPUT_NAMES"

    @property
    def info_name(self) -> str:
        return f"_{self.key.upper()}_RECORD"

    def field(self, wire_name: str) -> Field:
        for f in self.fields:
            if f.wire_name == wire_name:
                return f
        raise KeyError(wire_name)

    @property
    def input_names(self) -> tuple[InputName, ...]:
        """Case-folded wire names and errata aliases, sorted, for normalize()."""
        names = [InputName(f.wire_name.casefold(), f.wire_name, None) for f in self.fields]
        names += [
            InputName(a.name.casefold(), f.wire_name, a.erratum)
            for f in self.fields
            for a in f.aliases
        ]
        return tuple(sorted(names, key=lambda n: n.folded))

    @property
    def wire_names(self) -> tuple[str, ...]:
        return tuple(f.wire_name for f in self.fields)

    @property
    def input_name_map(self) -> dict[str, str]:
        return {n.folded: n.wire_name for n in self.input_names}

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

    @property
    def utc_offset_hours(self) -> int:
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, _, minutes = self.utc_offset.lstrip("+-").partition(":")
        if minutes not in ("", "00"):
            raise ValueError(f"UTC offset {self.utc_offset} is not whole hours")
        return sign * int(hours)


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
    regions: RegionsDoc
    currencies: CurrenciesDoc
    license: LicenseDoc | None

    # Import lists in the order isort (ruff "I") wants: sorted by name.
    @property
    def enum_names(self) -> tuple[str, ...]:
        return tuple(sorted(cs.python_name for cs in self.codesets))

    @property
    def record_class_names(self) -> tuple[str, ...]:
        return tuple(sorted(r.python_name for r in self.records))

    @property
    def validator_names(self) -> tuple[str, ...]:
        return tuple(sorted(r.validator_name for r in self.records))

    @property
    def python_exports(self) -> tuple[str, ...]:
        """The generated package's public names, sorted."""
        names = [cs.python_name for cs in self.codesets] + [r.python_name for r in self.records]
        names += [
            "Client",
            "EXAMPLES",
            "Outbox",
            "PROFILES",
            "RetryPolicy",
            "InvalidRecordError",
            "Normalized",
            "Problem",
            "RECORD_KEYS",
            "RECORD_TYPES",
            "Renamed",
            "SPEC_HASH",
            "STANDARD_ID",
            "VALIDATORS",
            "VERSION",
            "__version__",
            "errors",
            "normalize",
            "validate",
        ]
        return tuple(sorted(names))

    @property
    def gateway_header_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.gateway.headers)

    @property
    def api_root_path(self) -> str:
        """The path part every API root shares, e.g. "/ebus/tysb-sjcj" (the mock serves under it)."""
        paths = {urlsplit(e.api_root).path for e in self.gateway.environments}
        if len(paths) != 1:
            raise ValueError(f"API roots disagree on their path: {sorted(paths)}")
        return paths.pop()

    @property
    def api_roots(self) -> dict[str, str]:
        return {e.id: e.api_root for e in self.gateway.environments}

    @property
    def record_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.records)

    @property
    def record_labels(self) -> dict[str, str]:
        return {r.key: r.label for r in self.records}

    @property
    def reconciliation_tables(self) -> dict[str, str]:
        return {r.key: r.reconciliation_table for r in self.records if r.reconciliation_table}

    @property
    def business_keys(self) -> tuple[str, ...]:
        """Record types sent in batches and reconciled (those with a reconciliation table)."""
        return tuple(r.key for r in self.records if r.reconciliation_table)

    @property
    def reconciliation_key(self) -> str:
        """The one record type without a reconciliation table: the reconciliation record."""
        keys = [r.key for r in self.records if not r.reconciliation_table]
        if len(keys) != 1:
            raise ValueError(f"expected one reconciliation record type, found {keys}")
        return keys[0]

    @property
    def business_fields(self) -> dict[str, str]:
        """Role → wire name of the fields every business record has (RowGuid, Cd_Batch, …)."""
        for key in self.business_keys:
            for wire_name in BUSINESS_FIELD_ROLES.values():
                self.record(key).field(wire_name)  # KeyError names a record lacking it
        return dict(BUSINESS_FIELD_ROLES)

    @property
    def reconciliation_fields(self) -> dict[str, str]:
        """Role → wire name of the reconciliation record's fields (Table_name, Cd_batch, …)."""
        record = self.record(self.reconciliation_key)
        for wire_name in RECONCILIATION_FIELD_ROLES.values():
            record.field(wire_name)
        return dict(RECONCILIATION_FIELD_ROLES)

    @property
    def batch_operations(self) -> tuple[str, ...]:
        """Operations whose request body is an array of records."""
        return tuple(o.id for o in self.gateway.operations if o.batch)

    @property
    def reply_fields(self) -> tuple[str, ...]:
        """The reply envelope's field names, errCode first."""
        return tuple(f.name for f in self.gateway.reply)

    @property
    def org_code_pattern(self) -> str:
        """统一社会信用代码, the first part of every Cd_Batch (the uscc format)."""
        return self.format("uscc").pattern

    @property
    def problem_levels(self) -> dict[str, int]:
        return {p.code: PROFILES.index(p.profile) for p in self.problem_codes}

    @property
    def problem_profiles(self) -> dict[str, str]:
        return {p.code: p.profile for p in self.problem_codes}

    @property
    def region_names(self) -> dict[str, str]:
        return {r.code: r.name for r in self.regions.regions}

    @property
    def abolished_regions(self) -> dict[str, str]:
        return {r.code: r.name for r in self.regions.regions if r.abolished}

    @property
    def currency_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.currencies.currencies)

    @property
    def problem_severities(self) -> dict[str, str]:
        return {p.code: p.severity for p in self.problem_codes}

    @property
    def profiles(self) -> tuple[str, ...]:
        return PROFILES

    @property
    def problem_labels(self) -> dict[str, str]:
        return {p.code: p.label for p in self.problem_codes}

    def format(self, format_id: str) -> Format:
        for f in self.formats:
            if f.id == format_id:
                return f
        raise KeyError(format_id)

    def record(self, key: str) -> Record:
        for r in self.records:
            if r.key == key:
                return r
        raise KeyError(key)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(e for r in self.records for e in r.endpoints)
