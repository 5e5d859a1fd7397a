"""Where `codegen validate`'s time goes, in instructions: each stage of checking a JSON Lines
record against `json.loads` merely parsing its line (issue 14, goal 1).

Run by hand (not a test; needs valgrind):

    .venv/bin/python benchmarks/validate_instructions.py [--records 3000] [--seed 2019]

Wall and CPU time on a shared machine swing by half from one minute to the next;
instructions counted by ``valgrind --tool=callgrind`` do not (the same binary, inputs and
environment give the same count whatever else runs). Each stage below runs in its own
process under callgrind on the same file of ``--records`` accept records (from
``gen_records.py``: all valid, all invalid, and the benchmark's usual half-and-half), and
a stage's cost per record is its count less that of a process that does everything but
the stage's loop (imports, loading the package), divided by the records:

- ``floor``: ``json.loads`` on every line, what `validate_e2e.py` calls the parse floor;
- ``decode``: the CLI's reading of lines and decoding (orjson where it agrees with json);
- ``normalize``: that plus the package's ``normalize`` (the key mapping);
- ``validate``: that plus ``validate`` (standard profile), all a record needs alone;
- ``cli``: the CLI's whole per-record loop (``check_lines_summarized``: the above, the
  problems' text, the cross-record index's rows), which is what runs in each worker.

The ratios to ``floor`` say how much work one process does per record beyond parsing;
with ``--jobs N`` that work is shared by N workers (the ordering process adds its own:
printing and the SQLite index), so N idle processors can meet the floor only when
``cli`` ÷ ``floor`` is below about N.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GENERATOR = Path(__file__).resolve().parent / "gen_records.py"
STAGES = ("none", "floor", "decode", "normalize", "validate", "cli")

# One stage's loop over FILE, in a process of its own (argv: stage, file, generated dir).
STAGE_SCRIPT = """
import json, sys
from pathlib import Path
from codegen.data import jsonstream
from codegen.data.datasets import rules_from_package
from codegen.data.fast_json import decode_flat
from codegen.data.generated_package import load_generated_package
from codegen.data.record_checks import CHUNK_LINES, Settings, check_lines_summarized

stage, name = sys.argv[1], sys.argv[2]
package = load_generated_package(Path(sys.argv[3]))
package.validate("accept", {})  # the validator module loaded before counting starts
settings = Settings("standard", "char", rules_from_package(package))
limit = int(package.spec.BODY_MAX_BYTES)

def records():
    with open(name, "rb") as stream:
        for _, _, raw, _ in jsonstream.raw_json_lines(stream, limit):
            yield decode_flat(raw) if raw is not None else None

if stage == "floor":
    with open(name, "rb") as stream:
        for line in stream:
            if line.strip():
                json.loads(line)
elif stage == "decode":
    for record in records():
        pass
elif stage == "normalize":
    for record in records():
        if record is not None:
            package.normalize("accept", record)
elif stage == "validate":
    for record in records():
        if record is not None:
            package.validate("accept", package.normalize("accept", record).record)
elif stage == "cli":
    with open(name, "rb") as stream:
        lines = list(jsonstream.raw_json_lines(stream, limit))
    offset = 0
    while offset < len(lines):
        chunk = lines[offset : offset + CHUNK_LINES]
        check_lines_summarized(package, settings, "accept", name, chunk, offset, 1)
        offset += len(chunk)
"""
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(stage: str, path: Path, generated: Path, work: Path) -> int:
    out = work / f"callgrind.{stage}.{path.stem}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    command += [sys.executable, "-c", STAGE_SCRIPT, stage, str(path), str(generated)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count for {stage}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--generated", type=Path, default=REPO / "generated")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (apt-get install valgrind)")
    print(f"instructions per accept record ({args.records} records, callgrind), ÷ floor")
    print()
    print("| file | floor | decode | normalize | validate | cli | validate ÷ floor | cli ÷ floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for label, share in (("valid", 0.0), ("invalid", 1.0), ("half invalid", 0.5)):
            path = work / f"accept-{share}.jsonl"
            command = [sys.executable, str(GENERATOR), f"--records={args.records}"]
            command += [f"--seed={args.seed}", f"--invalid-share={share}", f"--out={path}"]
            command += [f"--generated={args.generated}"]
            subprocess.run(command, check=True, capture_output=True)
            counts = {s: instructions(s, path, args.generated, work) for s in STAGES}
            per = {s: (counts[s] - counts["none"]) / args.records for s in STAGES[1:]}
            cells = " | ".join(f"{per[s] / 1000:,.1f}k" for s in STAGES[1:])
            print(
                f"| {label} | {cells} | {per['validate'] / per['floor']:.2f} "
                f"| {per['cli'] / per['floor']:.2f} |"
            )


if __name__ == "__main__":
    main()
