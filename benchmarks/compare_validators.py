"""Every problem the same: this checkout's validators against another build's, record by record.

Run by hand (not a test) after changing the validators, their templates or runtime helpers:

    .venv/bin/python benchmarks/compare_validators.py --old /work/main/generated/python \\
        [--records 60000] [--mutations 3000] [--seed 7]

The other build's package (``--old``, a ``generated/python`` directory) is copied to a
temporary directory under another name and imported beside this checkout's. Both judge the
same records in every profile (gateway, standard, strict) and both length units (char,
utf8), and every list of problems must be equal, field by field, message by message, in
the same order. The records:

- a mixed dataset from ``gen_records.py`` (every record type, half of the business records
  with 1-3 breaches; ``--records``, ``--seed``) and an accept-only file of the same size;
- ``validators_speed.py``'s 10,000 accept records (half with 1-3 breaches);
- ``--mutations`` per record type: the type's example with 1-4 fields replaced by hostile
  values (wrong types, NaN and the infinities, huge integers, lone surrogates, control
  characters, long text, str subclasses, empty list parts, impossible dates and ID numbers,
  bad check digits, Unicode digits, "_", "+" and spaces that int() accepts), removed or
  garbled a character at a time, some with an unknown key.

Exits 1 at the first difference, printing the record and both lists.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from gen_records import GENERATED, Generator, load_types, package, reconciliation_tables

Record = dict[str, Any]
Validate = Callable[[str, object, str, str], list[Any]]
PROFILES = ("gateway", "standard", "strict")
UNITS = ("char", "utf8")


class Text(str):
    """A str subclass: the validators treat it as text, the fast paths send it the long way."""


HOSTILE: tuple[object, ...] = (
    *(None, "", " ", "x", "\ud800", "a\ud800b", "办\ud83d", "\n", "a\tb"),
    *("办" * 5000, "x" * 5000, True, False, 0, -1, 1.5, float("nan"), float("inf")),
    *(-float("inf"), 10**30, -(10**30), 2**31, [], {}, ["a"], Text("abc"), Text("")),
    *("^", "^^", "1^", "^1", "111^112", "1^^2", ";", "a;;b", "a;", "0", "1", "-0.0", -0.0),
    *(-5, 1e308, "2019-02-29 00:00:00", "2020-02-29 00:00:00", "2019-06-20 24:00:00"),
    *("１２３", "٣", "ABC", "11440000MB2D0461X4", "11440000MB2D0461X5", "440106"),
    *("440106000000", "999999", "13800138000", "510630", "https://a.b/", '{"a":1}', "NaN"),
    *("[1,2", "USD", "CNY", "00000000000000000X", "440106199002301235"),
    *("440106180001011235", "000000000000000000", "440106200002291234"),
    # Text int() and str.isdigit() accept that the checks must not: the check digits are
    # computed with int(..., 13) and int(..., 34), which take "_", spaces, "+" and any
    # Unicode digit.
    *("١٢", "1_000", " 12 ", "+1", "12\n", "²", "Ⅻ", "\u3000", "\u200b", "e\u0301", "\ufeff"),
    *("１１４４００００MB2D0461X4", "1_440000MB2D0461X4", "١١٤٤٠٠٠٠MB2D0461X4"),
    *("11440000mb2d0461x4", " 1440000MB2D0461X4", "44010619900307123٤"),
    *("440106_99003071234", " 40106199003071234", "+40106199003071234"),
)
GARBLE = ("X", "0", "办", "!", "^", ";", "-", " ", "\ud800", "", "١", "_", "+", "\u3000")


def import_as(source: Path, name: str, into: Path) -> ModuleType:
    """The package in ``source`` imported as ``name`` (relative imports keep it whole)."""
    shutil.copytree(source, into / name)
    sys.path.insert(0, str(into))
    module = __import__(name)
    return module


def mutate(rng: random.Random, record: Record, fields: list[str]) -> Record:
    out = dict(record)
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(fields)
        draw = rng.random()
        value = out.get(name)
        if draw < 0.15:
            out.pop(name, None)
        elif draw < 0.8 or not isinstance(value, str) or not value:
            out[name] = rng.choice(HOSTILE)
        else:
            at = rng.randrange(len(value))
            out[name] = value[:at] + rng.choice(GARBLE) + value[at + 1 :]
    if rng.random() < 0.05:
        out[rng.choice(("rowguid", "Extra", "x" * 80, "\ud800k"))] = 1
    return out


def dataset(records: int, seed: int, mix: str) -> Iterator[tuple[str, Record]]:
    generator = Generator(load_types(GENERATED), reconciliation_tables(GENERATED), seed, 0.5)
    stream = generator.accept_only(records) if mix == "accept-only" else generator.mixed(records)
    for key, record, _ in stream:
        yield key, record


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the other generated/python")
    parser.add_argument("--records", type=int, default=60_000)
    parser.add_argument("--mutations", type=int, default=3_000, help="per record type")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    new = package(GENERATED)
    counts = {"records": 0, "validations": 0, "problems": 0}
    with tempfile.TemporaryDirectory(prefix="gdzw-compare-") as tmp:
        old = import_as(args.old / "gdzw_uppro", "gdzw_compared", Path(tmp))
        old_validate: Validate = old.validate
        new_validate: Validate = new.validate

        def same(key: str, record: Record) -> None:
            counts["records"] += 1
            for profile in PROFILES:
                for unit in UNITS:
                    before = [vars(p) for p in old_validate(key, record, profile, unit)]
                    after = [vars(p) for p in new_validate(key, record, profile, unit)]
                    counts["validations"] += 1
                    counts["problems"] += len(before)
                    if before != after:
                        shown = json.dumps(record, ensure_ascii=True)[:600]
                        print(f"DIFFERENT: {key}, {profile}, {unit}: {shown}")
                        print(f"  --old: {before}\n  this:  {after}")
                        raise SystemExit(1)

        for mix in ("mixed", "accept-only"):
            for key, record in dataset(args.records, args.seed, mix):
                same(key, record)
        import validators_speed

        data = validators_speed.make_dataset(10_000, 2019)
        for record in data.valid + data.invalid:
            same("accept", record)
        rng = random.Random(args.seed)
        for key, example in new.EXAMPLES.items():
            fields = [f.wire_name for f in new.spec.FIELDS[key]]
            for _ in range(args.mutations):
                same(key, mutate(rng, example, fields))
    print(
        f"the same: {counts['records']:,} records, {counts['validations']:,} validations "
        f"(3 profiles × 2 length units), {counts['problems']:,} problems on each side"
    )


if __name__ == "__main__":
    main()
