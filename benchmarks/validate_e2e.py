"""`codegen validate` end to end against the floor of merely parsing its input (issue 14, 1 and 4).

Run by hand (not a test):

    .venv/bin/python benchmarks/validate_e2e.py [--sizes 50000,200000] [--repeat 5]
        [--invalid-share 0.5] [--seed 2019] [--workdir DIR] [--mixed]
    .venv/bin/python benchmarks/validate_e2e.py --large [--large-records 1000000]

For each size, ``gen_records.py`` writes N accept records (``--invalid-share`` of them with
1-3 problems each) to ``DIR/N/accept.jsonl``, and these commands take turns on that same
file, after one warm-up run each (which also brings the file into the page cache):

- ``codegen validate --interface accept FILE``: every record checked on its own, as a user
  runs it (the fast decoder when the ``fast`` extra is installed, worker processes on the
  processors found idle while its first pieces are checked, for a file this large);
- the same with ``--jobs 1`` (in one process), with ``--jobs 2`` (two workers whatever the
  load), and with ``--jobs 1`` and the fast decoder turned off (``GDZW_CODEGEN_JSON=json``:
  the standard ``json`` fallback);
- the parse floor: ``python -c`` that ``json.loads`` every line of FILE, nothing else;
- ``codegen validate DIR/N``: dataset mode on the same records, with the cross-record
  checks (its index in a temporary SQLite file), as users run it and with ``--jobs 2``.

``--mixed`` adds, per size, ``codegen validate`` on a mixed dataset of N records (every
record type, cross-record checks doing real work) against the parse floor over its files.
Every command is a whole process, start-up included, stdout and stderr sent to a file (the
problems are printed as users would get them); wall time, user+sys CPU and the peak
resident memory of the whole process tree (workers included) are taken as ``benchlib``
describes; CPU is user+sys of the whole tree too, so with workers it can exceed the wall
time. Reported: medians with the spread (min–max) over ``--repeat`` rounds, records/s from
the median, ratios taken round by round, and the load average before and after.

``--large`` instead writes a mixed dataset of ``--large-records`` (1,000,000) records and
runs ``codegen validate DIR`` on it once as users run it (``--jobs`` 0: workers on the idle
processors, if any) and once with ``--jobs 2`` (and the parse floor over the same files once, for scale): time,
peak tree memory, records/s.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
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
#: The environment that turns the fast decoder off (codegen/data/fast_json.py).
FALLBACK = {**os.environ, "GDZW_CODEGEN_JSON": "json"}


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


def measure(
    commands: dict[str, list[str]],
    records: int,
    repeat: int,
    scratch: Path,
    envs: dict[str, dict[str, str]] | None = None,
) -> list[Row]:
    """Runs the commands interleaved; ``envs`` gives some of them their own environment."""
    scratch.mkdir(parents=True, exist_ok=True)
    outputs = {label: scratch / f"output-{i}.txt" for i, label in enumerate(commands)}
    envs = envs or {}
    actions = {
        label: functools.partial(run, command, cwd=REPO, env=envs.get(label), output=outputs[label])
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
        "| CPU ÷ floor's | exit | summary |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row, floor in pairs:
        wall = Spread.of([r.wall for r in row.runs])
        memory = Spread.of([r.tree_peak for r in row.runs])
        cpu = Spread.of([r.cpu for r in row.runs])
        versus = ratios([r.wall for r in row.runs], [r.wall for r in floor.runs])
        by_cpu = ratios([r.cpu for r in row.runs], [r.cpu for r in floor.runs])
        codes = sorted({r.returncode for r in row.runs})
        lines.append(
            f"| {row.records:,} | {row.label} | {wall.show()} | {row.records / wall.median:,.0f} "
            f"| {memory.show(MB, 0)} | {cpu.show()} | {'—' if row is floor else versus.show()} "
            f"| {'—' if row is floor else by_cpu.show()} "
            f"| {','.join(map(str, codes))} | {summary_records(row.output)} |"
        )
    return lines


INTERFACE = "`codegen validate --interface accept FILE`"
DATASET = "`codegen validate DIR` (dataset mode)"
FLOOR = "parse floor (`json.loads` per line)"


def goals(sized: dict[int, dict[str, Row]]) -> list[str]:
    out = []
    for size, rows in sized.items():
        interface, floor, dataset = rows[INTERFACE], rows[FLOOR], rows[DATASET]
        vs_floor = ratios([r.wall for r in interface.runs], [r.wall for r in floor.runs])
        vs_interface = ratios([r.wall for r in dataset.runs], [r.wall for r in interface.runs])
        cpu_floor = ratios([r.cpu for r in interface.runs], [r.cpu for r in floor.runs])
        cpu_interface = ratios([r.cpu for r in dataset.runs], [r.cpu for r in interface.runs])
        out.append(
            f"- {size:,} records: `--interface` ÷ parse floor {vs_floor.show()} (CPU "
            f"{cpu_floor.show()}) — goal ≤ 1: {'met' if vs_floor.median <= 1 else 'missed'}; "
            f"dataset ÷ `--interface` {vs_interface.show()} (CPU {cpu_interface.show()}) — "
            f"goal ≤ 1.3: {'met' if vs_interface.median <= 1.3 else 'missed'}"
        )
        for label, row in rows.items():
            if row is not interface and label.startswith(INTERFACE):
                versus = ratios([r.wall for r in row.runs], [r.wall for r in interface.runs])
                cpu = ratios([r.cpu for r in row.runs], [r.cpu for r in interface.runs])
                out.append(
                    f"  - {label} ÷ `--interface` as run by users: wall {versus.show()}, "
                    f"CPU {cpu.show()}"
                )
    if len(sized) > 1:
        peaks = {
            size: Spread.of([r.tree_peak for r in rows[INTERFACE].runs]).median
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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def sized_runs(args: argparse.Namespace, work: Path) -> None:
    codegen = codegen_command()
    sizes = [int(s) for s in args.sizes.split(",")]
    pairs: list[tuple[Row, Row]] = []
    sized: dict[int, dict[str, Row]] = {}
    loads = [load()]
    for size in sizes:
        directory = work / f"accept-{size}"
        generate(size, "accept-only", args.seed, args.invalid_share, directory)
        data = directory / "accept.jsonl"
        interface = [*codegen, "validate", "--interface", "accept", str(data)]
        dataset = [*codegen, "validate", str(directory)]
        commands = {
            INTERFACE: interface,
            f"{INTERFACE} `--jobs 1`": [*interface, "--jobs", "1"],
            f"{INTERFACE} `--jobs 2`": [*interface, "--jobs", "2"],
            f"{INTERFACE} `--jobs 1`, json fallback": [*interface, "--jobs", "1"],
            FLOOR: [sys.executable, "-c", PARSE_FLOOR, str(data)],
            DATASET: dataset,
            f"{DATASET} `--jobs 2`": [*dataset, "--jobs", "2"],
        }
        envs = {label: FALLBACK for label in commands if label.endswith("json fallback")}
        print(
            f"# {size:,} accept records: {len(commands)} commands × {args.repeat} rounds",
            file=sys.stderr,
        )
        measured = measure(commands, size, args.repeat, work / f"out-accept-{size}", envs)
        rows = dict(zip(commands, measured, strict=True))
        pairs.extend((row, rows[FLOOR]) for row in measured)
        sized[size] = rows
        loads.append(load())
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
            loads.append(load())
    print(
        f"## `codegen validate` end to end: accept records, {args.invalid_share:.0%} with 1–3 "
        f"problems, seed {args.seed}; median (min–max) of {args.repeat} interleaved rounds "
        "after one warm-up round\n"
    )
    print(machine() + "\n")
    print(f"Load average (1/5/15 min) before and after each size: {' → '.join(loads)}.\n")
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
    before = load()
    dataset = run([*codegen, "validate", str(directory)], cwd=REPO, output=output)
    serial_output = work / "large-out-jobs2.txt"
    serial = run(
        [*codegen, "validate", str(directory), "--jobs", "2"], cwd=REPO, output=serial_output
    )
    floor = run([sys.executable, "-c", PARSE_FLOOR, *files], cwd=REPO)
    same = output.read_bytes() == serial_output.read_bytes()
    print(
        f"## `codegen validate DIR`: {args.large_records:,} mixed records, one run each\n\n"
        f"{machine()}\n\nLoad average (1/5/15 min) before and after: {before} → {load()}.\n\n"
        f"Mix: {json.dumps(manifest.get('per_type'))}; invalid: "
        f"{json.dumps(manifest.get('invalid_per_type'))}; {size / 1e9:.2f} GB of JSON Lines; "
        f"output as run by users (`--jobs` 0: the processors found idle) and with "
        f"`--jobs 2` byte-identical: {'yes' if same else 'NO'}.\n"
    )
    print("| command | wall s | records/s | peak tree MB | CPU s | exit | summary |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, r, out in (
        ("`codegen validate DIR` (dataset mode)", dataset, output),
        ("`codegen validate DIR --jobs 2`", serial, serial_output),
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
