"""The spec files as typed documents, one dataclass per kind of YAML mapping.

Field order here is the canonical key order of the files (``codegen fmt`` writes
it), and a field left at its default is omitted. These documents mirror the
files; meaning (names, patterns, bounds) is derived later, in ``codegen.model.types``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# ---------------------------------------------------------------- standard.yaml


@dataclass(frozen=True)
class StandardInfoDoc:
    id: str
    title: str
    publisher: str
    published: str
    effective: str
    text: str


@dataclass(frozen=True)
class LicenseDoc:
    """The licence of the transcription and of everything generated from it (the maintainers'
    decision; OpenAPI's ``info.license``)."""

    name: str
    # An SPDX licence expression; OpenAPI 3.0 (which has no identifier) gets its SPDX page URL.
    identifier: str
    note: str


@dataclass(frozen=True)
class TranscriptionDoc:
    edition: int
    note: str
    # Absent in editions before the OpenAPI files carried one.
    license: LicenseDoc | None = None
    # Breaking changes (ids from `codegen diff`) this edition makes on purpose.
    acknowledged_breaking: tuple[str, ...] = ()


@dataclass(frozen=True)
class SemanticDoc:
    id: str
    label: str
    text: str


@dataclass(frozen=True)
class DatetimeDoc:
    format: str
    printed_type: str
    pattern: str
    utc_offset: str
    timezone_label: str
    clause: str


@dataclass(frozen=True)
class FragmentDoc:
    id: str
    pattern: str
    description: str


@dataclass(frozen=True)
class FormatDoc:
    id: str
    label: str
    pattern: str
    description: str
    clause: str


@dataclass(frozen=True)
class HeaderDoc:
    name: str
    label: str
    required: bool
    value: str
    description: str


@dataclass(frozen=True)
class SignatureDoc:
    algorithm: Literal["SHA-256"]
    concatenation: tuple[str, ...]
    encoding: Literal["hex-upper"]
    timestamp: str
    clause: str
    description: str


@dataclass(frozen=True)
class EnvironmentDoc:
    id: str
    label: str
    api_root: str
    printed_api_root: str
    token: str


@dataclass(frozen=True)
class OperationDoc:
    id: str
    path: str
    label: str
    batch: bool


@dataclass(frozen=True)
class ReplyFieldDoc:
    name: str
    label: str
    required: bool
    description: str


@dataclass(frozen=True)
class StatusDoc:
    """How one outcome maps to errCode and HTTP status (an editor's decision: the
    standard gives only the envelope); the mock gateway and OpenAPI both use it."""

    id: str
    err_code: str
    http_status: int
    label: str
    description: str
    retry: bool = False


@dataclass(frozen=True)
class ContactDoc:
    """Whom the standard names for access to the gateway (OpenAPI's ``info.contact``)."""

    name: str
    email: str
    description: str
    clause: str


@dataclass(frozen=True)
class GatewayDoc:
    paasid: str
    method: str
    content_type: str
    charset: str
    path_prefix: str
    headers: tuple[HeaderDoc, ...]
    signature: SignatureDoc
    environments: tuple[EnvironmentDoc, ...]
    operations: tuple[OperationDoc, ...]
    batch_max_records: int
    batch_limit_clause: str
    body_max_bytes: int
    body_max_bytes_reason: str
    # Absent in editions before the client capped replies (before 2026-12-02): the model
    # then uses its default (codegen.model.builder.DEFAULT_REPLY_MAX_BYTES). Keyword-only,
    # so the keys keep their place in the canonical order.
    reply_max_bytes: int | None = field(default=None, kw_only=True)
    reply_max_bytes_reason: str | None = field(default=None, kw_only=True)
    reply: tuple[ReplyFieldDoc, ...]
    success_code: str
    status_mapping_note: str
    statuses: tuple[StatusDoc, ...]
    # Absent in editions before the OpenAPI files carried one.
    contact: ContactDoc | None = None


@dataclass(frozen=True)
class ProblemCodeDoc:
    code: str
    label: str
    message: str
    # The narrowest profile that checks it: gateway ⊂ standard ⊂ strict.
    profile: Literal["gateway", "standard", "strict"]
    # Only errors fail a record; warnings are reported and let it pass.
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True)
class StandardDoc:
    standard: StandardInfoDoc
    transcription: TranscriptionDoc
    records: tuple[str, ...]
    semantics: tuple[SemanticDoc, ...]
    datetime: DatetimeDoc
    fragments: tuple[FragmentDoc, ...]
    formats: tuple[FormatDoc, ...]
    gateway: GatewayDoc
    problem_codes: tuple[ProblemCodeDoc, ...]


# ---------------------------------------------------------------- codesets.yaml


@dataclass(frozen=True)
class CodeDoc:
    code: str
    label: str
    python_name: str | None = None


@dataclass(frozen=True)
class CodeSetDoc:
    id: str
    name: str
    clause: str
    table: str
    python_name: str
    codes: tuple[CodeDoc, ...]


@dataclass(frozen=True)
class CodeSetsDoc:
    codesets: tuple[CodeSetDoc, ...]


# ---------------------------------------------------------------- records/<key>.yaml


@dataclass(frozen=True)
class FieldDoc:
    name: str
    label: str
    description: str
    required: bool
    type: str
    codeset: str | None = None
    separator: str | None = None
    format: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    # A domain check of the strict profile (see codegen.domains).
    domain: str | None = None
    # Personal numbers (ID cards, mobiles): masked wherever a value is shown.
    sensitive: bool = False
    # Other personal data (names of people, addresses, phone numbers, personal accounts):
    # masked where values are gathered for others to read (the validate report). A
    # sensitive field is personal too. Absent in older editions: not personal.
    personal: bool = False
    label_origin: Literal["text", "editor"] = "text"
    # Labels an earlier edition used: still accepted as headers of filled Excel templates.
    former_labels: tuple[str, ...] = ()
    python_name: str | None = None
    # A real value for generated examples where the generic one would not do.
    example: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ConditionDoc:
    field: str
    op: Literal["in", "any_part_in", "present"]
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleDoc:
    id: str
    kind: Literal[
        "required_if",
        "paired_lists",
        "certificate_number",
        "not_before",
        "embedded_date",
        "prefix",
        "non_negative",
    ]
    # origin "text": the standard's words, quoted from ``lines`` of its text file (parts
    # of a quote from several lines joined by " … "); origin "editor": the editors' own
    # rule, saying what it requires, with ``reason`` (``lines``: what it builds on).
    text: str
    clause: str
    # The narrowest profile that checks it (gateway ⊂ standard ⊂ strict). Absent (older
    # editions): the profile of the problem code its kind reports.
    profile: Literal["gateway", "standard", "strict"] | None = None
    # Where the rule comes from. Absent (older editions): "text" for the kinds the
    # standard profile checks, "editor" for the others.
    origin: Literal["text", "editor"] | None = None
    lines: tuple[int, ...] = ()
    reason: str | None = None
    field: str | None = None
    when: tuple[ConditionDoc, ...] = ()
    fields: tuple[str, ...] = ()
    # certificate_number: the certificate types whose numbers are 居民身份证号码 / 统一社会信用代码.
    id_types: tuple[str, ...] = ()
    uscc_types: tuple[str, ...] = ()
    # embedded_date: where the YYYYMMDD date starts inside the first field.
    offset: int | None = None


@dataclass(frozen=True)
class RecordDoc:
    key: str
    label: str
    interface: str
    clause: str
    table: str
    reply_table: str
    python_name: str
    fields: tuple[FieldDoc, ...]
    rules: tuple[RuleDoc, ...] = ()
    # The table name a reconciliation record (表 17 Table_name) gives for this
    # record type; only up_pro_accept_v3 is printed, the others are inferred.
    reconciliation_table: str | None = None
    reconciliation_table_inferred: bool = False


# ---------------------------------------------------------------- errata.yaml


@dataclass(frozen=True)
class PlaceDoc:
    where: str
    says: str


@dataclass(frozen=True)
class AliasDoc:
    record: str
    field: str
    alias: str


@dataclass(frozen=True)
class ErratumDoc:
    id: str
    title: str
    clause: str
    places: tuple[PlaceDoc, ...]
    resolution: str
    aliases: tuple[AliasDoc, ...] = ()
    # A resolution that reverses an earlier edition's: the edition that reversed it,
    # what was decided before, and why it changed.
    reversed_in: int | None = None
    previously: str | None = None
    reversal_reason: str | None = None


@dataclass(frozen=True)
class ErrataDoc:
    errata: tuple[ErratumDoc, ...]


# ---------------------------------------------------------------- reference data


@dataclass(frozen=True)
class DataSourceDoc:
    registry: str
    package: str
    version: str
    released: str
    data: str


@dataclass(frozen=True)
class RegionDoc:
    code: str
    name: str
    # In the 2019 edition but no longer current: still accepted (old records use it), with a warning.
    abolished: bool = False


@dataclass(frozen=True)
class RegionsDoc:
    standard: str
    sources: tuple[DataSourceDoc, ...]
    refresh: str
    regions: tuple[RegionDoc, ...]


@dataclass(frozen=True)
class CurrencyDoc:
    code: str
    name: str


@dataclass(frozen=True)
class CurrenciesDoc:
    standard: str
    sources: tuple[DataSourceDoc, ...]
    refresh: str
    currencies: tuple[CurrencyDoc, ...]


@dataclass(frozen=True)
class SpecDocs:
    """Every spec document, as read from ``spec/``."""

    standard: StandardDoc
    codesets: CodeSetsDoc
    records: tuple[RecordDoc, ...]
    errata: ErrataDoc
    regions: RegionsDoc
    currencies: CurrenciesDoc
