"""What a build costs, side by side with datamodel-code-generator on the same machine.

Run by hand (not by the tests): ``python benchmarks/build_budget.py [--runs 5]`` (needs the
``bench`` extra for ``datamodel-codegen``). Works on a copy of spec/ and generated/ in a
temporary folder, with its own warmed cache (``GDZW_CODEGEN_CACHE``), and times, as wall
time of a fresh process, the runs interleaved:

- datamodel-codegen making dataclasses from generated/openapi.json (the yardstick);
- ``codegen build`` with nothing to change (no-op);
- ``codegen build`` after a one-field edit (a new label for accept's ProjectNo each run,
  so nothing of it was ever formatted before);
- ``codegen build --check`` on an up-to-date tree.

Budgets (issue 12): no-op and one-edit builds no slower than datamodel-codegen, ``--check``
at most half of it. Prints medians; exits 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABEL = "label: 办件编号"


def timed(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO / "spec", root / "spec")
        shutil.copytree(REPO / "generated", root / "generated")
        env = dict(os.environ, GDZW_CODEGEN_CACHE=str(Path(tmp) / "cache"))
        codegen = [str(BIN / "codegen"), "--root", str(root)]
        accept = root / "spec" / "records" / "accept.yaml"
        original = accept.read_text(encoding="utf-8")
        if LABEL not in original:
            raise SystemExit(f"{accept}: no {LABEL!r} to edit")
        dmcg = [
            str(BIN / "datamodel-codegen"),
            "--input",
            str(root / "generated" / "openapi.json"),
            "--input-file-type",
            "openapi",
            "--output-model-type",
            "dataclasses.dataclass",
            "--output",
            str(Path(tmp) / "models.py"),
        ]
        subprocess.run([*codegen, "build"], env=env, check=True, capture_output=True)  # warm
        subprocess.run(dmcg, env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {
            "datamodel-codegen": [],
            "build (no-op)": [],
            "build (one-field edit)": [],
            "build --check": [],
        }
        for run in range(args.runs):
            times["datamodel-codegen"].append(timed(dmcg, env, root))
            times["build (no-op)"].append(timed([*codegen, "build"], env, root))
            accept.write_text(original.replace(LABEL, f"{LABEL}{run}", 1), encoding="utf-8")
            times["build (one-field edit)"].append(timed([*codegen, "build"], env, root))
            times["build --check"].append(timed([*codegen, "build", "--check"], env, root))
    medians = {name: statistics.median(values) for name, values in times.items()}
    yardstick = medians["datamodel-codegen"]
    budgets = {
        "build (no-op)": yardstick,
        "build (one-field edit)": yardstick,
        "build --check": yardstick / 2,
    }
    print(f"{'what':<26} {'median s':>9} {'budget s':>9}   runs")
    missed = False
    for name, median in medians.items():
        budget = budgets.get(name)
        over = budget is not None and median > budget
        missed |= over
        shown = "" if budget is None else f"{budget:.2f}"
        runs = " ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:<26} {median:>9.2f} {shown:>9}   {runs}{'  OVER' if over else ''}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
