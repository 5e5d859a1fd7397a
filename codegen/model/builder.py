"""Builds the frozen model from checked spec documents (one direction only)."""

from __future__ import annotations

import functools
import re
from dataclasses import fields, is_dataclass, replace
from types import UnionType
from typing import Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from codegen.model.examples import example_value
from codegen.model.package_name import PACKAGE
from codegen.model.types import (
    Alias,
    CertificateNumber,
    Code,
    CodeSet,
    Condition,
    Currencies,
    DatetimeSpec,
    EmbeddedDate,
    Endpoint,
    Erratum,
    Field,
    Format,
    Gateway,
    License,
    Model,
    NonNegative,
    NotBefore,
    PairedLists,
    Prefix,
    ProblemCode,
    Profile,
    PropertyKind,
    Provenance,
    Record,
    Regions,
    RequiredIf,
    Rule,
    Semantic,
    StandardInfo,
)
from codegen.spec import naming, patterns
from codegen.spec.derived import reconciliation_codeset
from codegen.spec.documents import FieldDoc, GatewayDoc, RecordDoc, RuleDoc, SpecDocs
from codegen.spec.loader import LoadedSpec
from codegen.spec.problem_codes import RULE_CODES
from codegen.spec.wire_types import DATETIME_STRFTIME, Kind, WireType, parse_wire_type

__all__ = ["PACKAGE", "build_model"]

# The reply cap of an edition that does not state one (editions before the client capped
# replies): the value the first edition that did chose, with its reason.
DEFAULT_REPLY_MAX_BYTES = 65536
DEFAULT_REPLY_MAX_BYTES_REASON = (
    "本版规范未写明，取默认值 64 KiB（codegen 的默认）：应答只是 errCode/errMsg 信封，远小于此。"
)


def build_model(spec: LoadedSpec) -> Model:
    docs = spec.docs
    std = docs.standard
    fragments: dict[str, str] = {}
    for frag in std.fragments:
        fragments[frag.id] = patterns.expand(frag.pattern, fragments)
    formats = {
        f.id: Format(
            id=f.id,
            label=f.label,
            pattern=(p := patterns.expand(f.pattern, fragments)),
            json_pattern=patterns.anchored(p),
            description=f.description,
            clause=f.clause,
        )
        for f in std.formats
    }
    dt_pattern = patterns.expand(std.datetime.pattern, fragments)
    datetime = DatetimeSpec(
        format=std.datetime.format,
        strftime=DATETIME_STRFTIME,
        printed_type=std.datetime.printed_type,
        pattern=dt_pattern,
        json_pattern=patterns.anchored(dt_pattern),
        utc_offset=std.datetime.utc_offset,
        timezone_label=std.datetime.timezone_label,
        clause=std.datetime.clause,
    )
    codeset_docs = docs.codesets.codesets + (reconciliation_codeset(docs.records),)
    codesets = {
        cs.id: CodeSet(
            id=cs.id,
            name=cs.name,
            clause=cs.clause,
            table=cs.table,
            python_name=cs.python_name,
            codes=tuple(
                Code(c.code, c.label, c.python_name or naming.default_member_name(c.code))
                for c in cs.codes
            ),
        )
        for cs in codeset_docs
    }
    aliases = _aliases(docs)
    records = tuple(
        _record(doc, std.gateway.path_prefix, codesets, formats, aliases, docs)
        for doc in docs.records
    )
    year = re.search(r"(\d{4})$", std.standard.id)
    return Model(
        standard=as_model(std.standard, StandardInfo),
        edition=std.transcription.edition,
        version=f"{year.group(1) if year else '0'}.{std.transcription.edition}",
        spec_hash=spec.hash,
        package=PACKAGE,
        semantics=tuple(as_model(s, Semantic) for s in std.semantics),
        datetime=datetime,
        formats=tuple(formats.values()),
        codesets=tuple(codesets.values()),
        records=records,
        gateway=_gateway(std.gateway),
        problem_codes=tuple(as_model(p, ProblemCode) for p in std.problem_codes),
        errata=tuple(as_model(e, Erratum) for e in docs.errata.errata),
        regions=as_model(docs.regions, Regions),
        currencies=as_model(docs.currencies, Currencies),
        license=(
            None
            if std.transcription.license is None
            else as_model(std.transcription.license, License)
        ),
    )


def _gateway(doc: GatewayDoc) -> Gateway:
    gateway = as_model(doc, Gateway)
    if doc.reply_max_bytes is None:  # an edition from before the reply cap
        gateway = replace(
            gateway,
            reply_max_bytes=DEFAULT_REPLY_MAX_BYTES,
            reply_max_bytes_reason=DEFAULT_REPLY_MAX_BYTES_REASON,
        )
    return gateway


def _aliases(docs: SpecDocs) -> dict[tuple[str, str], tuple[Alias, ...]]:
    out: dict[tuple[str, str], tuple[Alias, ...]] = {}
    for erratum in docs.errata.errata:
        for alias in erratum.aliases:
            key = (alias.record, alias.field)
            out[key] = out.get(key, ()) + (Alias(alias.alias, erratum.id),)
    return out


def _record(
    doc: RecordDoc,
    prefix: str,
    codesets: dict[str, CodeSet],
    formats: dict[str, Format],
    aliases: dict[tuple[str, str], tuple[Alias, ...]],
    docs: SpecDocs,
) -> Record:
    fields = tuple(
        _field(doc, f, codesets, formats, aliases.get((doc.key, f.name), ())) for f in doc.fields
    )
    by_name = {f.wire_name: f for f in fields}
    code_profiles = {p.code: p.profile for p in docs.standard.problem_codes}
    rules = tuple(_rule(r, by_name, code_profiles) for r in doc.rules)
    endpoints = tuple(
        Endpoint(
            record_key=doc.key,
            operation=op.id,
            path=f"{prefix}/{doc.key}/{op.path}",
            label=op.label,
            batch=op.batch,
            operation_id=f"{doc.key}{_pascal(op.id)}",
            summary=(
                doc.interface
                if not op.batch
                else doc.interface.replace("采集接口", "批量采集接口").replace(
                    "上报接口", "批量上报接口"
                )
            ),
        )
        for op in docs.standard.gateway.operations
    )
    return Record(
        key=doc.key,
        label=doc.label,
        interface=doc.interface,
        clause=doc.clause,
        table=doc.table,
        reply_table=doc.reply_table,
        python_name=doc.python_name,
        fields=fields,
        rules=rules,
        reconciliation_table=doc.reconciliation_table,
        reconciliation_table_inferred=doc.reconciliation_table_inferred,
        endpoints=endpoints,
        schema_file=f"{doc.key}.schema.json",
        example={f.wire_name: f.example for f in fields},
    )


def _field(
    record: RecordDoc,
    doc: FieldDoc,
    codesets: dict[str, CodeSet],
    formats: dict[str, Format],
    aliases: tuple[Alias, ...],
) -> Field:
    wire = parse_wire_type(doc.type)
    assert wire is not None  # checked by the loader
    codeset = codesets[doc.codeset] if doc.codeset else None
    kind = _kind(wire, codeset, doc.separator)
    python_name = doc.python_name or naming.snake_case(doc.name)
    return Field(
        wire_name=doc.name,
        label=doc.label,
        label_origin=doc.label_origin,
        former_labels=doc.former_labels,
        description=doc.description,
        required=doc.required,
        wire_type=wire,
        printed_type=wire.printed if wire.kind is not Kind.DATETIME else "DateTime",
        kind=kind,
        max_length=wire.size if wire.kind in (Kind.STRING, Kind.DATETIME) else None,
        minimum=doc.minimum,
        maximum=doc.maximum,
        codeset=codeset,
        separator=doc.separator,
        format=formats[doc.format] if doc.format else None,
        python_name=python_name,
        aliases=aliases,
        source=record.table,
        note=doc.note,
        domain=doc.domain,
        sensitive=doc.sensitive,
        personal=doc.personal or doc.sensitive,
        example=example_value(
            record.key,
            doc.name,
            doc.label,
            wire,
            codeset,
            formats[doc.format] if doc.format else None,
            doc.example,
        ),
    )


def _kind(wire: WireType, codeset: CodeSet | None, separator: str | None) -> PropertyKind:
    if wire.kind is Kind.DATETIME:
        return "datetime"
    if wire.kind in (Kind.INT, Kind.LONG):
        return "integer"
    if wire.kind is Kind.DOUBLE:
        return "number"
    if codeset is not None:
        return "code_list" if separator else "code"
    return "string_list" if separator else "string"


def _rule(doc: RuleDoc, fields: dict[str, Field], code_profiles: dict[str, Profile]) -> Rule:
    # id, text, clause, profile, provenance: what every rule kind starts with.
    common = (
        doc.id,
        doc.text,
        doc.clause,
        rule_profile(doc, code_profiles),
        _provenance(doc, code_profiles),
    )
    if doc.kind == "required_if":
        assert doc.field is not None
        return RequiredIf(
            *common,
            field=fields[doc.field],
            when=tuple(Condition(fields[c.field], c.op, c.values) for c in doc.when),
        )
    named = tuple(fields[name] for name in doc.fields)
    if doc.kind == "prefix":
        return Prefix(*common, fields=named)
    if doc.kind == "non_negative":
        return NonNegative(*common, fields=named)
    first, second = named
    pair = (first, second)
    if doc.kind == "paired_lists":
        assert first.separator is not None
        return PairedLists(*common, fields=pair, separator=first.separator)
    if doc.kind == "certificate_number":
        return CertificateNumber(
            *common,
            fields=pair,
            separator=first.separator,
            id_types=doc.id_types,
            uscc_types=doc.uscc_types,
        )
    if doc.kind == "not_before":
        return NotBefore(*common, fields=pair)
    assert doc.kind == "embedded_date" and doc.offset is not None
    return EmbeddedDate(*common, fields=pair, offset=doc.offset)


def rule_profile(doc: RuleDoc, code_profiles: dict[str, Profile]) -> Profile:
    """The rule's profile, or (older editions) that of the problem code its kind reports."""
    return doc.profile or code_profiles[RULE_CODES[doc.kind]]


def _provenance(doc: RuleDoc, code_profiles: dict[str, Profile]) -> Provenance:
    if doc.origin is not None:
        return Provenance(doc.origin, doc.lines, doc.reason)
    # Older editions did not say; they took the standard profile's rules from the text.
    default = code_profiles[RULE_CODES[doc.kind]]
    origin: Literal["text", "editor"] = "editor" if default == "strict" else "text"
    return Provenance(origin, doc.lines, doc.reason, inferred=True)


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


T = TypeVar("T")


def as_model(doc: object, cls: type[T]) -> T:
    """A spec document copied into the model's own frozen type of the same field names
    (nested documents and tuples of them likewise), so the model exposes no YAML type."""
    hints = _field_hints(cast(type, cls))
    values = {name: _as_model_value(getattr(doc, name), hint) for name, hint in hints}
    return cls(**values)


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, object], ...]:
    """Each field's name and resolved type, worked out once per class (get_type_hints is
    slow, and a build converts thousands of documents)."""
    hints = get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in fields(cls))


def _as_model_value(value: object, hint: object) -> object:
    if value is None:
        return None
    if get_origin(hint) in (Union, UnionType):
        # An optional document (``ContactDoc | None``): convert as its one non-None type.
        present = [a for a in get_args(hint) if a is not type(None)]
        if len(present) == 1:
            hint = present[0]
    if is_dataclass(hint) and isinstance(hint, type):
        return as_model(value, hint)
    if get_origin(hint) is tuple and isinstance(value, tuple):
        item, *_rest = get_args(hint)
        return tuple(_as_model_value(v, item) for v in value)
    return value
