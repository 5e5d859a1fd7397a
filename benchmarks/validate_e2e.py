"""`codegen validate` end to end against the floor of merely parsing its input (issue 14, 1 and 4).

Run by hand (not a test):

    .venv/bin/python benchmarks/validate_e2e.py [--sizes 50000,200000] [--repeat 5]
        [--invalid-share 0.5] [--seed 2019] [--workdir DIR] [--mixed]
    .venv/bin/python benchmarks/validate_e2e.py --large [--large-records 1000000]

For each size, ``gen_records.py`` writes N accept records (``--invalid-share`` of them with
1-3 problems each) to ``DIR/N/accept.jsonl``, and three commands take turns on that same
file, after one warm-up run each (which also brings the file into the page cache):

- ``codegen validate --interface accept FILE``: every record checked on its own;
- the parse floor: ``python -c`` that ``json.loads`` every line of FILE, nothing else;
- ``codegen validate DIR/N``: dataset mode on the same records, with the cross-record
  checks (its index in a temporary SQLite file).

``--mixed`` adds, per size, ``codegen validate`` on a mixed dataset of N records (every
record type, cross-record checks doing real work) against the parse floor over its files.
Every command is a whole process, start-up included, stdout and stderr sent to a file (the
problems are printed as users would get them); wall time, user+sys CPU and the peak
resident memory of the whole process tree are taken as ``benchlib`` describes. Reported:
medians with the spread (min–max) over ``--repeat`` rounds, records/s from the median, and
ratios taken round by round.

``--large`` instead writes a mixed dataset of ``--large-records`` (1,000,000) records and
runs ``codegen validate DIR`` on it once (and the parse floor over the same files once, for
scale): time, peak tree memory, records/s.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchlib import MB, Run, Spread, interleaved, machine, ratios, run

REPO = Path(__file__).resolve().parent.parent
GENERATOR = Path(__file__).resolve().parent / "gen_records.py"

#: json.loads every non-blank line of every file named; nothing else.
PARSE_FLOOR = (
    "import json, sys\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, encoding='utf-8') as handle:\n"
    "        for line in handle:\n"
    "            if line.strip():\n"
    "                json.loads(line)\n"
)
SUMMARY = re.compile(r"\((\d+) records, (\d+) invalid")


def codegen_command() -> list[str]:
    script = Path(sys.executable).with_name("codegen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "codegen.cli.main"]


def generate(records: int, mix: str, seed: int, share: float, directory: Path) -> dict[str, object]:
    """Writes the dataset into ``directory`` (reused if its manifest matches) and returns
    the manifest."""
    manifest = directory.with_name(directory.name + ".manifest.json")  # not in the dataset
    wanted = {"records": records, "mix": mix, "seed": seed, "invalid_share": share}
    if manifest.exists():
        known: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
        if all(known.get(k) == v for k, v in wanted.items()):
            return known
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.jsonl"):
        old.unlink()
    command = [
        sys.executable,
        str(GENERATOR),
        f"--records={records}",
        f"--mix={mix}",
        f"--seed={seed}",
        f"--invalid-share={share}",
        f"--out-dir={directory}",
        f"--manifest={manifest}",
    ]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    loaded: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Row:
    label: str
    command: list[str]
    runs: list[Run]
    records: int
    output: Path


def summary_records(output: Path) -> str:
    """What the command's summary line says: ``N records, M invalid`` (or ``—``)."""
    text = output.read_text(encoding="utf-8", errors="replace")
    found = SUMMARY.findall(text[-4000:])
    return f"{found[-1][0]} records, {found[-1][1]} invalid" if found else "—"


def measure(commands: dict[str, list[str]], records: int, repeat: int, scratch: Path) -> list[Row]:
    scratch.mkdir(parents=True, exist_ok=True)
    outputs = {label: scratch / f"output-{i}.txt" for i, label in enumerate(commands)}
    actions = {
        label: (lambda c=command, o=outputs[label]: run(c, cwd=REPO, output=o))
        for label, command in commands.items()
    }
    results = interleaved(actions, repeat, warmup=1)
    return [
        Row(label, commands[label], results[label], records, outputs[label]) for label in commands
    ]


def table(pairs: list[tuple[Row, Row]]) -> list[str]:
    """One line per (row, the parse floor it is compared with)."""
    lines = [
        "| records | command | wall s | records/s | peak tree MB | CPU s | ÷ parse floor "
        "| exit | summary |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row, floor in pairs:
        wall = Spread.of([r.wall for r in row.runs])
        memory = Spread.of([r.tree_peak for r in row.runs])
        cpu = Spread.of([r.cpu for r in row.runs])
        versus = ratios([r.wall for r in row.runs], [r.wall for r in floor.runs])
        codes = sorted({r.returncode for r in row.runs})
        lines.append(
            f"| {row.records:,} | {row.label} | {wall.show()} | {row.records / wall.median:,.0f} "
            f"| {memory.show(MB, 0)} | {cpu.show()} | {'—' if row is floor else versus.show()} "
            f"| {','.join(map(str, codes))} | {summary_records(row.output)} |"
        )
    return lines


def goals(sized: dict[int, tuple[Row, Row, Row]]) -> list[str]:
    out = []
    for size, (interface, floor, dataset) in sized.items():
        vs_floor = ratios([r.wall for r in interface.runs], [r.wall for r in floor.runs])
        vs_interface = ratios([r.wall for r in dataset.runs], [r.wall for r in interface.runs])
        out.append(
            f"- {size:,} records: `--interface` ÷ parse floor {vs_floor.show()} — goal ≤ 1: "
            f"{'met' if vs_floor.median <= 1 else 'missed'}; dataset ÷ `--interface` "
            f"{vs_interface.show()} — goal ≤ 1.3: "
            f"{'met' if vs_interface.median <= 1.3 else 'missed'}"
        )
    if len(sized) > 1:
        peaks = {
            size: Spread.of([r.tree_peak for r in rows[0].runs]).median
            for size, rows in sized.items()
        }
        small, large = min(peaks), max(peaks)
        growth = peaks[large] / peaks[small]
        out.append(
            f"- memory of `--interface` from {small:,} to {large:,} records: "
            f"{peaks[small] * MB:.0f} → {peaks[large] * MB:.0f} MB (×{growth:.2f}) — flat: "
            f"{'yes' if growth <= 1.1 else 'no'}"
        )
    return out


def sized_runs(args: argparse.Namespace, work: Path) -> None:
    codegen = codegen_command()
    sizes = [int(s) for s in args.sizes.split(",")]
    pairs: list[tuple[Row, Row]] = []
    sized: dict[int, tuple[Row, Row, Row]] = {}
    for size in sizes:
        directory = work / f"accept-{size}"
        generate(size, "accept-only", args.seed, args.invalid_share, directory)
        data = directory / "accept.jsonl"
        commands = {
            "`codegen validate --interface accept FILE`": [
                *codegen,
                "validate",
                "--interface",
                "accept",
                str(data),
            ],
            "parse floor (`json.loads` per line)": [
                sys.executable,
                "-c",
                PARSE_FLOOR,
                str(data),
            ],
            "`codegen validate DIR` (dataset mode)": [*codegen, "validate", str(directory)],
        }
        print(
            f"# {size:,} accept records: {len(commands)} commands × {args.repeat} rounds",
            file=sys.stderr,
        )
        measured = measure(commands, size, args.repeat, work / f"out-accept-{size}")
        interface, floor, dataset = measured
        pairs.extend((row, floor) for row in measured)
        sized[size] = (interface, floor, dataset)
        if args.mixed:
            mixed_dir = work / f"mixed-{size}"
            generate(size, "mixed", args.seed, args.invalid_share, mixed_dir)
            files = sorted(str(p) for p in mixed_dir.glob("*.jsonl"))
            mixed_commands = {
                "`codegen validate DIR`, mixed types": [*codegen, "validate", str(mixed_dir)],
                "parse floor over the mixed files": [sys.executable, "-c", PARSE_FLOOR, *files],
            }
            print(f"# {size:,} mixed records", file=sys.stderr)
            mixed, mixed_floor = measure(
                mixed_commands, size, args.repeat, work / f"out-mixed-{size}"
            )
            pairs.extend(((mixed, mixed_floor), (mixed_floor, mixed_floor)))
    print(
        f"## `codegen validate` end to end: accept records, {args.invalid_share:.0%} with 1–3 "
        f"problems, seed {args.seed}; median (min–max) of {args.repeat} interleaved rounds "
        "after one warm-up round\n"
    )
    print(machine() + "\n")
    print("\n".join(table(pairs)))
    print("\nGoals (issue 14):\n")
    print("\n".join(goals(sized)))


def large_run(args: argparse.Namespace, work: Path) -> None:
    directory = work / f"mixed-{args.large_records}"
    manifest = generate(args.large_records, "mixed", args.seed, args.invalid_share, directory)
    files = sorted(str(p) for p in directory.glob("*.jsonl"))
    size = sum(Path(f).stat().st_size for f in files)
    codegen = codegen_command()
    output = work / "large-out.txt"
    print(f"# {args.large_records:,} mixed records, {size / 1e9:.2f} GB", file=sys.stderr)
    # Bring the files into the page cache as the warm-up of the sized runs does.
    run([sys.executable, "-c", PARSE_FLOOR, *files], sample=False)
    dataset = run([*codegen, "validate", str(directory)], cwd=REPO, output=output)
    floor = run([sys.executable, "-c", PARSE_FLOOR, *files], cwd=REPO)
    print(
        f"## `codegen validate DIR`: {args.large_records:,} mixed records, one run\n\n"
        f"{machine()}\n\nMix: {json.dumps(manifest.get('per_type'))}; invalid: "
        f"{json.dumps(manifest.get('invalid_per_type'))}; {size / 1e9:.2f} GB of JSON Lines.\n"
    )
    print("| command | wall s | records/s | peak tree MB | CPU s | exit | summary |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, r, out in (
        ("`codegen validate DIR` (dataset mode)", dataset, output),
        ("parse floor (`json.loads` per line)", floor, None),
    ):
        print(
            f"| {label} | {r.wall:.1f} | {args.large_records / r.wall:,.0f} "
            f"| {r.tree_peak * MB:.0f} | {r.cpu:.1f} | {r.returncode} "
            f"| {summary_records(out) if out else '—'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="50000,200000", help="records per file (50000,200000)")
    parser.add_argument("--repeat", type=int, default=5, help="counted rounds (5)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--invalid-share", type=float, default=0.5)
    parser.add_argument("--mixed", action="store_true", help="also a mixed dataset per size")
    parser.add_argument("--large", action="store_true", help="the 1,000,000-record run instead")
    parser.add_argument("--large-records", type=int, default=1_000_000)
    parser.add_argument(
        "--workdir", type=Path, help="keep inputs and outputs here (reused when they match)"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="gdzw-e2e-") as temporary:
        work = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        if args.large:
            large_run(args, work)
        else:
            sized_runs(args, work)


if __name__ == "__main__":
    main()
