"""Seeded JSON Lines inputs for the benchmarks: valid records and records with 1-3 problems.

Run by hand (not a test):

    .venv/bin/python benchmarks/gen_records.py --records 50000 --mix accept-only \\
        --out /tmp/accept.jsonl
    .venv/bin/python benchmarks/gen_records.py --records 1000000 --mix mixed \\
        --out-dir /tmp/dataset            # accept.jsonl, process.jsonl, ..., reconciliation.jsonl

Every record starts from the generated package's valid example of its type
(``gdzw_uppro.EXAMPLES``); what the JSON Schemas under ``generated/jsonschema/`` say about
each field (datetime, code set, format, length, type, conditional rules) decides what may
vary and how a record is broken. The same ``--seed`` and options give byte-identical files.

**What varies in a valid record**: RowGuid (a seeded UUID, unique), ProjectNo (the example's
31-character TaskCode + the case's application date + a 4-character daily serial, unique),
every DateTime field (the case's time plus increasing offsets, in the order the table lists
them, so AcceptDate ≥ ApplyDate and the like hold), Cd_Batch (the example's
ProDataOrgCode + the batch's date + a daily 5-digit sequence), person names, 居民身份证号码
wherever the example's certificate type is 111 (real birth date, correct check character),
the mobile number, and codes of code sets no rule depends on (not certificate types,
Cd_Operation or Table_name). So no validator can turn a repeated record into a lookup.

**Mixes** (``--mix``):

- ``accept-only``: N accept records, nothing else (for ``codegen validate --interface accept``).
- ``mixed``: cases (办件) one after another, each 1 accept, 1-3 process, 0-3 material,
  a result with probability 0.8, a receive with probability 0.4 when there is a result,
  a correction with probability 0.15 and a specialprocedure with probability 0.05; about
  17% accept, 34% process, 26% material, 14% result, 5.5% receive, 2.6% correction, 0.9%
  specialprocedure. Each type's records go into batches of 99 (one Cd_Batch each), and
  every batch closes with a reconciliation record whose Cd_count is the batch's record
  count (about 1% of the records). Every ProjectNo names an accept record of the set,
  every RowGuid is unique, every Cd_count is right: the dataset mode's cross-record checks
  do their full work and find nothing, unless a record is broken.

**Invalid records** (``--invalid-share``, default 0.5 of the business records; reconciliation
records are always valid): each has 1-3 distinct breaches drawn from: a required field left
out, a code not in its code set, an impossible date (2019-02-30), a free-text value past
its maximum length, a value of the wrong JSON type, a formatted value (USCC, division code,
project code, …) with its last character replaced by "!", an unknown extra key, and a
conditional rule broken (its condition set, the field it requires removed). RowGuid,
ProjectNo, Cd_Batch and the reconciliation fields are never broken, so the cross-record
checks stay consistent. The generator checks the first records of each type itself
(every valid one passes ``validate``, every invalid one fails it) and stops if not;
``--verify`` checks every record.

``--records N`` is the total number of lines written, reconciliation records included
(for ``mixed``, the last case may be cut short to land on N). A summary of counts per type
goes to stderr (``--manifest FILE`` writes it as JSON too).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
GENERATED = REPO / "generated"

Record = dict[str, Any]

#: Never broken: the cross-record checks read them.
PROTECTED = frozenset(
    ("RowGuid", "ProjectNo", "Cd_Batch", "Table_name", "Cd_batch", "Cd_count", "Cd_time")
)
#: Codes whose value other checks depend on (certificate types decide how a number is
#: checked in the strict profile), never varied.
FIXED_CODESETS = frozenset(("certificate_type", "cd_operation"))
FIXED_CODE_FIELDS = frozenset(("Cd_Operation", "Table_name"))
#: Person-name fields whose value varies, when a type has them.
NAME_FIELDS = (
    "ApplyerName",
    "ContactName",
    "Legal",
    "ReceiverName",
    "InformerName",
    "ApplierUserName",
    "AcceptName",
)
#: (number field, certificate type field): the number is a 居民身份证号码 when the type is 111.
ID_PAIRS = (
    ("ApplyerPageCode", "ApplyerPageType"),
    ("ContactCode", "ContactType"),
    ("ReceiverPageNo", "ReceiverPageType"),
)
MOBILE_FIELDS = ("ContactMobile",)
BATCH_SIZE = 99  # records per Cd_Batch: one request's worth (7.1: fewer than 100)
RECONCILIATION = "reconciliation"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EPOCH = datetime(2019, 7, 1, 8, 0, 0)
SERIAL_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌浩宇子涵欣怡梓轩"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
#: Codes tried, in order, for "a code not in its code set" (the first not in the set and
#: within the field's maximum length is used).
NOT_CODES = ("8", "7", "0", "9", "6", "98", "77", "X")
IMPOSSIBLE_DATE = "2019-02-30 09:30:00"
#: Records of each type checked by the generator itself, whatever --verify says.
SELF_CHECK = 300

# --------------------------------------------------------------------------- record types


@dataclass(frozen=True)
class Condition:
    """A conditional rule: set ``when`` (field → value) and ``requires`` becomes required."""

    when: tuple[tuple[str, Any], ...]
    requires: tuple[str, ...]


@dataclass(frozen=True)
class RecordType:
    """What the generator knows about one record type (from its example and JSON Schema)."""

    key: str
    example: Record
    datetimes: tuple[str, ...]
    required: tuple[str, ...]
    codes: dict[str, tuple[Any, ...]]  # code field → its codes (nulls dropped)
    varied_codes: tuple[str, ...]
    max_lengths: dict[str, int]
    free_text: tuple[str, ...]  # no code set, pattern or format: may be made too long
    formatted: tuple[str, ...]  # has a format (not a datetime): may be garbled
    integers: tuple[str, ...]
    strings: tuple[str, ...]
    conditions: tuple[Condition, ...]
    names: tuple[str, ...]
    id_numbers: tuple[str, ...]
    mobiles: tuple[str, ...]


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", ())
    return {kind} if isinstance(kind, str) else set(kind)


def _condition(rule: dict[str, Any]) -> Condition | None:
    condition = rule.get("if", {})
    branch = condition["anyOf"][0] if "anyOf" in condition else condition
    when = []
    for name, sub in branch.get("properties", {}).items():
        if "enum" in sub:
            when.append((name, sub["enum"][0]))
        # other forms ("not empty") hold for the example's value already
    requires = tuple(rule.get("then", {}).get("required", ()))
    return Condition(tuple(when), requires) if requires else None


def package(generated: Path) -> ModuleType:
    """The generated package under ``generated/python`` (the one already imported, if any)."""
    path = str(generated / "python")
    if path not in sys.path:
        sys.path.insert(0, path)
    import gdzw_uppro

    return gdzw_uppro


def load_type(key: str, example: Record, schemas: Path) -> RecordType:
    schema = json.loads((schemas / f"{key}.schema.json").read_text(encoding="utf-8"))
    props: dict[str, dict[str, Any]] = schema["properties"]
    order = [name for name in example if name in props]
    conditions = tuple(
        c for c in (_condition(rule) for rule in schema.get("allOf", ())) if c is not None
    )
    in_conditions = {name for c in conditions for name, _ in c.when}
    codes = {
        name: tuple(code for code in props[name]["enum"] if code is not None)
        for name in order
        if "enum" in props[name]
    }
    datetimes = tuple(n for n in order if props[n].get("x-gdzw-wire-type") == "DateTime")
    free_text = tuple(
        n
        for n in order
        if "string" in _types(props[n])
        and "maxLength" in props[n]
        and props[n]["maxLength"] <= 1000
        and not {"enum", "pattern", "x-gdzw-format", "x-gdzw-separator"} & props[n].keys()
        and n not in PROTECTED
    )
    return RecordType(
        key=key,
        example=example,
        datetimes=datetimes,
        required=tuple(n for n in schema.get("required", ()) if n not in PROTECTED),
        codes=codes,
        varied_codes=tuple(
            n
            for n in codes
            if n not in in_conditions
            and n not in FIXED_CODE_FIELDS
            and props[n].get("x-gdzw-codeset") not in FIXED_CODESETS
        ),
        max_lengths={n: p["maxLength"] for n, p in props.items() if "maxLength" in p},
        free_text=free_text,
        formatted=tuple(
            n
            for n in order
            if "x-gdzw-format" in props[n] and n not in datetimes and n not in PROTECTED
        ),
        integers=tuple(n for n in order if "integer" in _types(props[n]) and n not in PROTECTED),
        strings=tuple(
            n
            for n in order
            if "string" in _types(props[n]) and "enum" not in props[n] and n not in PROTECTED
        ),
        conditions=conditions,
        names=tuple(n for n in NAME_FIELDS if n in example),
        id_numbers=tuple(n for n, kind in ID_PAIRS if n in example and example.get(kind) == "111"),
        mobiles=tuple(n for n in MOBILE_FIELDS if n in example),
    )


def load_types(generated: Path) -> dict[str, RecordType]:
    examples: dict[str, Record] = package(generated).EXAMPLES
    schemas = generated / "jsonschema"
    return {key: load_type(key, dict(example), schemas) for key, example in examples.items()}


def reconciliation_tables(generated: Path) -> dict[str, str]:
    """Record type → its reconciliation Table_name (the package's spec metadata)."""
    tables: dict[str, str] = package(generated).spec.RECONCILIATION_TABLES
    return {str(key): str(table) for key, table in tables.items()}


# --------------------------------------------------------------------------- breaches

#: A breach changes ``record`` in place, avoiding fields in ``taken`` (adding the ones it
#: touches), and returns a label, or None when this type offers nothing to break that way.
Breach = Callable[[RecordType, Record, random.Random, set[str]], "str | None"]


def _choose(rng: random.Random, names: tuple[str, ...], taken: set[str]) -> str | None:
    free = [n for n in names if n not in taken]
    if not free:
        return None
    name = rng.choice(free)
    taken.add(name)
    return name


def _missing(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = _choose(rng, t.required, taken)
    if name is None:
        return None
    record.pop(name, None)
    return f"missing:{name}"


def _bad_code(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = _choose(rng, tuple(n for n in t.codes if n not in PROTECTED), taken)
    if name is None:
        return None
    limit = t.max_lengths.get(name, 2)
    record[name] = next(c for c in NOT_CODES if c not in t.codes[name] and len(c) <= limit)
    return f"code:{name}"


def _impossible_date(
    t: RecordType, record: Record, rng: random.Random, taken: set[str]
) -> str | None:
    name = _choose(rng, t.datetimes, taken)
    if name is None:
        return None
    record[name] = IMPOSSIBLE_DATE
    return f"datetime:{name}"


def _too_long(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = _choose(rng, t.free_text, taken)
    if name is None:
        return None
    record[name] = "办" * (t.max_lengths[name] + rng.randint(1, 20))
    return f"max_length:{name}"


def _wrong_type(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = _choose(rng, t.strings + t.integers, taken)
    if name is None:
        return None
    record[name] = "abc" if name in t.integers else rng.choice((12345, ["x"], {"x": 1}))
    return f"type:{name}"


def _bad_format(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = _choose(rng, tuple(n for n in t.formatted if isinstance(record.get(n), str)), taken)
    if name is None:
        return None
    record[name] = record[name][:-1] + "!"
    return f"format:{name}"


def _extra_key(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    name = rng.choice(("Extra", "Remark2", "ExtField"))
    if name in taken:
        return None
    taken.add(name)
    record[name] = "x"
    return f"unknown_field:{name}"


def _conditional(t: RecordType, record: Record, rng: random.Random, taken: set[str]) -> str | None:
    usable = [
        c
        for c in t.conditions
        if not taken & ({n for n, _ in c.when} | set(c.requires))
        and not PROTECTED & set(c.requires)
    ]
    if not usable:
        return None
    condition = rng.choice(usable)
    for name, value in condition.when:
        record[name] = value
        taken.add(name)
    for name in condition.requires:
        record.pop(name, None)
        taken.add(name)
    return f"required_if:{','.join(condition.requires)}"


BREACHES: tuple[tuple[str, Breach], ...] = (
    ("conditional rule", _conditional),
    ("missing required", _missing),
    ("bad code", _bad_code),
    ("impossible date", _impossible_date),
    ("too long", _too_long),
    ("wrong type", _wrong_type),
    ("bad format", _bad_format),
    ("extra key", _extra_key),
)


def break_record(t: RecordType, record: Record, rng: random.Random) -> list[str]:
    """Applies 1-3 distinct breaches (fewer only if the type offers fewer kinds)."""
    wanted = rng.randint(1, 3)
    labels: list[str] = []
    taken: set[str] = set()
    for index in rng.sample(range(len(BREACHES)), len(BREACHES)):
        if len(labels) == wanted:
            break
        label = BREACHES[index][1](t, record, rng, taken)
        if label is not None:
            labels.append(label)
    return labels


# --------------------------------------------------------------------------- valid records


def id_number(rng: random.Random) -> str:
    """A 居民身份证号码 with a real birth date and a correct GB 11643 check character."""
    birth = datetime(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"440106{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def serial(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, len(SERIAL_DIGITS))
        digits.append(SERIAL_DIGITS[digit])
    return "".join(reversed(digits))


@dataclass
class Case:
    """One 办件: its ProjectNo and when it was applied for."""

    project_no: str
    applied: datetime


@dataclass
class Batch:
    cd_batch: str
    count: int = 0
    last_time: datetime = EPOCH


@dataclass
class Counts:
    records: dict[str, int] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    breaches: dict[str, int] = field(default_factory=dict)


class Generator:
    """Makes records in a fixed order from one seeded random.Random."""

    def __init__(
        self,
        types: dict[str, RecordType],
        tables: dict[str, str],
        seed: int,
        invalid_share: float,
    ) -> None:
        self.types = types
        self.rng = random.Random(seed)
        self.invalid_share = invalid_share
        self.clock = EPOCH
        self.project_serials: dict[str, int] = {}
        self.batch_serials: dict[str, int] = {}
        self.open_batches: dict[str, Batch] = {}
        self.counts = Counts()
        accept = types["accept"].example
        self.task_code = str(accept["TaskCode"])
        self.org_code = str(accept["ProDataOrgCode"])
        self.tables = tables

    # -- cases and batches

    def new_case(self) -> Case:
        self.clock += timedelta(seconds=self.rng.randrange(1, 600))
        day = f"{self.clock:%Y%m%d}"
        number = self.project_serials.get(day, 0)
        self.project_serials[day] = number + 1
        return Case(f"{self.task_code}{day}{serial(number, 4)}", self.clock)

    def batch_for(self, key: str, when: datetime) -> tuple[Batch, bool]:
        """The open batch of ``key`` (opening one, dated ``when``): (batch, opened)."""
        batch = self.open_batches.get(key)
        if batch is not None:
            return batch, False
        day = f"{when:%Y%m%d}"
        number = self.batch_serials.get(day, 0) + 1
        self.batch_serials[day] = number
        batch = Batch(f"{self.org_code}{day}{number:05d}")
        self.open_batches[key] = batch
        return batch, True

    def close_batch(self, key: str) -> Record:
        batch = self.open_batches.pop(key)
        record = dict(self.types[RECONCILIATION].example)
        record.update(
            Table_name=self.tables[key],
            Cd_batch=batch.cd_batch,
            Cd_count=batch.count,
            Cd_time=f"{batch.last_time + timedelta(minutes=5):{TIME_FORMAT}}",
        )
        self._count(RECONCILIATION, [])
        return record

    # -- records

    def record(self, key: str, case: Case) -> tuple[Record, list[str], datetime]:
        """A record of type ``key`` for ``case``: the labels of its breaches ([] if valid)
        and its latest time."""
        t = self.types[key]
        rng = self.rng
        record = dict(t.example)
        record["RowGuid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        record["ProjectNo"] = case.project_no
        when = case.applied
        for i, name in enumerate(t.datetimes):
            if i or key != "accept":  # the accept's first datetime is ApplyDate itself
                when += timedelta(seconds=rng.randrange(0, 3 * 86400))
            record[name] = f"{when:{TIME_FORMAT}}"
        for name in t.names:
            record[name] = person_name(rng)
        for name in t.id_numbers:
            record[name] = id_number(rng)
        for name in t.mobiles:
            record[name] = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        for name in t.varied_codes:
            record[name] = rng.choice(t.codes[name])
        labels: list[str] = []
        if rng.random() < self.invalid_share:
            labels = break_record(t, record, rng)
        return record, labels, when

    def batched(self, key: str, case: Case) -> tuple[Record, list[str], bool]:
        """A record placed in its type's open batch: (record, breaches, opened a batch)."""
        record, labels, when = self.record(key, case)
        batch, opened = self.batch_for(key, when)
        record["Cd_Batch"] = batch.cd_batch
        batch.count += 1
        batch.last_time = max(batch.last_time, when)
        self._count(key, labels)
        return record, labels, opened

    def _count(self, key: str, labels: list[str]) -> None:
        counts = self.counts
        counts.records[key] = counts.records.get(key, 0) + 1
        if labels:
            counts.invalid[key] = counts.invalid.get(key, 0) + 1
            for label in labels:
                kind = label.split(":")[0]
                counts.breaches[kind] = counts.breaches.get(kind, 0) + 1

    def case_keys(self) -> list[str]:
        """The record types of one case of the mixed mix, in the order they happen."""
        rng = self.rng
        keys = ["accept"] + ["process"] * rng.randint(1, 3) + ["material"] * rng.randint(0, 3)
        if rng.random() < 0.15:
            keys.append("correction")
        if rng.random() < 0.05:
            keys.append("specialprocedure")
        if rng.random() < 0.8:
            keys.append("result")
            if rng.random() < 0.4:
                keys.append("receive")
        return keys

    # -- streams

    def accept_only(self, total: int) -> Iterator[tuple[str, Record, list[str]]]:
        for _ in range(total):
            record, labels, _ = self.record("accept", self.new_case())
            batch, _ = self.batch_for("accept", self.clock)
            record["Cd_Batch"] = batch.cd_batch
            batch.count += 1
            if batch.count == BATCH_SIZE:
                del self.open_batches["accept"]  # no reconciliation records in this mix
            self._count("accept", labels)
            yield "accept", record, labels

    def mixed(self, total: int) -> Iterator[tuple[str, Record, list[str]]]:
        written = 0
        while written + len(self.open_batches) < total:
            if not self.open_batches and total - written < 2:
                break  # a lone record would need a batch and its reconciliation
            case = self.new_case()
            for key in self.case_keys():
                room = total - written - len(self.open_batches)
                if room <= 0 or (key not in self.open_batches and room < 2):
                    if key == "accept":
                        break  # never a case's records without its accept
                    continue
                record, labels, _ = self.batched(key, case)
                written += 1
                yield key, record, labels
                if self.open_batches[key].count == BATCH_SIZE:
                    written += 1
                    yield RECONCILIATION, self.close_batch(key), []
        for key in sorted(self.open_batches):
            written += 1
            yield RECONCILIATION, self.close_batch(key), []


# --------------------------------------------------------------------------- writing


class Verifier:
    """Checks that valid records pass ``validate`` and broken ones fail it."""

    def __init__(self, generated: Path, every: bool) -> None:
        gdzw_uppro = package(generated)
        self.validate = gdzw_uppro.validate
        self.errors = gdzw_uppro.errors
        self.every = every
        self.seen: dict[str, int] = {}

    def check(self, key: str, record: Record, labels: list[str], number: int) -> None:
        seen = self.seen.get(key, 0)
        self.seen[key] = seen + 1
        if not self.every and seen >= SELF_CHECK:
            return
        found = self.errors(self.validate(key, record))
        if labels and not found:
            raise SystemExit(f"record {number} ({key}) was broken ({labels}) but passes validate")
        if not labels and found:
            raise SystemExit(
                f"record {number} ({key}) should be valid but: "
                + "; ".join(f"{p.field} {p.code}" for p in found)
            )


def generate(
    total: int,
    mix: str,
    seed: int,
    invalid_share: float,
    out: Path | None,
    out_dir: Path | None,
    verify: bool = False,
    generated: Path = GENERATED,
) -> Counts:
    """Writes the records; returns what was written."""
    generator = Generator(
        load_types(generated), reconciliation_tables(generated), seed, invalid_share
    )
    stream = generator.accept_only(total) if mix == "accept-only" else generator.mixed(total)
    verifier = Verifier(generated, verify)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    handles: dict[str, IO[str]] = {}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)

    def handle(key: str) -> IO[str]:
        if key not in handles:
            path = out if out is not None else (out_dir or Path(".")) / f"{key}.jsonl"
            handles[key] = open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
        return handles[key]

    try:
        for number, (key, record, labels) in enumerate(stream, 1):
            verifier.check(key, record, labels, number)
            handle(key).write(encode(record) + "\n")
    finally:
        for h in handles.values():
            h.close()
    return generator.counts


def summary(counts: Counts, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
    total = sum(counts.records.values())
    return {
        "records": total,
        "mix": args.mix,
        "seed": args.seed,
        "invalid_share": args.invalid_share,
        "per_type": dict(sorted(counts.records.items())),
        "invalid_per_type": dict(sorted(counts.invalid.items())),
        "breaches": dict(sorted(counts.breaches.items())),
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=50_000, help="lines in all (50000)")
    parser.add_argument("--mix", choices=("accept-only", "mixed"), default="accept-only")
    parser.add_argument(
        "--invalid-share",
        type=float,
        default=0.5,
        help="share of business records with 1-3 problems (0.5)",
    )
    parser.add_argument("--seed", type=int, default=2019, help="random seed (2019)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="one JSON Lines file (accept-only)")
    where.add_argument(
        "--out-dir", type=Path, help="a directory of per-type files named by key (accept.jsonl)"
    )
    parser.add_argument("--verify", action="store_true", help="validate every record written")
    parser.add_argument("--manifest", type=Path, help="also write the summary here as JSON")
    parser.add_argument(
        "--generated",
        type=Path,
        default=GENERATED,
        help="the generated/ directory whose examples and schemas to use (this checkout's)",
    )
    args = parser.parse_args(argv)
    if args.records < 1 or not 0 <= args.invalid_share <= 1:
        parser.error("--records must be at least 1 and --invalid-share between 0 and 1")
    if args.mix == "mixed" and args.out is not None:
        parser.error("--mix mixed writes one file per record type: give --out-dir")
    started = time.perf_counter()
    counts = generate(
        args.records,
        args.mix,
        args.seed,
        args.invalid_share,
        args.out,
        args.out_dir,
        args.verify,
        args.generated,
    )
    report = summary(counts, args, time.perf_counter() - started)
    text = json.dumps(report, ensure_ascii=False)
    print(text, file=sys.stderr)
    if args.manifest is not None:
        args.manifest.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
