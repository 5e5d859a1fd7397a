"""µs per accept record: the generated validators against three JSON Schema / model validators.

Run by hand (not a test), after `pip install -e '.[bench]'`:

    .venv/bin/python benchmarks/validators_speed.py [--records N] [--repeat R] [--seed S]
        [--profile] [--clock wall|cpu]

The records are deterministic (random.Random(seed)): half valid, half with 1-3 breaches each
(missing required field, bad code, impossible date, too long, wrong type, bad format, SLZTDM
"2" without BSLYY, extra key). Every engine judges the same dicts:

- gdzw_uppro `validate("accept", record)` — every problem, as Problem objects with messages;
- fastjsonschema compiled from generated/jsonschema/accept.schema.json — stops at the first
  problem (JsonSchemaException);
- jsonschema's Draft202012Validator on the same schema — `iter_errors`, every problem;
- pydantic v2 on a model that datamodel-code-generator generates from the same schema into a
  temporary directory at run time — `model_validate`, every problem (ValidationError).

After one warm-up pass, R rounds: in each, every engine in turn (the order reversed every
other round) runs over the valid half, then the invalid half (``--clock``: wall time,
time.perf_counter, by default; ``cpu``, time.process_time, this process's CPU time, which
leaves out the time the shared machine gives to other processes; around each
pass). Reported: µs per record as the median of the rounds with the spread (min–max), and
the speed-ups as ratios taken round by round (median, min–max), so a burst of load from other
processes on this shared machine falls on every engine alike. Nothing is cached across
records or passes by the benchmark. The valid and invalid records are checked first: every
engine must accept every valid record, and what each misses of the invalid ones is listed
(pydantic's model has no if/then; fastjsonschema reports one problem at most). Goals (issue
14, goal 2): the standard profile at least 1.5× pydantic v2 and 3× fastjsonschema, the
strict profile at least as fast as pydantic v2. `--profile` prints cProfile's top functions
for the generated validators over all records. Build times: benchmarks/build_budget.py.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import importlib.util
import json
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO / "generated" / "jsonschema" / "accept.schema.json"
sys.path.insert(0, str(REPO / "generated" / "python"))

from benchlib import Spread, machine, ratios  # noqa: E402
from gen_records import GIVEN, SURNAMES, id_number  # noqa: E402

from gdzw_uppro import EXAMPLES, errors, validate  # noqa: E402

Record = dict[str, Any]
#: Runs over every record, returning nothing; this is what is timed.
Runner = Callable[[Sequence[Record]], None]
#: Judges one record: the number of problems the engine reports (0 means valid).
Judge = Callable[[Record], int]

SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]
REQUIRED: tuple[str, ...] = tuple(SCHEMA["required"])
DATETIME_FIELDS = ("ApplyDate", "AcceptDate", "PromiseDate", "Cd_Time")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# ------------------------------------------------------------------------------ records

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
EPOCH = datetime(2019, 1, 1)
#: Optional fields a valid record may leave out or send as null (Legal and BSLYY are kept
#: when a conditional rule requires them).
OPTIONAL = tuple(name for name in PROPERTIES if name not in REQUIRED)


def valid_record(rng: random.Random, serial: int) -> Record:
    """The accept example with fresh identity, names, dates and the numbers built from them."""
    record: Record = copy.deepcopy(EXAMPLES["accept"])
    applied = EPOCH + timedelta(seconds=rng.randrange(6 * 365 * 86400))
    accepted = applied + timedelta(seconds=rng.randrange(3 * 86400))
    promised = accepted + timedelta(days=rng.randrange(1, 31))
    synced = accepted + timedelta(seconds=rng.randrange(2 * 86400))
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
    suffix = "".join(rng.choices(ALNUM, k=4))
    record.update(
        RowGuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        ProjectNo=f"{record['TaskCode']}{applied:%Y%m%d}{suffix}",
        TaskVersion=rng.randint(1, 20),
        ApplyerName=name,
        ApplyerPageCode=id_number(rng),
        ApplyDate=f"{applied:{TIME_FORMAT}}",
        ApplyType=rng.choice(("1", "2", "3")),
        ContactName=rng.choice(SURNAMES) + rng.choice(GIVEN),
        ContactCode=id_number(rng),
        ContactMobile=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        SLZTDM=rng.choice(("1", "2", "3", "4")),
        AcceptDate=f"{accepted:{TIME_FORMAT}}",
        ProjectType=rng.choice(("1", "2", "3")),
        PromiseDate=f"{promised:{TIME_FORMAT}}",
        ApplyChannel=rng.choice(("0", "1", "2", "3", "4", "5", "9", "10", "11")),
        Cd_Operation=rng.choice(("I", "U")),
        Cd_Time=f"{synced:{TIME_FORMAT}}",
        Cd_Batch=f"{record['ProDataOrgCode']}{synced:%Y%m%d}{serial % 99999 + 1:05d}",
    )
    for optional in rng.sample(OPTIONAL, k=rng.randint(0, 6)):
        if optional in ("Legal", "BSLYY"):
            continue  # conditionally required; the example's values are kept
        if rng.random() < 0.5:
            del record[optional]
        else:
            record[optional] = None
    return record


@dataclass(frozen=True)
class Breach:
    """One way to break a record.

    ``apply(record, rng, taken)`` breaks a field not in ``taken`` (so no breach undoes
    another), adds it to ``taken`` and returns a label naming what it did.
    """

    kind: str
    apply: Callable[[Record, random.Random, set[str]], str]


def _pick(
    rng: random.Random, options: Sequence[tuple[str, Any]], taken: set[str]
) -> tuple[str, Any]:
    name, value = rng.choice([option for option in options if option[0] not in taken])
    taken.add(name)
    return name, value


def _missing(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, _ = _pick(rng, [(name, None) for name in REQUIRED], taken)
    del record[name]
    return f"missing:{name}"


BAD_CODES: tuple[tuple[str, str], ...] = (
    ("ApplyerType", "8"),
    ("ApplyType", "4"),
    ("SLZTDM", "9"),
    ("ProjectType", "0"),
    ("ApplyChannel", "8"),
    ("Cd_Operation", "X"),
    ("ContactType", "7"),
)


def _bad_code(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, value = _pick(rng, BAD_CODES, taken)
    record[name] = value
    return f"code:{name}"


IMPOSSIBLE_DATES = (
    "2019-02-30 09:30:00",
    "2019-13-01 00:00:00",
    "2021-02-29 12:00:00",
    "2019-06-20 24:00:00",
    "0000-01-01 00:00:00",
    "2019-6-20 9:30:00",
)


def _impossible_date(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, _ = _pick(rng, [(name, None) for name in DATETIME_FIELDS], taken)
    record[name] = rng.choice(IMPOSSIBLE_DATES)
    return f"datetime:{name}"


FREE_TEXT = ("ApplyerName", "TaskName", "OrgName", "ProDataOrgName", "SystemName", "Address")


def max_length(name: str) -> int:
    """A field's maxLength; an optional field's schema holds it in its non-blank branch."""
    schema = PROPERTIES[name]
    branches = [schema, *schema.get("anyOf", ())]
    return next(int(branch["maxLength"]) for branch in branches if "maxLength" in branch)


def _too_long(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, _ = _pick(rng, [(name, None) for name in FREE_TEXT], taken)
    record[name] = "办" * (max_length(name) + rng.randint(1, 20))
    return f"max_length:{name}"


WRONG_TYPES: tuple[tuple[str, object], ...] = (
    ("TaskName", 12345),
    ("ApplyerName", ["张三"]),
    ("RowGuid", 42),
    ("ApplyType", 1),
    ("Address", {"城市": "广州"}),
    ("TaskVersion", 1.5),
    ("TaskVersion", "3"),  # pydantic's lax mode turns "3" into 3
)


def _wrong_type(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, value = _pick(rng, WRONG_TYPES, taken)
    record[name] = value
    return f"type:{name}={type(value).__name__}"


BAD_FORMATS: tuple[tuple[str, str], ...] = (
    ("RowGuid", "not-a-uuid"),
    ("RowGuid", "80bd98699940-5d59-bb54-74157d4a076c0000"),
    ("RowGuid", "80bd9869-9940-5d59-bb54-74157d4a076g"),
    ("OrgCode", "11440000MB2D0461I4"),
    ("RegionCode", "4401"),
    ("ProjectNo", "11440000MB2D0461X4444201180000120190620001"),
    ("Cd_Batch", "11440000MB2D0461X42019062000000"),
    ("TaskHandleItem", "11440000MB2D0461X4444201180000100"),
    ("ProjectCo", "2019-440106-70-03-00001"),
)


def _bad_format(record: Record, rng: random.Random, taken: set[str]) -> str:
    name, value = _pick(rng, BAD_FORMATS, taken)
    record[name] = value
    return f"format:{name}"


def _refusal_without_reason(record: Record, rng: random.Random, taken: set[str]) -> str:
    taken.update(("SLZTDM", "BSLYY"))
    record["SLZTDM"] = "2"
    if rng.random() < 0.5:
        record.pop("BSLYY", None)
    else:
        record["BSLYY"] = rng.choice((None, ""))
    return "required_if:BSLYY"


def _extra_key(record: Record, rng: random.Random, taken: set[str]) -> str:
    name = rng.choice(("rowguid", "ApplyUserIdCode", "Remark", "Extra"))
    record[name] = "x"
    return f"unknown_field:{name}"


# The first breach goes first whenever it is drawn: it sets two fields the others then avoid.
BREACHES = (
    Breach("SLZTDM 2 without BSLYY", _refusal_without_reason),
    Breach("missing required", _missing),
    Breach("bad code", _bad_code),
    Breach("impossible date", _impossible_date),
    Breach("too long", _too_long),
    Breach("wrong type", _wrong_type),
    Breach("bad format", _bad_format),
    Breach("extra key", _extra_key),
)


@dataclass
class Dataset:
    valid: list[Record]
    invalid: list[Record]
    #: For each invalid record, the labels of its breaches.
    breaches: list[tuple[str, ...]] = field(default_factory=list)


def make_dataset(count: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    valid = [valid_record(rng, i) for i in range(count // 2)]
    invalid: list[Record] = []
    labels: list[tuple[str, ...]] = []
    for i in range(count - count // 2):
        record = valid_record(rng, count + i)
        chosen = sorted(rng.sample(range(len(BREACHES)), k=rng.randint(1, 3)))
        taken: set[str] = set()
        labels.append(tuple(BREACHES[index].apply(record, rng, taken) for index in chosen))
        invalid.append(record)
    return Dataset(valid, invalid, labels)


# ------------------------------------------------------------------------------ engines


@dataclass(frozen=True)
class Engine:
    name: str
    reports: str
    run: Runner
    judge: Judge
    counts: bool = True  # False: an informational row, not one of the four compared


def gdzw_engine(profile: str, counts: bool) -> Engine:
    def run(records: Sequence[Record]) -> None:
        for record in records:
            validate("accept", record, profile)

    def judge(record: Record) -> int:
        return len(errors(validate("accept", record, profile)))

    reports = "every problem" if counts else f"every problem, {profile} profile"
    return Engine(f"gdzw_uppro validators ({profile})", reports, run, judge, counts)


def fastjsonschema_engines() -> list[Engine]:
    import fastjsonschema

    check = fastjsonschema.compile(SCHEMA)
    failure = fastjsonschema.JsonSchemaException

    def run(records: Sequence[Record]) -> None:
        for record in records:
            try:
                check(record)
            except failure:
                pass

    def judge(record: Record) -> int:
        try:
            check(record)
        except failure:
            return 1
        return 0

    return [Engine("fastjsonschema", "first problem only", run, judge)]


def jsonschema_engines() -> list[Engine]:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    validator = Draft202012Validator(SCHEMA)
    iter_errors = validator.iter_errors
    is_valid = validator.is_valid

    def run(records: Sequence[Record]) -> None:
        for record in records:
            list(iter_errors(record))

    def judge(record: Record) -> int:
        return len(list(iter_errors(record)))

    def run_is_valid(records: Sequence[Record]) -> None:
        for record in records:
            is_valid(record)

    def judge_is_valid(record: Record) -> int:
        return 0 if is_valid(record) else 1

    return [
        Engine("jsonschema Draft202012Validator", "every problem (iter_errors)", run, judge),
        Engine(
            "jsonschema Draft202012Validator",
            "valid or not (is_valid)",
            run_is_valid,
            judge_is_valid,
            counts=False,
        ),
    ]


LOOKAROUND = re.compile(r"\(\?<?[=!]")


def generate_pydantic_model(directory: Path) -> tuple[Any, str]:
    """Runs datamodel-codegen on the schema; returns the imported model and how its regex runs.

    pydantic's default (Rust) regex engine has no lookahead, which the schema's date patterns
    use (``(?!0000)``). datamodel-code-generator then sets ``regex_engine="python-re"`` itself;
    should a version not do so, it is added here to the ConfigDict that extra="forbid" makes.
    """
    output = directory / "accept_model.py"
    command = [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(SCHEMA_PATH),
        "--input-file-type",
        "jsonschema",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        # The schema's title (办件受理信息（表 3）) is no Python identifier.
        "--class-name",
        "AcceptRecord",
        "--disable-timestamp",
        "--output",
        str(output),
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)
    source = output.read_text(encoding="utf-8")
    if "python-re" in source:
        regex = "regex_engine='python-re' (set by datamodel-codegen: the patterns use lookahead)"
    elif LOOKAROUND.search(source) and "ConfigDict(" in source:
        source = source.replace("ConfigDict(", "ConfigDict(regex_engine='python-re', ", 1)
        output.write_text(source, encoding="utf-8")
        regex = "regex_engine='python-re' (added by this benchmark: the patterns use lookahead)"
    else:
        regex = "pydantic's Rust regex engine"
    spec = importlib.util.spec_from_file_location("accept_model", output)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves postponed annotations through it
    spec.loader.exec_module(module)
    return module.AcceptRecord, regex


def pydantic_engine(directory: Path) -> tuple[Engine, str]:
    from pydantic import ValidationError

    model, note = generate_pydantic_model(directory)
    model_validate = model.model_validate

    def run(records: Sequence[Record]) -> None:
        for record in records:
            try:
                model_validate(record)
            except ValidationError:
                pass

    def judge(record: Record) -> int:
        try:
            model_validate(record)
        except ValidationError as exc:
            return exc.error_count()
        return 0

    return Engine("pydantic v2 (datamodel-codegen model)", "every problem", run, judge), note


# ------------------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Timing:
    """An engine's µs per record in each round: valid half, invalid half, all records."""

    engine: Engine
    valid_us: list[float]
    invalid_us: list[float]
    overall_us: list[float]


#: What a pass is timed with: wall time, or this process's CPU time (``--clock cpu``).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def pass_seconds(run: Runner, records: Sequence[Record]) -> float:
    started = clock()
    run(records)
    return clock() - started


def measure(engines: Sequence[Engine], data: Dataset, repeat: int) -> list[Timing]:
    """``repeat`` rounds after one warm-up pass; in each round every engine in turn runs
    over the valid half, then the invalid half (A B C …, the order reversed every other
    round), so a burst of load from other processes falls on every engine alike.
    """
    halves = (data.valid, data.invalid)
    for engine in engines:
        for records in halves:
            engine.run(records)  # warm-up: caches, compiled patterns, lazily built validators
    seconds: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(engines))}
    for rep in range(repeat):
        order = list(enumerate(engines))
        if rep % 2:
            order.reverse()
        for engine_no, engine in order:
            seconds[engine_no].append(
                (pass_seconds(engine.run, data.valid), pass_seconds(engine.run, data.invalid))
            )
    total = len(data.valid) + len(data.invalid)
    return [
        Timing(
            engine,
            [valid / len(data.valid) * 1e6 for valid, _ in seconds[engine_no]],
            [invalid / len(data.invalid) * 1e6 for _, invalid in seconds[engine_no]],
            [(valid + invalid) / total * 1e6 for valid, invalid in seconds[engine_no]],
        )
        for engine_no, engine in enumerate(engines)
    ]


@dataclass(frozen=True)
class Verdicts:
    engine: Engine
    valid_accepted: int
    invalid_rejected: int
    problems_on_invalid: int
    rejected_valid: list[int]
    missed: Counter[str]


def judge_all(engine: Engine, data: Dataset) -> Verdicts:
    rejected_valid = [i for i, record in enumerate(data.valid) if engine.judge(record)]
    problems = rejected = 0
    missed: Counter[str] = Counter()
    for record, labels in zip(data.invalid, data.breaches, strict=True):
        found = engine.judge(record)
        problems += found
        if found:
            rejected += 1
        else:
            missed.update(labels)
    return Verdicts(
        engine, len(data.valid) - len(rejected_valid), rejected, problems, rejected_valid, missed
    )


# ------------------------------------------------------------------------------ reporting


def speedup(baseline: Timing, row: Timing) -> Spread:
    """baseline's time ÷ row's, round by round (above 1: row is faster)."""
    return ratios(baseline.overall_us, row.overall_us)


def baselines(timings: list[Timing]) -> tuple[Timing | None, Timing | None, Timing | None]:
    """The compared rows: generated validators (standard), fastjsonschema and pydantic."""
    counted = {t.engine.name: t for t in timings if t.engine.counts}
    pydantic = next((t for name, t in counted.items() if name.startswith("pydantic")), None)
    return (
        counted.get("gdzw_uppro validators (standard)"),
        counted.get("fastjsonschema"),
        pydantic,
    )


def timings_table(timings: list[Timing]) -> list[str]:
    _, fjs, pyd = baselines(timings)
    lines = [
        "| engine | reports | valid µs/rec | invalid µs/rec | overall µs/rec "
        "| vs fastjsonschema | vs pydantic |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in timings:
        name = t.engine.name if t.engine.counts else f"*{t.engine.name}*"
        versus = [
            "—" if base is None or base is t else f"{speedup(base, t).show()}×"
            for base in (fjs, pyd)
        ]
        lines.append(
            f"| {name} | {t.engine.reports} | {Spread.of(t.valid_us).show(1, 1)} "
            f"| {Spread.of(t.invalid_us).show(1, 1)} | {Spread.of(t.overall_us).show(1, 1)} "
            f"| {versus[0]} | {versus[1]} |"
        )
    return lines


def verdicts_table(verdicts: list[Verdicts], data: Dataset) -> list[str]:
    lines = [
        f"| engine | reports | valid accepted (of {len(data.valid)}) "
        f"| invalid rejected (of {len(data.invalid)}) | problems reported on invalid |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for v in verdicts:
        lines.append(
            f"| {v.engine.name} | {v.engine.reports} | {v.valid_accepted} "
            f"| {v.invalid_rejected} | {v.problems_on_invalid} |"
        )
    return lines


#: (row, baseline, at least this many times as fast) for issue 14's goal 2.
TARGETS = (
    ("gdzw_uppro validators (standard)", "fastjsonschema", 3.0),
    ("gdzw_uppro validators (standard)", "pydantic", 1.5),
    ("gdzw_uppro validators (strict)", "pydantic", 1.0),
)


def target_lines(timings: list[Timing]) -> list[str]:
    rows = {t.engine.name: t for t in timings}
    out = []
    for name, versus, factor in TARGETS:
        row = rows.get(name)
        base = next((t for t in timings if t.engine.name.startswith(versus)), None)
        if row is None or base is None:
            continue
        ratio = speedup(base, row)
        met = "met" if ratio.median >= factor else "missed"
        out.append(f"- {name} at least {factor:g}× {base.engine.name}: {ratio.show()}× — {met}")
    return out


def profile_validators(data: Dataset, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for record in data.valid + data.invalid:
        validate("accept", record)
    profiler.disable()
    print(
        f"\n### cProfile: validate('accept', ...) over {len(data.valid) + len(data.invalid)} records\n"
    )
    print("```")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    print("```")


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records (default 10000)")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--seed", type=int, default=2019, help="random seed (default 2019)")
    parser.add_argument("--profile", action="store_true", help="cProfile the validators")
    parser.add_argument(
        "--clock", choices=tuple(CLOCKS), default="wall", help="wall (default) or cpu time"
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.records < 2 or args.repeat < 1:
        parser.error("--records must be at least 2, --repeat at least 1")

    data = make_dataset(args.records, args.seed)
    engines = [
        gdzw_engine("standard", counts=True),
        gdzw_engine("gateway", counts=False),
        gdzw_engine("strict", counts=True),
    ]
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gdzw-bench-") as tmp:
        for make in (fastjsonschema_engines, jsonschema_engines):
            try:
                engines.extend(make())
            except ImportError as exc:
                notes.append(f"skipped {make.__name__}: {exc} (pip install -e '.[bench]')")
        try:
            pyd, regex_note = pydantic_engine(Path(tmp))
            engines.append(pyd)
            notes.append(
                f"pydantic model: {regex_note}; it has no if/then, so it cannot tell "
                "SLZTDM 2/4 without BSLYY, nor ApplyerType 2/3/4 without Legal; lax "
                'mode accepts TaskVersion "3" as 3'
            )
        except (ImportError, subprocess.CalledProcessError) as exc:
            notes.append(f"skipped pydantic: {exc}")

        verdicts = [judge_all(engine, data) for engine in engines]
        for v in verdicts:
            if v.rejected_valid:
                sample = data.valid[v.rejected_valid[0]]
                raise SystemExit(
                    f"{v.engine.name} rejects {len(v.rejected_valid)} valid records, "
                    f"e.g. {json.dumps(sample, ensure_ascii=False)}"
                )
        timings = measure(engines, data, args.repeat)

    print(
        f"## Validator speed: {args.records} accept records "
        f"({len(data.valid)} valid, {len(data.invalid)} with 1–3 problems), "
        f"median (min–max) of {args.repeat} interleaved rounds after a warm-up pass, "
        f"seed {args.seed}, {args.clock} time\n"
    )
    print(
        machine() + " µs per record; “vs X” = X's time ÷ this row's, round by round (above 1 "
        "= faster than X); italic rows are for information.\n"
    )
    print("\n".join(timings_table(timings)))
    print("\nGoals (issue 14, goal 2; overall µs, every problem reported):\n")
    print("\n".join(target_lines(timings)))
    print("\n### What each engine caught\n")
    print("\n".join(verdicts_table(verdicts, data)))
    for v in verdicts:
        if v.missed:
            missed = ", ".join(f"{label} ×{n}" for label, n in v.missed.most_common())
            print(f"\n- {v.engine.name} accepted records broken only by: {missed}")
    kinds = Counter(label.split(":")[0] for labels in data.breaches for label in labels)
    print(
        "\nBreaches in the invalid half: "
        + ", ".join(f"{kind} ×{n}" for kind, n in sorted(kinds.items()))
    )
    for note in notes:
        print(f"\nNote: {note}")
    if args.profile:
        profile_validators(data, 25)


if __name__ == "__main__":
    main()
